"""Test helper: n workers and an Aggregator in one process, with seeded loss, duplication
and ECN marking between them (real Worker and Aggregator code, no sockets)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from inalab.hosts.config import JobConfig
from inalab.hosts.ps import Aggregator, PsJob
from inalab.hosts.transport import QueueTransport
from inalab.hosts.worker import Worker
from inalab.protocol import codec

Address = tuple[str, int]


class Hub:
    def __init__(
        self,
        jobs: list[PsJob],
        loss: float = 0.0,
        seed: int = 0,
        duplicate: bool = False,
        mark_ce: bool = False,
        silent: frozenset[int] = frozenset(),
        drop_if: Callable[[int, dict[str, int]], bool] | None = None,
    ) -> None:
        self.agg = Aggregator.for_jobs(jobs)
        self.loss = loss
        self.rng = random.Random(seed)
        self.duplicate = duplicate
        self.mark_ce = mark_ce
        self.silent = silent  # ranks whose packets all vanish
        self.drop_if = drop_if  # (rank, header) -> drop this contribution
        self.lock = threading.Lock()
        self.inboxes: dict[Address, QueueTransport] = {}
        self.seen: list[tuple[int, int, int, dict[str, int]]] = []  # (rank, tos, path, header)

    def transport(self, rank: int, paths: int = 1) -> QueueTransport:
        addr = ("worker", rank)

        def deliver(payload: bytes, tos: int, path: int) -> None:
            self._deliver(addr, rank, payload, tos, path)

        t = QueueTransport(deliver, paths)
        self.inboxes[addr] = t
        return t

    def _deliver(self, src: Address, rank: int, payload: bytes, tos: int, path: int) -> None:
        with self.lock:
            hdr = codec.decode(payload).header()
            self.seen.append((rank, tos, path, hdr))
            if rank in self.silent or self.rng.random() < self.loss:
                return
            if self.drop_if is not None and self.drop_if(rank, hdr):
                return
            for dst, out in self.agg.handle(payload, src, ce=self.mark_ce):
                if self.rng.random() < self.loss:
                    continue
                self.inboxes[dst].put(out)
                if self.duplicate:
                    self.inboxes[dst].put(out)


def run_workers(
    hub: Hub,
    cfg: JobConfig,
    arrays: list[np.ndarray],
    ranks: list[int] | None = None,
    rounds: int = 1,
    before: Callable[[Worker], None] | None = None,
) -> dict[int, Any]:
    """Each rank in its own thread calls allreduce ``rounds`` times; returns per rank
    (outputs list, stats list) or the exception it raised."""
    ranks = list(range(cfg.n_workers)) if ranks is None else ranks
    out: dict[int, Any] = {}

    def one(r: int) -> None:
        w = Worker(replace(cfg, rank=r), hub.transport(r, cfg.paths))
        if before is not None:
            before(w)
        try:
            res = [w.allreduce(arrays[r]) for _ in range(rounds)]
            out[r] = (res, list(w.history))
        except Exception as e:
            out[r] = e

    threads = [threading.Thread(target=one, args=(r,)) for r in ranks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return out
