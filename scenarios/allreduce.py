#!/usr/bin/env python3
"""Entry point: `scenarios/allreduce.py [--quick] ...` = `python -m inalab.scenarios allreduce`."""

import sys

from inalab.scenarios.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["allreduce", *sys.argv[1:]]))
