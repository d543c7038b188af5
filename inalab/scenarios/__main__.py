"""``python -m inalab.scenarios NAME [--quick] ...``: run one scenario."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

SCENARIOS = ("allreduce", "loss", "congestion", "fallback", "two_level", "multi_job")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in SCENARIOS:
        if args and args[0] not in ("-h", "--help"):
            print(f"inalab.scenarios: error: unknown scenario {args[0]!r}", file=sys.stderr)
        print("usage: python -m inalab.scenarios {" + ",".join(SCENARIOS) + "} [--quick] ...")
        print("       python -m inalab.scenarios NAME --help")
        return 0 if args and args[0] in ("-h", "--help") else 2
    from inalab.scenarios.common import scenario_main

    module = importlib.import_module(f"inalab.scenarios.{args[0]}")
    return scenario_main(module, args[1:])


if __name__ == "__main__":
    sys.exit(main())
