"""Benchmark: INA contributions per second through p4src/ina.p4 in the switch core.

    .venv/bin/python bench/bench_dataplane.py [--lanes 32 64] [--rounds 200] [--workers 4] [--repeat 3]
    .venv/bin/python bench/bench_dataplane.py --bytecodes   # work per contribution, load-proof

Compiles the program with inalab-p4c, loads it into ``inalab.switch.core.Switch``,
and feeds ``rounds`` complete aggregation rounds of ``workers`` contributions
(each round completes one slot and multicasts the result), timing the whole
ingress -> traffic manager -> egress path. Prints one line per K.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bytecodes import bytecodes_per_call  # noqa: E402  (bench/, beside this file)

from inalab.protocol.constants import JobMode  # noqa: E402
from tests.dataplane.harness import Rig  # noqa: E402
from tests.dataplane.packets import contribution  # noqa: E402


def run(lanes: int, rounds: int, workers: int, bytecodes: bool = False) -> tuple[float, float, int]:
    """(contributions/s wall, CPU seconds per contribution, contributions); with
    ``bytecodes``, (0, Python bytecode instructions per contribution, contributions)."""
    rig = Rig(lanes=lanes, slots=64)
    ports = tuple(range(1, workers + 1))
    rig.rack(1, ports, mcast=1, mode=JobMode.DEDICATED, size=64)
    rng = np.random.default_rng(1)
    frames = []
    for r in range(rounds):
        flags = 1 if (r // 64) % 2 else 0
        for w in range(workers):
            vals = rng.integers(-(2**20), 2**20, size=lanes)
            frames.append(
                (ports[w], contribution(w, vals, slot=r % 64, seq=r, flags=flags, lanes=lanes))
            )
    sent = 0
    done = threading.Event()
    want = rounds * workers  # each round multicasts one result per worker

    def tx(port: int, data: bytes) -> None:
        nonlocal sent
        sent += 1
        if sent >= want:
            done.set()

    rig.sw.set_transmit_handler(tx)
    if bytecodes:
        return 0.0, count_bytecodes(rig, frames, want, lambda: sent), len(frames)
    gc.collect()  # start from a clean heap: no collection of the setup's garbage in the timing
    t0, c0 = time.perf_counter(), time.process_time()
    for port, data in frames:
        rig.sw.receive(port, data)
    rig.sw.wait_idle(120.0)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    rig.close()
    if sent != want:
        raise SystemExit(f"K={lanes}: expected {want} result copies, got {sent}")
    return len(frames) / dt, cpu / len(frames), len(frames)


def count_bytecodes(
    rig: Rig, frames: list[tuple[int, bytes]], want: int, sent: Callable[[], int]
) -> float:
    """Python bytecode instructions the switch executes per contribution (the whole
    receive path, result copies included)."""
    per = bytecodes_per_call(rig.sw.receive, frames)
    rig.sw.wait_idle(120.0)
    rig.close()
    if sent() != want:
        raise SystemExit(f"expected {want} result copies, got {sent()}")
    return per


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lanes", type=int, nargs="+", default=[32, 64])
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3, help="runs per K; best and median printed")
    ap.add_argument(
        "--bytecodes",
        action="store_true",
        help="count Python bytecode instructions per contribution instead of timing",
    )
    args = ap.parse_args()
    if args.bytecodes:
        for k in args.lanes:
            per = run(k, args.rounds, args.workers, bytecodes=True)[1]
            print(f"K={k:2d} workers={args.workers}: {per:.0f} bytecodes/contribution")
        return 0
    results = {}
    for k in args.lanes:
        got = [run(k, args.rounds, args.workers) for _ in range(args.repeat)]
        runs = sorted(g[0] for g in got)
        best, median = runs[-1], runs[len(runs) // 2]
        cpu_us = min(g[1] for g in got) * 1e6
        n = args.rounds * args.workers
        results[k] = {
            "best_contributions_per_s": round(best),
            "median": round(median),
            "cpu_us_per_contribution": round(cpu_us, 1),
        }
        print(
            f"K={k:2d} workers={args.workers} contributions={n} x{args.repeat}: "
            f"best {best:8.0f} contributions/s (median {median:8.0f}), "
            f"best {best * k:10.0f} int32 values aggregated/s, "
            f"CPU {cpu_us:.1f} us/contribution (= {1e6 / cpu_us:.0f}/s of one core)"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
