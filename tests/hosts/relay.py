"""Test helper: a seeded lossy UDP relay between workers and the PS (drops both ways)."""

from __future__ import annotations

import random
import select
import socket
import threading

Address = tuple[str, int]


class LossyRelay:
    """Workers send to :attr:`address`; each worker gets its own upstream socket towards
    ``target`` so replies find their way back. Drops each datagram with probability
    ``loss`` in each direction (seeded, reproducible for a given arrival order)."""

    def __init__(self, target: Address, loss: float, seed: int) -> None:
        self.target = target
        self.loss = loss
        self.rng = random.Random(seed)
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.front.bind(("127.0.0.1", 0))
        self.up: dict[Address, socket.socket] = {}
        self.back: dict[socket.socket, Address] = {}
        self.dropped = [0, 0]  # to PS, to workers
        self.forwarded = [0, 0]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def address(self) -> Address:
        host, port = self.front.getsockname()
        return host, port

    def _run(self) -> None:
        while not self._stop.is_set():
            socks = [self.front, *self.back]
            ready, _, _ = select.select(socks, [], [], 0.05)
            for s in ready:
                data, src = s.recvfrom(65535)
                if s is self.front:
                    up = self.up.get(src)
                    if up is None:
                        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        up.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
                        up.bind(("127.0.0.1", 0))
                        self.up[src] = up
                        self.back[up] = src
                    if self.rng.random() < self.loss:
                        self.dropped[0] += 1
                    else:
                        self.forwarded[0] += 1
                        up.sendto(data, self.target)
                else:
                    if self.rng.random() < self.loss:
                        self.dropped[1] += 1
                    else:
                        self.forwarded[1] += 1
                        self.front.sendto(data, self.back[s])

    def __enter__(self) -> LossyRelay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for s in [self.front, *self.back]:
            s.close()
