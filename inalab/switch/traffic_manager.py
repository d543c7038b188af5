"""Traffic manager: per egress port, N strict-priority FIFO queues with depth and rate.

As simple_switch ``--priority-queues N`` (bmv2's ``QueueingLogicPriRL``):
``standard_metadata.priority`` chooses the queue and the highest non-empty
queue whose head may leave is served first; each queue holds ``depth``
packets (default 64) and drops at the tail; each queue is shaped at its own
rate in packets per second (``set_queue_rate(pps, port)`` gives every
priority queue of the port that rate, as bmv2's ``set_queue_rate``); a
packet's departure time is fixed when it is queued (``max(now, previous +
1/rate)``). ``enq_qdepth`` / ``deq_qdepth`` count all priority queues of
the port, as bmv2's ``size(port)``.

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
    send: float  # monotonic time at which the packet may leave


class TrafficManager:
    def __init__(self, priority_queues: int = 1, depth: int = DEFAULT_DEPTH) -> None:
        if priority_queues < 1 or priority_queues > 8:
            raise InvalidRequestError("priority_queues must be 1..8")
        self.nprio = priority_queues
        self.default_depth = depth
        self.depth: dict[tuple[int, int], int] = {}
        self.port_depth: dict[int, int] = {}
        self.default_rate: float | None = None
        self.port_rate: dict[int, float | None] = {}
        self.queue_rate: dict[tuple[int, int], float | None] = {}
        self.queues: dict[tuple[int, int], deque[Queued]] = {}
        self.port_size: dict[int, int] = {}
        self.last_sent: dict[tuple[int, int], float] = {}
        self.stats: dict[tuple[int, int], QueueStats] = {}
        self.cv = threading.Condition()
        self.queued = 0
        self.inflight = 0  # dequeued, egress not finished yet

    # ------------------------------------------------------------------ config
    def _check_prio(self, priority: int) -> None:
        if not 0 <= priority < self.nprio:
            raise InvalidRequestError(f"priority {priority} outside 0..{self.nprio - 1}")

    def set_depth(self, depth: int, port: int | None, priority: int | None) -> None:
        if depth < 1:
            raise InvalidRequestError("queue depth must be >= 1")
        with self.cv:
            if port is None:
                self.default_depth = depth
                self.port_depth.clear()
                self.depth.clear()
            elif priority is None:
                self.port_depth[port] = depth
                for q in [q for q in self.depth if q[0] == port]:
                    del self.depth[q]
            else:
                self._check_prio(priority)
                self.depth[(port, priority)] = depth

    def get_depth(self, port: int, prio: int) -> int:
        d = self.depth.get((port, prio))
        if d is not None:
            return d
        return self.port_depth.get(port, self.default_depth)

    def set_rate(self, pps: float | None, port: int | None, priority: int | None) -> None:
        """Packets per second for every queue (port None), a port's queues, or one queue."""
        if pps is not None and pps <= 0:
            raise InvalidRequestError("queue rate must be > 0 packets/s (or None for unlimited)")
        with self.cv:
            if port is None:
                self.default_rate = pps
                self.port_rate.clear()
                self.queue_rate.clear()
            elif priority is None:
                self.port_rate[port] = pps
                for q in [q for q in self.queue_rate if q[0] == port]:
                    del self.queue_rate[q]
            else:
                self._check_prio(priority)
                self.queue_rate[(port, priority)] = pps
            self.cv.notify_all()

    def rate(self, port: int, prio: int) -> float | None:
        key = (port, prio)
        if key in self.queue_rate:
            return self.queue_rate[key]
        if port in self.port_rate:
            return self.port_rate[port]
        return self.default_rate

    def unlimited(self, port: int) -> bool:
        """No queue of ``port`` is rate limited (its egress may run inline)."""
        if self.default_rate is None and not self.port_rate and not self.queue_rate:
            return True
        return all(self.rate(port, p) is None for p in range(self.nprio))

    # ------------------------------------------------------------------ queues
    def stat(self, port: int, prio: int) -> QueueStats:
        s = self.stats.get((port, prio))
        if s is None:
            s = self.stats[(port, prio)] = QueueStats()
        return s

    def depth_now(self, port: int) -> int:
        return self.port_size.get(port, 0)

    def enqueue(self, port: int, prio: int, item: Any, now_us: int) -> int | None:
        """Queue ``item``; returns the enqueue depth (port total), or None when tail-dropped."""
        with self.cv:
            key = (port, prio)
            q = self.queues.get(key)
            if q is None:
                q = self.queues[key] = deque()
            st = self.stat(port, prio)
            if len(q) >= self.get_depth(port, prio):
                st.dropped += 1
                return None
            depth = self.port_size.get(port, 0)
            now = time.monotonic()
            r = self.rate(port, prio)
            send = now if r is None else max(now, self.last_sent.get(key, 0.0) + 1.0 / r)
            self.last_sent[key] = send
            q.append(Queued(item, now_us, depth, send))
            self.port_size[port] = depth + 1
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
        """Block until a packet may leave: (port, prio, queued, port depth after), or None on stop.

        Highest priority first; within a priority, the earliest departure time."""
        with self.cv:
            while not stop.is_set():
                now = time.monotonic()
                wake = now + 0.5
                for prio in range(self.nprio - 1, -1, -1):
                    best: tuple[int, int] | None = None
                    best_send = 0.0
                    for key, q in self.queues.items():
                        if key[1] != prio or not q:
                            continue
                        s = q[0].send
                        if s <= now and (best is None or s < best_send):
                            best, best_send = key, s
                        elif s > now:
                            wake = min(wake, s)
                    if best is not None:
                        qi = self.queues[best].popleft()
                        port = best[0]
                        self.port_size[port] -= 1
                        self.queued -= 1
                        self.inflight += 1
                        self.stat(port, prio).dequeued += 1
                        return port, prio, qi, self.port_size[port]
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
            self.port_size.clear()
            self.queued = 0
