"""``python -m inalab.switch``: the same as ``inalab-switch``."""

import sys

from inalab.switch.cli import main

sys.exit(main())
