"""Compile time of the largest P4 program in the repo (p4src/ina.p4 with 64 lanes).

Prints the cold time (a fresh process: imports, grammar, compile, as `inalab-p4c` runs)
and the warm time (compile only, grammar loaded) for K = 32 and K = 64 lanes.

    .venv/bin/python bench/bench_compile.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROGRAM = REPO / "p4src" / "ina.p4"


def cold(lanes: int) -> float:
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "inalab.compiler",
                "-I",
                str(REPO / "p4src"),
                f"-DINA_LANES={lanes}",
                "-o",
                f"{d}/ina.json",
                "--p4runtime-files",
                f"{d}/ina.p4info.txtpb",
                str(PROGRAM),
            ],
            check=True,
        )
        return time.perf_counter() - t


def warm(lanes: int, runs: int = 5) -> tuple[float, int]:
    from inalab.compiler import compile_file

    times = []
    size = 0
    for _ in range(runs):
        t = time.perf_counter()
        prog = compile_file(
            PROGRAM, include_dirs=[REPO / "p4src"], defines={"INA_LANES": str(lanes)}
        )
        times.append(time.perf_counter() - t)
        size = len(prog.json_text())
    return statistics.median(times), size


def main() -> None:
    print(f"program: {PROGRAM.relative_to(REPO)}")
    for lanes in (32, 64):
        c = min(cold(lanes) for _ in range(3))
        w, size = warm(lanes)
        print(
            f"K={lanes:2d}: cold (inalab-p4c process) {c:.2f} s, warm compile {w:.2f} s, "
            f"bmv2 JSON {size / 1024:.0f} KiB"
        )


if __name__ == "__main__":
    main()
