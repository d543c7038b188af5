"""inalab-p4c: command line compatible with p4c-bm2-ss for v1model programs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .api import compile_file
from .diagnostics import KINDS, enabled
from .errors import CompileError

VERSION = "inalab-p4c 0.1.0 (P4_16, bmv2 JSON 2.23, v1model)"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"inalab-p4c: error: {message}\n")
        raise SystemExit(1)


def _args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = _Parser(
        prog="inalab-p4c", description="Compile a P4_16 v1model program to bmv2 JSON + P4Info."
    )
    p.add_argument("source", nargs="?", help="P4_16 source file")
    p.add_argument("-o", dest="output", help="output bmv2 JSON file (default: NAME.json)")
    p.add_argument("--arch", default="v1model", help="architecture (only v1model)")
    p.add_argument("--target", default="bmv2", help="target (only bmv2)")
    p.add_argument("--std", default="p4-16", help="language standard (only p4-16)")
    p.add_argument(
        "--p4runtime-files",
        default=None,
        help="comma-separated P4Info outputs; format by extension (.txt/.txtpb, .json, .bin)",
    )
    p.add_argument(
        "--p4runtime-file",
        default=None,
        help="(older p4c spelling) one P4Info output; format from --p4runtime-format",
    )
    p.add_argument(
        "--p4runtime-format",
        choices=("text", "json", "binary"),
        default="text",
        help="format for --p4runtime-file (default text)",
    )
    p.add_argument("-I", dest="includes", action="append", default=[], help="include directory")
    p.add_argument("-D", dest="defines", action="append", default=[], help="define NAME[=VALUE]")
    p.add_argument(
        "--Wdisable",
        dest="wdisable",
        nargs="?",
        const="",
        action="append",
        default=[],
        metavar="KIND",
        help=f"silence warnings of KIND[,KIND...] (all without =KIND); kinds: {', '.join(sorted(KINDS))}",
    )
    p.add_argument("-w", dest="no_warnings", action="store_true", help="silence all warnings")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    # p4c's bare --Wdisable (all kinds) must not take the next argument as its KIND
    args = list(sys.argv[1:] if argv is None else argv)
    return p.parse_args(["--Wdisable=" if a == "--Wdisable" else a for a in args])


def _disabled(args: argparse.Namespace) -> set[str] | bool:
    """The warning kinds --Wdisable / -w turn off (True: all)."""
    if args.no_warnings or "" in args.wdisable:
        return True
    kinds = {k for v in args.wdisable for k in v.split(",") if k}
    unknown = kinds - KINDS
    if unknown:
        raise ValueError(f"--Wdisable: unknown warning kind {', '.join(sorted(unknown))}")
    return kinds


def main(argv: Sequence[str] | None = None) -> int:
    args = _args(argv)
    if args.version:
        print(VERSION)
        return 0
    if args.source is None:
        sys.stderr.write("inalab-p4c: error: no source file given\n")
        return 1
    if args.arch != "v1model":
        sys.stderr.write(f"inalab-p4c: error: unsupported --arch {args.arch} (only v1model)\n")
        return 1
    if args.target != "bmv2":
        sys.stderr.write(f"inalab-p4c: error: unsupported --target {args.target} (only bmv2)\n")
        return 1
    if args.std not in ("p4-16", "p416"):
        sys.stderr.write(f"inalab-p4c: error: unsupported --std {args.std} (only p4-16)\n")
        return 1
    for d in args.includes:
        if not Path(d).is_dir():
            sys.stderr.write(f"inalab-p4c: error: -I {d}: not a directory\n")
            return 1
    try:
        disabled = _disabled(args)
    except ValueError as e:
        sys.stderr.write(f"inalab-p4c: error: {e} (one of {', '.join(sorted(KINDS))})\n")
        return 1
    src = Path(args.source)
    out = Path(args.output) if args.output else Path(src.stem + ".json")
    try:
        prog = compile_file(src, include_dirs=args.includes, defines=args.defines)
    except CompileError as e:
        sys.stderr.write(f"{e}\n")
        return 1
    except RecursionError:
        sys.stderr.write(f"{src}: error: program nested too deeply\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("inalab-p4c: interrupted (nothing written)\n")
        return 130
    except Exception as e:  # a compiler bug: still one line, exit 1, no output
        sys.stderr.write(
            f"{src}: error: internal compiler error ({type(e).__name__}: {e}); "
            "please report it with the program\n"
        )
        return 1
    for w in enabled(prog.warnings, disabled):
        sys.stderr.write(f"{w}\n")
    outputs: list[tuple[Path, bytes]] = [(out, prog.json_text().encode())]
    for f in (args.p4runtime_files or "").split(","):
        if f:
            p = Path(f)
            fmt = "json" if p.suffix == ".json" else "bin" if p.suffix == ".bin" else "txtpb"
            outputs.append((p, prog.p4info_text(fmt)))
    if args.p4runtime_file:
        fmt = {"text": "txtpb", "json": "json", "binary": "bin"}[args.p4runtime_format]
        outputs.append((Path(args.p4runtime_file), prog.p4info_text(fmt)))
    seen = {src.resolve(): "would overwrite the source file"}
    for path, _ in outputs:
        if path.is_dir():
            sys.stderr.write(f"inalab-p4c: error: cannot write {path}: Is a directory\n")
            return 1
        if path.resolve() in seen:  # the program itself, or one output over another
            sys.stderr.write(f"inalab-p4c: error: output {path} {seen[path.resolve()]}\n")
            return 1
        seen[path.resolve()] = "is given twice"
    # all or nothing: write temporaries first, then rename them into place
    temps: list[tuple[Path, Path]] = []
    target = out
    try:
        for path, data in outputs:
            target = path
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            temps.append((tmp, path))
        for tmp, path in temps:
            target = path
            tmp.replace(path)
    except OSError as e:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        why = e.strerror or str(e)
        sys.stderr.write(f"inalab-p4c: error: cannot write {target}: {why}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
