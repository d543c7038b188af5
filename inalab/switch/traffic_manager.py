"""Traffic manager: per egress port, N strict-priority FIFO queues with depth and rate.

As simple_switch ``--priority-queues N``: ``standard_metadata.priority``
chooses the queue, the highest non-empty queue is served first, each queue
holds ``depth`` packets (default 64) and drops at the tail. Rates are in
packets per second: a port rate shapes the port as a whole (all its queues
share it), a (port, priority) rate additionally shapes that one queue.
Ports with no rate at all are "unlimited": the switch runs their egress in
the caller's thread, which keeps single-threaded runs (STF) deterministic.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inalab.switch.control import InvalidRequestError

DEFAULT_DEPTH = 64


@dataclass
class QueueStats:
    enqueued: int = 0
    dropped: int = 0
    dequeued: int = 0


@dataclass(frozen=True)
class Queued:
    item: Any
    enq_us: int
    enq_depth: int


class TrafficManager:
    def __init__(self, priority_queues: int = 1, depth: int = DEFAULT_DEPTH) -> None:
        if priority_queues < 1 or priority_queues > 8:
            raise InvalidRequestError("priority_queues must be 1..8")
        self.nprio = priority_queues
        self.default_depth = depth
        self.depth: dict[tuple[int, int], int] = {}
        self.port_depth: dict[int, int] = {}
        self.port_rate: dict[int, float] = {}
        self.queue_rate: dict[tuple[int, int], float] = {}
        self.default_rate: float | None = None
        self.queues: dict[tuple[int, int], deque[Queued]] = {}
        self.stats: dict[tuple[int, int], QueueStats] = {}
        self.next_port: dict[int, float] = {}
        self.next_queue: dict[tuple[int, int], float] = {}
        self.cv = threading.Condition()
        self.queued = 0
        self.inflight = 0  # dequeued, egress not finished yet

    # ------------------------------------------------------------------ config
    def _prios(self, priority: int | None) -> list[int]:
        if priority is None:
            return list(range(self.nprio))
        if not 0 <= priority < self.nprio:
            raise InvalidRequestError(f"priority {priority} outside 0..{self.nprio - 1}")
        return [priority]

    def set_depth(self, depth: int, port: int | None, priority: int | None) -> None:
        if depth < 1:
            raise InvalidRequestError("queue depth must be >= 1")
        with self.cv:
            if port is None:
                self.default_depth = depth
                self.port_depth.clear()
                self.depth.clear()
                return
            if priority is None:
                self.port_depth[port] = depth
                for q in [q for q in self.depth if q[0] == port]:
                    del self.depth[q]
            else:
                self._prios(priority)
                self.depth[(port, priority)] = depth

    def get_depth(self, port: int, prio: int) -> int:
        d = self.depth.get((port, prio))
        if d is not None:
            return d
        return self.port_depth.get(port, self.default_depth)

    def set_rate(self, pps: float | None, port: int | None, priority: int | None) -> None:
        if pps is not None and pps <= 0:
            raise InvalidRequestError("queue rate must be > 0 packets/s (or None for unlimited)")
        with self.cv:
            if port is None:
                self.default_rate = pps
                self.port_rate.clear()
                self.queue_rate.clear()
            elif priority is None:
                if pps is None:
                    self.port_rate.pop(port, None)
                else:
                    self.port_rate[port] = pps
            else:
                self._prios(priority)
                if pps is None:
                    self.queue_rate.pop((port, priority), None)
                else:
                    self.queue_rate[(port, priority)] = pps
            self.cv.notify_all()

    def unlimited(self, port: int) -> bool:
        if self.default_rate is None and not self.port_rate and not self.queue_rate:
            return True
        if self.default_rate is not None or port in self.port_rate:
            return False
        return not any(q[0] == port for q in self.queue_rate)

    def _port_rate(self, port: int) -> float | None:
        return self.port_rate.get(port, self.default_rate)

    # ------------------------------------------------------------------ queues
    def queue_index(self, priority: int) -> int:
        return min(max(priority, 0), self.nprio - 1)

    def stat(self, port: int, prio: int) -> QueueStats:
        s = self.stats.get((port, prio))
        if s is None:
            s = self.stats[(port, prio)] = QueueStats()
        return s

    def depth_now(self, port: int, prio: int) -> int:
        q = self.queues.get((port, prio))
        return len(q) if q else 0

    def enqueue(self, port: int, prio: int, item: Any, now_us: int) -> int | None:
        """Queue ``item``; returns enq depth, or None when tail-dropped."""
        with self.cv:
            key = (port, prio)
            q = self.queues.get(key)
            if q is None:
                q = self.queues[key] = deque()
            st = self.stat(port, prio)
            if len(q) >= self.get_depth(port, prio):
                st.dropped += 1
                return None
            depth = len(q)
            q.append(Queued(item, now_us, depth))
            st.enqueued += 1
            self.queued += 1
            self.cv.notify_all()
            return depth

    def count_inline(self, port: int, prio: int) -> None:
        # called under the switch's lock; the scheduler never touches inline ports
        st = self.stats.get((port, prio))
        if st is None:
            st = self.stat(port, prio)
        st.enqueued += 1
        st.dequeued += 1

    def dequeue(self, stop: threading.Event) -> tuple[int, int, Queued, int] | None:
        """Block until a packet may leave; (port, prio, queued, depth after) or None on stop."""
        with self.cv:
            while not stop.is_set():
                now = time.monotonic()
                wake = now + 0.5
                for port in sorted({k[0] for k, q in self.queues.items() if q}):
                    pn = self.next_port.get(port, 0.0)
                    if pn > now:
                        wake = min(wake, pn)
                        continue
                    for prio in range(self.nprio - 1, -1, -1):
                        q = self.queues.get((port, prio))
                        if not q:
                            continue
                        qn = self.next_queue.get((port, prio), 0.0)
                        if qn > now:
                            wake = min(wake, qn)
                            continue
                        qi = q.popleft()
                        self.queued -= 1
                        self.inflight += 1
                        self.stat(port, prio).dequeued += 1
                        pr = self._port_rate(port)
                        if pr is not None:
                            self.next_port[port] = max(pn, now - 1.0 / pr) + 1.0 / pr
                        qr = self.queue_rate.get((port, prio))
                        if qr is not None:
                            self.next_queue[(port, prio)] = max(qn, now - 1.0 / qr) + 1.0 / qr
                        return port, prio, qi, len(q)
                self.cv.wait(max(0.0, wake - time.monotonic()))
            return None

    def done(self) -> None:
        """The scheduler finished the egress of a dequeued packet."""
        with self.cv:
            self.inflight -= 1

    def idle(self) -> bool:
        return self.queued == 0 and self.inflight == 0

    def drain(self, fn: Callable[[Any], None]) -> None:
        with self.cv:
            for q in self.queues.values():
                while q:
                    fn(q.popleft().item)
            self.queued = 0
