#!/usr/bin/env python3
"""Entry point: `scenarios/fallback.py [--quick] ...` = `python -m inalab.scenarios fallback`."""

import sys

from inalab.scenarios.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["fallback", *sys.argv[1:]]))
