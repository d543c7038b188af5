"""Aggregation goodput in Mininet: 4 workers x 10^6 float32 values over 100 Mbit/s
links, through the switch (INA), through the parameter-server fallback and with
a host ring allreduce, against the line-rate bound of those links.

It runs the ``allreduce`` scenario (``inalab/scenarios/allreduce.py``: single
rack, our switch, htb-shaped host links) in that configuration and prints each
method's goodput next to the bound: a worker's link carries at most
``bw / 8 / frame_bytes(K) * K`` values per second as INA packets of K values
(every header counted).

    sudo .venv/bin/python bench/bench_goodput.py [--values 1000000] [--lanes 64] [--bw 100]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from inalab.scenarios.allreduce import line_rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--values", type=int, default=1_000_000, help="float32 values per worker")
    ap.add_argument("--lanes", type=int, default=64, help="values per INA packet (32 or 64)")
    ap.add_argument("--bw", type=float, default=100.0, help="host link rate, Mbit/s")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--methods", default="ina,ps,ring")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_goodput: Mininet needs root (sudo)")
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="inalab-goodput-") as tmp:
        out = Path(tmp)
        cmd = [
            sys.executable, "-m", "inalab.scenarios", "allreduce",
            "--sizes", str(args.values), "--lanes", str(args.lanes), "--bw", str(args.bw),
            "--workers", str(args.workers), "--methods", args.methods,
            "--out", str(out), "--logs", str(out / "logs"),
        ]  # fmt: skip
        r = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if r.returncode != 0:
            sys.exit(f"bench_goodput: the allreduce scenario failed:\n{r.stdout}{r.stderr}")
        rows = json.loads((out / "allreduce.json").read_text())["rows"]
    bound = line_rate(args.bw, args.lanes)
    print(
        f"allreduce, {args.workers} workers x {args.values:,} float32, K={args.lanes}, "
        f"{args.bw:g} Mbit/s host links (Mininet, inalab-switch)"
    )
    print(f"line-rate bound: {bound:,.0f} values/s per worker (headers counted)")
    print(
        f"{'method':>6}  {'time s':>7}  {'values/s/worker':>15}  {'of bound':>8}  exact  vs numpy"
    )
    for row in rows:
        print(
            f"{row['method']:>6}  {row['time_s']:7.2f}  {row['goodput']:15,.0f}  "
            f"{row['goodput'] / bound:8.3f}  {row['exact_fraction']:5.2f}  "
            f"{'OK' if row['correct'] else 'WRONG'}"
        )
    print(
        f"load average: {load0:.2f} before, {os.getloadavg()[0]:.2f} after, "
        f"on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
