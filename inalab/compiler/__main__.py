"""``python -m inalab.compiler``: the inalab-p4c command."""

from .cli import main

raise SystemExit(main())
