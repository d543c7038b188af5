"""``python -m inalab.topologies``: see :mod:`inalab.topologies.cli`."""

from __future__ import annotations

import sys

from inalab.topologies.cli import main

sys.exit(main())
