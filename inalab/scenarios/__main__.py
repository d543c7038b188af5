"""``python -m inalab.scenarios NAME [--quick] ...``: run one scenario."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

SCENARIOS = ("allreduce", "loss", "congestion", "fallback", "two_level", "multi_job")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in SCENARIOS:
        asked = bool(args) and args[0] in ("-h", "--help")
        out = sys.stdout if asked else sys.stderr  # usage after an error goes with the error
        print("usage: python -m inalab.scenarios {" + ",".join(SCENARIOS) + "} [--quick] ...",
              file=out)  # fmt: skip
        print("       python -m inalab.scenarios NAME --help", file=out)
        if not asked:
            what = f"unknown scenario {args[0]!r}" if args else "give a scenario NAME"
            print(f"python -m inalab.scenarios: error: {what}", file=sys.stderr)
        return 0 if asked else 2
    from inalab.scenarios.common import scenario_main

    module = importlib.import_module(f"inalab.scenarios.{args[0]}")
    return scenario_main(module, args[1:])


if __name__ == "__main__":
    sys.exit(main())
