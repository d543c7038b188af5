"""Workers over real UDP sockets on loopback to the real PS, through a lossy relay."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from inalab.hosts import quantize as qz
from inalab.hosts.config import JobConfig
from inalab.hosts.ps import ParameterServer, PsJob
from inalab.hosts.transport import UdpTransport
from inalab.hosts.worker import Worker

from .relay import LossyRelay

N = 4


def run(cfg: JobConfig, arrays: list[np.ndarray]) -> dict[int, Any]:
    out: dict[int, Any] = {}

    def one(r: int) -> None:
        try:
            with Worker(JobConfig.from_dict({**cfg.__dict__, "rank": r})) as w:
                out[r] = (w.allreduce(arrays[r]), w.last_stats)
        except Exception as e:
            out[r] = e

    ts = [threading.Thread(target=one, args=(r,)) for r in range(cfg.n_workers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=120)
    for r, v in out.items():
        if isinstance(v, BaseException):
            raise AssertionError(f"rank {r}: {v!r}")
    assert len(out) == cfg.n_workers
    return out


def job(server: tuple[str, int], **kw: Any) -> JobConfig:
    base: dict[str, Any] = dict(
        job_id=11, rank=0, n_workers=N, server=f"{server[0]}:{server[1]}",
        local_host="127.0.0.1", slots=32, rto=0.02, max_rto=0.2, timeout=60.0, paths=2,
    )  # fmt: skip
    base.update(kw)
    return JobConfig.from_dict(base)


def test_udp_transport_sends_from_distinct_source_ports() -> None:
    import socket

    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    t = UdpTransport(sink.getsockname(), paths=3, local_host="127.0.0.1")
    ports = set()
    for i in range(3):
        t.send(b"x", tos=0, path=i)
        ports.add(sink.recvfrom(10)[1][1])
    assert ports == set(t.local_ports) and len(ports) == 3
    sink.sendto(b"back", ("127.0.0.1", t.local_ports[2]))
    assert t.recv(1.0) == b"back"
    assert t.recv(0.01) is None
    t.close()
    sink.close()


@pytest.mark.integration
def test_int32_exact_with_ten_percent_loss_both_ways_and_no_loss_bound() -> None:
    rng = np.random.default_rng(21)
    xs = [rng.integers(-(2**24), 2**24, 5_000, dtype=np.int32) for _ in range(N)]
    with (
        ParameterServer([PsJob(11, N)], ("127.0.0.1", 0)) as ps,
        LossyRelay(ps.address, 0.1, seed=1) as relay,
    ):
        res = run(job(relay.address), xs)
    assert relay.dropped[0] > 0 and relay.dropped[1] > 0
    want = np.sum(xs, axis=0, dtype=np.int32)
    for r in range(N):
        out, st = res[r]
        assert np.array_equal(out, want)
        assert st.exact == st.blocks and st.retransmissions > 0


@pytest.mark.integration
def test_float32_within_bound_with_ten_percent_loss() -> None:
    rng = np.random.default_rng(22)
    xs = [rng.standard_normal(5_000).astype(np.float32) for _ in range(N)]
    with (
        ParameterServer([PsJob(11, N)], ("127.0.0.1", 0)) as ps,
        LossyRelay(ps.address, 0.1, seed=2) as relay,
    ):
        res = run(job(relay.address), xs)
    agreed = np.max([qz.block_exponents(qz.chunk(x, 32)) for x in xs], axis=0)
    exact = np.sum(np.array(xs, dtype=np.float64), axis=0)
    bound = np.repeat(qz.error_bound(agreed, N), 32)[: exact.size] + np.abs(exact) * 2.0**-23
    for r in range(N):
        out, st = res[r]
        assert np.all(np.abs(out - exact) <= bound)
        assert st.exact == st.blocks


@pytest.mark.integration
def test_loss_bound_finishes_on_time_and_within_bound() -> None:
    rng = np.random.default_rng(23)
    xs = [rng.integers(-1000, 1000, 32 * 400, dtype=np.int32) for _ in range(N)]
    deadline, bound, grace = 0.3, 0.5, 0.05
    cfg = job(("x", 1), deadline=deadline, loss_bound=bound, grace=grace, slots=64, timeout=20.0)
    with (
        ParameterServer([PsJob(11, N)], ("127.0.0.1", 0)) as ps,
        LossyRelay(ps.address, 0.1, seed=3) as relay,
    ):
        cfg = JobConfig.from_dict({**cfg.__dict__, "server": f"127.0.0.1:{relay.address[1]}"})
        t0 = time.monotonic()
        res = run(cfg, xs)
        took = time.monotonic() - t0
    want = np.sum(xs, axis=0, dtype=np.int32).reshape(-1, 32)
    lossy_total = 0
    for r in range(N):
        out, st = res[r]
        budget = int(bound * st.packets)
        # a worker gives up at most its budget (a flush answered by a complete result is
        # refunded); partials its peers closed are final for all
        assert st.partial + st.missing <= N * budget
        lossy_total += st.partial + st.missing
        blocks = out.reshape(-1, 32)
        assert np.all(blocks == want, axis=1).sum() >= st.exact
    assert lossy_total > 0, "10% loss and a 0.3 s deadline: some block should be given up"
    assert took < 6.0, f"round took {took:.2f} s with a {deadline} s deadline"
