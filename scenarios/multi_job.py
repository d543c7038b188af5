#!/usr/bin/env python3
"""Entry point: `scenarios/multi_job.py [--quick] ...` = `python -m inalab.scenarios multi_job`."""

import sys

from inalab.scenarios.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["multi_job", *sys.argv[1:]]))
