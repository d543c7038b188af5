"""Controller benchmarks on the in-process lab (real switch cores and P4Runtime
servers over gRPC on loopback, host-agent workers on Python links):

- job admission latency (HTTP register -> entries, registers and multicast
  group written over P4Runtime) and finish latency (entries removed, region
  zeroed);
- time to re-divide memory under fair share: from a newcomer's registration to
  the running job's region switched (announce, drain to a round boundary, switch),
  with the running job idle and with its workers busy;
- aggregate throughput of 4 concurrent 2-worker jobs under each policy.

    .venv/bin/python bench/bench_controller.py [--rounds 4] [--plot docs/controller-throughput.png]

Prints one line per figure; docs/controller.md records a run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from typing import Any

from inalab.compiler import compile_file
from inalab.controller.client import ControllerClient
from inalab.controller.fabric import Fabric, Pipeline
from inalab.controller.jobs import JobManager
from inalab.controller.lab import Lab
from inalab.controller.policies import make_policy
from inalab.controller.service import ControllerService
from inalab.hosts.ps import PsJob
from inalab.topologies.builders import single_rack

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLOTS = 256  # cells per shadow set in the bench build (the default build has 1024)


def pipeline() -> Pipeline:
    p4src = os.path.join(REPO, "p4src")
    prog = compile_file(
        os.path.join(p4src, "ina.p4"), include_dirs=[p4src], defines={"INA_SLOTS": str(SLOTS)}
    )
    return Pipeline(json.dumps(prog.bmv2_json).encode(), prog.p4info)


class Setup:
    def __init__(self, pipe: Pipeline, policy: str, workers: int = 8) -> None:
        self.lab = Lab.start(single_rack(workers))
        self.fabric = Fabric(self.lab.topo, pipe, addresses=self.lab.addresses)
        self.manager = JobManager(self.fabric, make_policy(policy))
        self.fabric.connect_all()
        self.service = ControllerService(self.manager, tick=0.02).start()
        self.client = ControllerClient(self.service.url)

    def stop(self) -> None:
        self.service.stop()
        self.lab.stop()


def _ms(xs: list[float]) -> str:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, int(0.95 * len(xs)))]
    return f"median {statistics.median(xs) * 1e3:.1f} ms, p95 {p95 * 1e3:.1f} ms"


def bench_admission(pipe: Pipeline, n: int) -> dict[str, Any]:
    s = Setup(pipe, "first-fit")
    try:
        reg, fin = [], []
        for i in range(n):
            t = time.perf_counter()
            s.client.register({"job_id": 100 + i, "members": ["h1", "h2", "h3", "h4"], "slots": 32})
            reg.append(time.perf_counter() - t)
            t = time.perf_counter()
            s.client.finish(100 + i)
            fin.append(time.perf_counter() - t)
        print(f"admission (4 members, 32 slots): {_ms(reg)}; finish + reclaim: {_ms(fin)}")
        return {
            "register_ms": statistics.median(reg) * 1e3,
            "finish_ms": statistics.median(fin) * 1e3,
        }
    finally:
        s.stop()


def _switch_time(m: JobManager, job: int) -> float:
    ev = m.events
    t0 = next(e["time"] for e in ev if e["event"] == "announce" and e["job_id"] == job)
    t1 = next(e["time"] for e in ev if e["event"] == "switched" and e["job_id"] == job)
    return float(t1 - t0)


def bench_redivide(pipe: Pipeline, n: int) -> dict[str, Any]:
    idle, busy = [], []
    for i in range(n):
        s = Setup(pipe, "fair-share")
        try:
            s.client.register({"job_id": 1, "members": ["h1", "h2"], "slots": SLOTS})
            s.client.register({"job_id": 2, "members": ["h3", "h4"], "slots": SLOTS})
            idle.append(_switch_time(s.manager, 1))
            s.client.finish(2)
            done = threading.Event()

            def newcomer(r: int, done: threading.Event = done, s: Setup = s) -> None:
                if r == 1 and not done.is_set():
                    done.set()
                    threading.Thread(
                        target=s.client.register,
                        args=({"job_id": 3, "members": ["h5", "h6"], "slots": SLOTS},),
                    ).start()

            errs = s.lab.run_job(s.client, 1, ["h1", "h2"], 6, 64 * 32, i, newcomer)
            assert errs == [None, None], errs
            moves = [e for e in s.manager.events if e["job_id"] == 1 and e["event"] == "switched"]
            assert len(moves) >= 3
            t0 = [e["time"] for e in s.manager.events if e["event"] == "announce"][-1]
            busy.append(moves[-1]["time"] - t0)
        finally:
            s.stop()
    print(
        f"re-divide (fair share, 2 jobs): idle job {_ms(idle)}; busy job (drain to round end) {_ms(busy)}"
    )
    return {"idle_ms": statistics.median(idle) * 1e3, "busy_ms": statistics.median(busy) * 1e3}


def bench_throughput(pipe: Pipeline, policy: str, rounds: int, size: int) -> float:
    s = Setup(pipe, policy)
    try:
        s.lab.ps_jobs([PsJob(j, 2) for j in range(1, 5)])
        slots = {"static": 64, "first-fit": 64, "fair-share": SLOTS, "best-effort": 64}[policy]
        members = {j: [f"h{2 * j - 1}", f"h{2 * j}"] for j in range(1, 5)}
        for j in members:
            s.client.register({"job_id": j, "members": members[j], "slots": slots})
        errs: dict[int, list[BaseException | None]] = {}
        threads = [
            threading.Thread(
                target=lambda j=j: errs.__setitem__(
                    j, s.lab.run_job(s.client, j, members[j], rounds, size, j)
                )
            )
            for j in members
        ]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t
        for j, e in errs.items():
            assert e == [None, None], (policy, j, e)
        values = 4 * rounds * size  # reduced values delivered to every member of each job
        snap = s.client.status()
        sw = snap["switches"]["s1"]
        print(
            f"throughput 4 jobs x 2 workers, {policy:<11}: {values / wall:>9,.0f} values/s "
            f"({wall:.2f} s; switch completions {sw['completions']}, collisions to PS "
            f"{sw['events'].get('collision', 0)})"
        )
        return values / wall
    finally:
        s.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--size", type=int, default=64 * 32, help="values per allreduce")
    ap.add_argument("--admissions", type=int, default=30)
    ap.add_argument("--redivides", type=int, default=3)
    ap.add_argument("--plot", default=None, help="write a PNG of the throughputs here")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores, INA_SLOTS={SLOTS}, K=32")
    pipe = pipeline()
    bench_admission(pipe, args.admissions)
    bench_redivide(pipe, args.redivides)
    tput = {
        p: bench_throughput(pipe, p, args.rounds, args.size)
        for p in ("static", "first-fit", "fair-share", "best-effort")
    }
    if args.plot:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib not available: no plot")
            return
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.bar(list(tput), [v / 1e3 for v in tput.values()])
        ax.set_ylabel("k values/s (4 jobs)")
        ax.set_title("Aggregate allreduce throughput by policy")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
