"""``inalab-stf``: run STF tests on the inalab switch.

inalab-stf prog.json prog.stf
inalab-stf prog.p4 prog.stf
inalab-stf --dir DIR            # every NAME.stf with NAME.json (or NAME.p4)

Exit status: 0 every test passed, 1 a test failed, 2 bad arguments or an input
file that cannot be read (one line on stderr).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from inalab.stf.errors import StfError
from inalab.stf.runner import StfResult, run_stf


def _one(program: Path, stf: Path, verbose: bool) -> StfResult:
    try:
        return run_stf(program, stf)
    except StfError as exc:
        return StfResult(stf.name, False, (str(exc),))
    except Exception as exc:  # any other failure of one test is that test's FAIL
        return StfResult(stf.name, False, (f"{type(exc).__name__}: {exc}",))


def _unreadable(f: Path) -> str | None:
    """Why ``f`` cannot be used as an input text file, or None."""
    try:
        if f.is_dir():
            return "is a directory"
        f.read_text(encoding="utf-8")
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return exc.strerror or str(exc)
    except UnicodeDecodeError as exc:
        return f"not a UTF-8 text file (byte {exc.start})"
    return None


def _report(r: StfResult, label: str, verbose: bool) -> None:
    print(f"{'PASS' if r.passed else 'FAIL'} {label}")
    if not r.passed:
        for e in r.errors[: 40 if not verbose else None]:
            print(f"    {e}")


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("inalab-stf: interrupted", file=sys.stderr)
        return 130


def _main(argv: list[str] | None) -> int:
    ap = argparse.ArgumentParser(
        prog="inalab-stf", description="Run p4c STF tests on the inalab switch"
    )
    ap.add_argument("program", nargs="?", help="bmv2 JSON (or .p4) program")
    ap.add_argument("stf", nargs="?", help="STF test file")
    ap.add_argument("--dir", help="run every NAME.stf with NAME.json (or NAME.p4) in DIR")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the packet trace")
    args = ap.parse_args(argv)
    if args.verbose:
        h = logging.StreamHandler(sys.stderr)
        h.setFormatter(logging.Formatter("%(message)s"))
        tl = logging.getLogger("inalab.switch.trace")
        tl.addHandler(h)
        tl.setLevel(logging.DEBUG)
    if args.dir:
        d = Path(args.dir)
        if not d.is_dir():
            print(f"inalab-stf: error: {d}: not a directory", file=sys.stderr)
            return 2
        stfs = sorted(d.glob("*.stf"))
        if not stfs:
            print(f"inalab-stf: error: {d}: no NAME.stf files", file=sys.stderr)
            return 2
        passed = failed = 0
        for stf in stfs:
            prog = stf.with_suffix(".json")
            if not prog.exists():
                prog = stf.with_suffix(".p4")
            if not prog.exists():
                print(f"FAIL {stf.stem}\n    no {stf.stem}.json or {stf.stem}.p4")
                failed += 1
                continue
            r = _one(prog, stf, args.verbose)
            _report(r, stf.stem, args.verbose)
            if r.passed:
                passed += 1
            else:
                failed += 1
        print(f"{passed} passed, {failed} failed")
        return 1 if failed else 0
    if not args.program or not args.stf:
        ap.print_usage(sys.stderr)
        print("inalab-stf: error: give PROGRAM STF, or --dir DIR", file=sys.stderr)
        return 2
    prog, stf = Path(args.program), Path(args.stf)
    for f in (prog, stf):
        why = _unreadable(f)
        if why:
            print(f"inalab-stf: error: {f}: {why}", file=sys.stderr)
            return 2
    r = _one(prog, stf, args.verbose)
    _report(r, stf.stem, args.verbose)
    return 0 if r.passed else 1


if __name__ == "__main__":
    sys.exit(main())
