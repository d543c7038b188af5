#!/usr/bin/env python3
"""Entry point: `scenarios/two_level.py [--quick] ...` = `python -m inalab.scenarios two_level`."""

import sys

from inalab.scenarios.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["two_level", *sys.argv[1:]]))
