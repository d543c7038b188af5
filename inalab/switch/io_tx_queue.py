"""A transmit thread for the interface ports.

``send()`` on an ``AF_PACKET`` socket bound to a veth does the peer's whole
receive path (the frame crosses into the other namespace's stack) inside the
system call: measured on the INA program over Mininet, about a quarter of the
switch's time. Python releases the GIL for the call, so a thread of its own can
hand frames to the kernel while the receive thread parses and runs the pipeline
on the next packet, on the other core.

Frames leave in the order they were queued (one queue for every port, so the
order between ports is kept too). The queue is bounded like a NIC's transmit
ring: beyond :data:`TX_QUEUE_FRAMES` frames waiting, new ones are dropped and
counted (:attr:`TxQueue.dropped`), never blocking the pipeline.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable

log = logging.getLogger("inalab.switch.ports")

# Frames waiting for the kernel at most. The traffic manager's queues (64
# packets per port and priority by default, as bmv2) are where congestion
# shows; this only has to absorb a burst of multicast copies on a few ports
# while the transmit thread waits for a core: 4096 frames of up to 1.5 kB is
# at most 6 MB.
TX_QUEUE_FRAMES = 4096

Send = Callable[[bytes], None]


class TxQueue:
    """``put(send, frame)`` returns at once; a thread calls ``send(frame)`` in order."""

    def __init__(self, limit: int = TX_QUEUE_FRAMES, name: str = "inalab-ports-tx") -> None:
        self.limit = limit
        self.dropped = 0
        self._q: collections.deque[tuple[Send, bytes]] = collections.deque()
        self._cv = threading.Condition(threading.Lock())
        self._idle = False
        self._running = True
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, send: Send, frame: bytes) -> None:
        if len(self._q) >= self.limit or not self._running:
            self.dropped += 1
            return
        self._q.append((send, frame))
        # The thread sets _idle under the lock and then looks at the queue again
        # before it waits, so an append it cannot have seen always finds _idle set.
        if self._idle:
            with self._cv:
                self._cv.notify()

    def _run(self) -> None:
        q = self._q
        while True:
            try:
                send, frame = q.popleft()
            except IndexError:
                with self._cv:
                    if not self._running:
                        return
                    self._idle = True
                    if not q:
                        self._cv.wait(1.0)
                    self._idle = False
                continue
            try:
                send(frame)
            except Exception:  # a port's transmit counts its own errors; never die
                log.exception("transmit failed")

    def pending(self) -> int:
        return len(self._q)

    def close(self, timeout: float = 2.0) -> None:
        """Send what is queued (for up to ``timeout`` s), then stop the thread."""
        with self._cv:
            self._running = False
            self._cv.notify()
        self._thread.join(timeout)
