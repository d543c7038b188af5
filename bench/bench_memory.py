"""Benchmark: resident memory of the switch core holding the INA program's state.

    .venv/bin/python bench/bench_memory.py [--lanes 64] [--slots 8192] [--workers 2]

Compiles p4src/ina.p4 with ``-DINA_LANES=lanes -DINA_SLOTS=slots`` in a child
process (so the compiler's own memory is not counted), loads the bmv2 JSON into
``inalab.switch.core.Switch`` and prints the process RSS: after the imports, after
the load, and after traffic that fills every aggregation cell of both shadow banks
(2 x slots cells of ``lanes`` lanes, each value register cell holding a distinct
int32 sum). Target: under 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from inalab.protocol.constants import JobMode  # noqa: E402
from tests.dataplane import harness  # noqa: E402
from tests.dataplane.packets import contribution  # noqa: E402

COMPILE = (
    "import sys; sys.path.insert(0, {repo!r}); "
    "from tests.dataplane.harness import compiled; "
    "sys.stdout.write(compiled({lanes}, {slots}))"
)


def rss_mb() -> float:
    """Resident set size of this process, MB (from /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS in /proc/self/status")


def compile_text(lanes: int, slots: int) -> str:
    code = COMPILE.format(repo=str(REPO), lanes=lanes, slots=slots)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise SystemExit(f"compiling p4src/ina.p4 failed:\n{r.stderr}")
    return r.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lanes", type=int, default=64)
    ap.add_argument("--slots", type=int, default=8192)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    lanes, slots, workers = args.lanes, args.slots, args.workers
    text = compile_text(lanes, slots)
    # the rig compiles through harness.compiled: hand it the child's output instead
    harness.compiled = lambda *a, **k: text  # type: ignore[assignment]
    base = rss_mb()
    t0 = time.perf_counter()
    rig = harness.Rig(lanes=lanes, slots=slots)
    load_s = time.perf_counter() - t0
    loaded = rss_mb()
    ports = tuple(range(1, workers + 1))
    rig.rack(1, ports, mcast=1, mode=JobMode.DEDICATED, size=slots)
    sent = 0

    def tx(port: int, data: bytes) -> None:
        nonlocal sent
        sent += 1

    rig.sw.set_transmit_handler(tx)
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    rounds = 2 * slots  # every slot of both shadow banks once
    for r in range(rounds):
        flags = 1 if r >= slots else 0
        for w in range(workers):
            vals = rng.integers(-(2**30), 2**30, size=lanes)
            frame = contribution(w, vals, slot=r % slots, seq=r, flags=flags, lanes=lanes)
            rig.sw.receive(ports[w], frame)
    rig.sw.wait_idle(120.0)
    traffic_s = time.perf_counter() - t0
    after = rss_mb()
    regs = rig.sw.prog.registers if rig.sw.prog is not None else {}
    cells = sum(r.size for r in regs.values())
    rig.close()
    if sent != rounds * workers:
        raise SystemExit(f"expected {rounds * workers} result copies, got {sent}")
    print(
        f"K={lanes} INA_SLOTS={slots} ({len(regs)} register arrays, {cells} cells): "
        f"RSS {base:.1f} MB before load, {loaded:.1f} MB after load ({load_s:.1f} s), "
        f"{after:.1f} MB after {rounds * workers} contributions filling both banks "
        f"({traffic_s:.1f} s)"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        json.dumps(
            {"rss_mb_before": round(base, 1), "rss_mb_loaded": round(loaded, 1),
             "rss_mb_after_traffic": round(after, 1)}
        )
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
