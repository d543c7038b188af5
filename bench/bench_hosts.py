"""Host-agent benchmarks: allreduce goodput through the PS on loopback, and the numpy
pieces (quantization, codec) on their own.

    .venv/bin/python bench/bench_hosts.py [--values 1000000] [--workers 4] [--rounds 2]

Workers and the PS are separate processes (no shared GIL) talking UDP on 127.0.0.1.
Prints one line per figure; docs/hosts.md records a run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import time
from typing import Any

import numpy as np

from inalab.hosts import quantize as qz
from inalab.hosts.config import JobConfig
from inalab.hosts.ps import ParameterServer, PsJob
from inalab.hosts.worker import Worker
from inalab.protocol import codec


def _ps_proc(n: int, ready: Any, stop: Any, port_out: Any) -> None:
    ps = ParameterServer([PsJob(1, n)], ("127.0.0.1", 0))
    port_out.value = ps.address[1]
    ready.set()
    ps.start()
    stop.wait()
    ps.stop()


def _worker_proc(
    rank: int,
    n: int,
    port: int,
    values: int,
    rounds: int,
    lanes: int,
    slots: int,
    q: Any,
    barrier: Any,
) -> None:
    cfg = JobConfig(
        job_id=1, rank=rank, n_workers=n, server=f"127.0.0.1:{port}", local_host="127.0.0.1",
        lanes=lanes, slots=slots, timeout=300.0, rto=0.05, max_rto=0.5, paths=1,
    )  # fmt: skip
    x = np.random.default_rng(rank).standard_normal(values).astype(np.float32)
    with Worker(cfg) as w:
        for _ in range(rounds):
            barrier.wait(60)  # all workers start each round together
            w.allreduce(x)
        q.put([s.as_dict() for s in w.history])


def bench_allreduce(values: int, n: int, rounds: int, lanes: int, slots: int) -> None:
    ctx = mp.get_context("fork")
    ready, stop = ctx.Event(), ctx.Event()
    port = ctx.Value("i", 0)
    ps = ctx.Process(target=_ps_proc, args=(n, ready, stop, port))
    ps.start()
    ready.wait(10)
    q = ctx.Queue()
    barrier = ctx.Barrier(n)
    procs = [
        ctx.Process(
            target=_worker_proc,
            args=(r, n, port.value, values, rounds, lanes, slots, q, barrier),
        )
        for r in range(n)
    ]
    for p in procs:
        p.start()
    results = [q.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    stop.set()
    ps.join()
    for rnd in range(rounds):
        stats = [r[rnd] for r in results]
        gp = [s["goodput"] for s in stats]
        el = [s["elapsed"] for s in stats]
        retx = sum(s["retransmissions"] for s in stats)
        print(
            f"allreduce float32 via PS: {n} workers x {values} values, K={lanes}, "
            f"slots={slots}, round {rnd + 1}: goodput {statistics.mean(gp):,.0f} values/s/worker "
            f"(min {min(gp):,.0f}), {max(el):.2f} s, {retx} retransmissions"
        )


def bench_pieces(values: int, lanes: int, n: int) -> None:
    x = np.random.default_rng(0).standard_normal(values).astype(np.float32)
    t = time.perf_counter()
    blocks = qz.chunk(x, lanes)
    e = qz.block_exponents(blocks)
    q = qz.quantize(blocks, e, n)
    t_q = time.perf_counter() - t
    t = time.perf_counter()
    qz.dequantize(q, e, n)
    t_d = time.perf_counter() - t
    print(f"quantize {values / t_q:,.0f} values/s; dequantize {values / t_d:,.0f} values/s")
    batch = codec.new_batch(blocks.shape[0], lanes)
    batch["values"] = q
    batch["msg_type"] = 1
    t = time.perf_counter()
    raws = codec.encode_batch(batch)
    t_e = time.perf_counter() - t
    t = time.perf_counter()
    codec.decode_batch(raws, lanes)
    t_dc = time.perf_counter() - t
    pk = len(raws)
    print(f"codec batch encode {pk / t_e:,.0f} packets/s; batch decode {pk / t_dc:,.0f} packets/s")
    t = time.perf_counter()
    for r in raws[:20000]:
        codec.decode(r)
    print(f"codec single decode {min(pk, 20000) / (time.perf_counter() - t):,.0f} packets/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--values", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--lanes", type=int, default=64, choices=(32, 64))
    ap.add_argument("--slots", type=int, default=128)
    a = ap.parse_args()
    print(
        f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"python {platform.python_version()}, numpy {np.__version__}"
    )
    bench_pieces(a.values, a.lanes, a.workers)
    bench_allreduce(a.values, a.workers, a.rounds, a.lanes, a.slots)


if __name__ == "__main__":
    main()
