"""Cost of the DDP hook itself: bucket allreduce through a worker agent and the
PS's aggregation logic in one process (world size 1, in-process transport),
against DDP's own gloo allreduce of the same bucket.

    .venv/bin/python bench/bench_training.py [--values 10000,100000,1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import socket
import time

import numpy as np

from inalab.hosts.config import JobConfig
from inalab.hosts.ps import Aggregator, PsJob
from inalab.hosts.transport import QueueTransport
from inalab.hosts.worker import Worker


def _worker(lanes: int) -> Worker:
    job = JobConfig(job_id=1, rank=0, n_workers=1, server="127.0.0.1", slots=256, lanes=lanes)
    agg = Aggregator.for_jobs([PsJob(1, 1)])

    def deliver(payload: bytes, tos: int, path: int) -> None:
        for _dst, out in agg.handle(payload, ("127.0.0.1", 1000 + path)):
            t.put(out)

    t = QueueTransport(deliver)
    return Worker(job, t)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--values", default="10000,100000,1000000")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--lanes", type=int, default=32)
    a = p.parse_args()
    import torch
    import torch.distributed as dist

    from inalab.training.hook import InaCommHook

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1,
        timeout=datetime.timedelta(seconds=60),
    )  # fmt: skip
    print(
        f"host: {platform.machine()}, {os.cpu_count()} cpus, python {platform.python_version()}, "
        f"torch {torch.__version__}, numpy {np.__version__}, load {os.getloadavg()[0]:.1f}"
    )
    for n in (int(x) for x in a.values.split(",")):
        hook = InaCommHook(_worker(a.lanes), world_size=1, max_bucket_values=n)
        flat = torch.randn(n)
        best_hook = best_gloo = float("inf")
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            hook.reduce(flat)
            best_hook = min(best_hook, time.perf_counter() - t0)
            t0 = time.perf_counter()
            dist.all_reduce(flat)
            best_gloo = min(best_gloo, time.perf_counter() - t0)
        print(
            f"bucket {n:>9,} values, K={a.lanes}: hook (worker + PS logic in-process) "
            f"{best_hook * 1e3:8.1f} ms = {n / best_hook:12,.0f} values/s; "
            f"gloo (1 rank) {best_gloo * 1e3:6.2f} ms"
        )
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
