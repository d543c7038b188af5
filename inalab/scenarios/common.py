"""What every scenario shares: command-line options, the run options they
become, the error handling of a scenario's ``main`` and the output step.

A scenario module defines ``NAME``, ``DESCRIPTION``, ``add_arguments(parser)``
and ``run(opts, args) -> Outcome``; ``scenario_main(module)`` gives it a
``--help``, ``--quick`` (the small CI configuration), clear errors and the
table / JSON / PNG output.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from inalab.scenarios.errors import ScenarioError
from inalab.scenarios.results import format_table, write_results
from inalab.topologies.errors import TopologiesError


@dataclass(frozen=True)
class RunOptions:
    """Where a scenario writes and how it names its network."""

    quick: bool = False
    out_dir: Path = Path("results")
    log_dir: Path = Path("logs")
    build_dir: Path = Path("build")
    seed: int = 0
    prefix: str = ""  # node-name prefix, so a scenario can run beside another network
    grpc_base: int = 50051
    thrift_base: int = 9090
    kind: str | None = None  # SWITCH: None = inalab-switch, "bmv2" = simple_switch_grpc
    progress: bool | None = None  # None: on a terminal only

    def __post_init__(self) -> None:
        if len(self.prefix) > 3:
            raise ValueError(f"prefix {self.prefix!r}: at most 3 characters (interface names)")


@dataclass(frozen=True)
class Outcome:
    """A scenario's result: rows, metadata, the table's columns, plot files."""

    rows: list[dict[str, Any]]
    meta: dict[str, Any]
    columns: list[tuple[str, str]]
    plots: list[Path] = field(default_factory=list)
    ok: bool = True  # False: the scenario saw a wrong result (exit 1)
    notes: list[str] = field(default_factory=list)


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1 (argparse names the flag in its error)."""
    return _int_at_least(text, 1)


def nonnegative_int(text: str) -> int:
    """An argparse type: an integer >= 0."""
    return _int_at_least(text, 0)


def _int_at_least(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: not an integer") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"{value}: must be >= {low}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: must be a finite number > 0")
    return value


def positive_int_list(text: str) -> list[int]:
    """An argparse type: comma-separated integers, each >= 1 (``10000,100000``)."""
    items = [x.strip() for x in text.split(",")]
    try:
        values = [int(x) for x in items]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected comma-separated integers (e.g. 2,3)"
        ) from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: each must be >= 1")
    return values


def fraction_list(text: str) -> list[float]:
    """An argparse type: comma-separated rates in [0, 1) (``0,0.1,0.3``)."""
    try:
        values = [float(x.strip()) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected comma-separated numbers in [0, 1) (e.g. 0,0.1)"
        ) from None
    if any(not 0 <= v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: each must be in [0, 1)")
    return values


def add_common_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="the small configuration (CI, ~1 min)")
    p.add_argument("--out", default="results", help="directory for JSON and PNG (results/)")
    p.add_argument("--logs", default="logs", help="switch logs (logs/)")
    p.add_argument("--build", default="build", help="compiled programs (build/)")
    p.add_argument("--seed", type=int, default=0, help="inputs and impairment seed")
    p.add_argument("--prefix", default="", help="prefix node names (run beside another network)")
    p.add_argument("--grpc-base", type=int, default=50051, help="first switch gRPC port")
    p.add_argument("--thrift-base", type=int, default=9090, help="first switch runtime port")


def check_common_arguments(args: argparse.Namespace) -> None:
    """The shared options, checked before any network starts (ScenarioError)."""
    for flag, port in (("--grpc-base", args.grpc_base), ("--thrift-base", args.thrift_base)):
        if not 1024 <= port < 65536:
            raise ScenarioError(f"{flag} {port}: must be in 1024..65535")
    if args.seed < 0:
        raise ScenarioError(f"--seed {args.seed}: must be >= 0")
    for flag, d in (("--out", args.out), ("--logs", args.logs), ("--build", args.build)):
        if Path(d).exists() and not Path(d).is_dir():
            raise ScenarioError(f"{flag} {d}: not a directory")


def options_from(args: argparse.Namespace) -> RunOptions:
    import os

    return RunOptions(
        quick=args.quick,
        out_dir=Path(args.out),
        log_dir=Path(args.logs),
        build_dir=Path(args.build),
        seed=args.seed,
        prefix=args.prefix,
        grpc_base=args.grpc_base,
        thrift_base=args.thrift_base,
        kind=os.environ.get("SWITCH") or None,
    )


def report(name: str, opts: RunOptions, outcome: Outcome) -> Path:
    print(format_table(outcome.rows, outcome.columns))
    for note in outcome.notes:
        print(note)
    path = write_results(opts.out_dir, name, outcome.rows, {"quick": opts.quick, **outcome.meta})
    print(f"results: {path}" + "".join(f", {p}" for p in outcome.plots))
    return path


class Terminated(Exception):
    """SIGTERM arrived: unwind (stopping the network) and exit 143."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def run_guarded(prog: str, fn: Callable[[], int]) -> int:
    """Run ``fn``; user-facing errors become one line and exit 1. SIGTERM
    unwinds like Ctrl-C, so the network is stopped, not left behind."""
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    try:
        return fn()
    except Terminated:
        print(f"{prog}: terminated (the network was stopped)", file=sys.stderr)
        return 143
    except (ScenarioError, TopologiesError, ValueError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        print(f"{prog}: error: {e.strerror or e}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted (the network was stopped)", file=sys.stderr)
        return 130


def scenario_main(module: ModuleType, argv: Sequence[str] | None = None) -> int:
    prog = f"python -m inalab.scenarios {module.NAME}"
    p = argparse.ArgumentParser(prog=prog, description=module.DESCRIPTION)
    add_common_arguments(p)
    module.add_arguments(p)
    p.add_argument("--replot", metavar="JSON", help="only redraw the plots of a results file")
    args = p.parse_args(argv)

    def go() -> int:
        if args.replot:
            import json

            try:
                doc = json.loads(Path(args.replot).read_text())
            except OSError as e:
                raise ScenarioError(f"--replot {args.replot}: {e.strerror or e}") from None
            except ValueError as e:  # bad JSON, or not UTF-8 text
                raise ScenarioError(f"--replot {args.replot}: not a results file: {e}") from None
            if not isinstance(doc, dict) or not isinstance(doc.get("rows"), list):
                raise ScenarioError(f"--replot {args.replot}: not a results file (no 'rows' list)")
            try:
                pngs = module.plots(doc["rows"], doc, Path(args.out))
            except (KeyError, TypeError, ValueError) as e:
                raise ScenarioError(
                    f"--replot {args.replot}: rows not of {module.NAME}: {type(e).__name__} {e}"
                ) from None
            print("plots: " + ", ".join(str(x) for x in pngs))
            return 0
        check_common_arguments(args)
        opts = options_from(args)
        outcome: Outcome = module.run(opts, args)
        report(module.NAME, opts, outcome)
        return 0 if outcome.ok else 1

    return run_guarded(prog, go)
