"""The ring baseline over real TCP sockets on loopback, ranks as threads."""

from __future__ import annotations

import socket
import threading
from typing import Any

import numpy as np

from inalab.scenarios.ring import ring_allreduce


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _ring(xs: list[Any]) -> list[Any]:
    hosts = [f"127.0.0.1:{p}" for p in _free_ports(len(xs))]
    out: list[Any] = [None] * len(xs)

    def rank(r: int) -> None:
        out[r] = ring_allreduce(xs[r], r, hosts, timeout=20)

    threads = [threading.Thread(target=rank, args=(r,)) for r in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_ring_allreduce_sums_on_every_rank() -> None:
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal(1001).astype(np.float32) for _ in range(4)]
    want = np.sum(np.stack(xs).astype(np.float64), axis=0)
    results = _ring(xs)
    for total, elapsed, sent in results:
        assert np.allclose(total, want, atol=1e-5)
        assert elapsed >= 0
        # 2 (n-1) chunks of about a quarter each: 1.5 x the array's bytes
        assert 0.9 * 1.5 * 1001 * 4 < sent < 1.1 * 1.5 * 1001 * 4


def test_ring_of_one_is_the_input() -> None:
    x = np.arange(5, dtype=np.float32)
    total, elapsed, sent = ring_allreduce(x, 0, ["127.0.0.1"])
    assert np.array_equal(total, x) and sent == 0 and elapsed == 0
