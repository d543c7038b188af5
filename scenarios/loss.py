#!/usr/bin/env python3
"""Entry point: `scenarios/loss.py [--quick] ...` = `python -m inalab.scenarios loss`."""

import sys

from inalab.scenarios.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["loss", *sys.argv[1:]]))
