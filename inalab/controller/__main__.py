"""``python -m inalab.controller`` = ``inalab-ctl``."""

import sys

from inalab.controller.cli import main

sys.exit(main())
