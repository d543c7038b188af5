"""The interface ports' transmit thread: order, bound, drain on close."""

from __future__ import annotations

import threading
from collections.abc import Callable

from inalab.switch.io_tx_queue import TxQueue


def test_frames_leave_in_order_across_ports_and_close_drains() -> None:
    sent: list[tuple[str, bytes]] = []

    def port(name: str) -> Callable[[bytes], None]:
        return lambda frame: sent.append((name, frame))

    a, b = port("a"), port("b")
    q = TxQueue()
    try:
        for i in range(2000):
            q.put(a if i % 3 else b, i.to_bytes(2, "big"))
    finally:
        q.close()
    assert [int.from_bytes(f, "big") for _, f in sent] == list(range(2000))
    assert q.dropped == 0 and q.pending() == 0


def test_a_full_queue_drops_and_counts_instead_of_blocking() -> None:
    gate = threading.Event()
    sent: list[bytes] = []

    def slow(frame: bytes) -> None:
        gate.wait(10)
        sent.append(frame)

    q = TxQueue(limit=5)
    try:
        for i in range(20):
            q.put(slow, bytes([i]))
        # one frame is in the thread's hands, five wait; the rest were dropped
        assert q.dropped >= 14 and q.pending() <= 5
    finally:
        gate.set()
        q.close()
    assert len(sent) == 20 - q.dropped
    assert sent == sorted(sent)


def test_a_failing_send_does_not_stop_the_thread() -> None:
    sent: list[bytes] = []

    def flaky(frame: bytes) -> None:
        if frame == b"x":
            raise OSError("boom")
        sent.append(frame)

    q = TxQueue()
    try:
        for f in (b"a", b"x", b"b"):
            q.put(flaky, f)
    finally:
        q.close()
    assert sent == [b"a", b"b"]


def test_put_after_close_is_dropped() -> None:
    q = TxQueue()
    q.close()
    q.put(lambda f: None, b"late")
    assert q.dropped == 1
