#!/usr/bin/env python3
"""Entry point: `scenarios/congestion.py [--quick] ...` = `python -m inalab.scenarios congestion`."""

import sys

from inalab.scenarios.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["congestion", *sys.argv[1:]]))
