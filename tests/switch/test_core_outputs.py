"""Outputs leave the switch core after its lock is released: chained cores
(a transmit handler calling another core's receive) cannot deadlock, and each
port still sees its frames in pipeline order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from inalab.switch.control import ActionCall, ExactKey
from inalab.switch.core import Switch

from .bmv2json import forward_program

N = 300


def forwarding_switch(routes: dict[int, int]) -> Switch:
    """A core whose ``fwd`` table sends h.a == key to port routes[key]."""
    sw = Switch()
    sw.load_program(forward_program().build())
    for a, port in routes.items():
        sw.table_add("fwd", [ExactKey(a)], ActionCall("set_port", (port,)))
    return sw


def frame(a: int, seq: int) -> bytes:
    return bytes([a, 0]) + seq.to_bytes(2, "big")


def run_threads(*targets: Callable[[], None]) -> list[threading.Thread]:
    """Run the targets together (released at once by a barrier); join with a deadline."""
    start = threading.Barrier(len(targets))

    def go(t: Callable[[], None]) -> None:
        start.wait()
        t()

    ts = [threading.Thread(target=go, args=(t,), daemon=True) for t in targets]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=20)
    return ts


def test_two_cores_chained_both_ways_do_not_deadlock_and_forward_in_order() -> None:
    # A port 2 <-> B port 1. a=1 goes A -> B -> B's port 9; a=2 goes B -> A -> A's port 3.
    a = forwarding_switch({1: 2, 2: 3})
    b = forwarding_switch({1: 9, 2: 1})
    sink_a: list[tuple[int, bytes]] = []
    sink_b: list[tuple[int, bytes]] = []

    def tx_a(port: int, data: bytes) -> None:
        time.sleep(0)  # let the other thread run while this one is mid-delivery
        if port == 2:
            b.receive(1, data)
        else:
            sink_a.append((port, data))

    def tx_b(port: int, data: bytes) -> None:
        time.sleep(0)
        if port == 1:
            a.receive(2, data)
        else:
            sink_b.append((port, data))

    a.set_transmit_handler(tx_a)
    b.set_transmit_handler(tx_b)

    def into_a() -> None:
        for i in range(N):
            a.receive(0, frame(1, i))

    def into_b() -> None:
        for i in range(N):
            b.receive(0, frame(2, i))

    threads = run_threads(into_a, into_b)
    assert not any(t.is_alive() for t in threads), "chained cores deadlocked"
    assert a.wait_idle(5) and b.wait_idle(5)
    assert sink_b == [(9, frame(1, i)) for i in range(N)]
    assert sink_a == [(3, frame(2, i)) for i in range(N)]
    assert a.faults == b.faults == 0


def test_handler_may_reenter_its_own_core() -> None:
    # port 5 is wired back to port 6 of the same core: a=1 -> 5 -> (in on 6) ... a=1 again
    # would loop, so the loop rewrites nothing and the table sends a=7 to 5, a=8 to 4.
    sw = forwarding_switch({7: 5, 8: 4})
    out: list[tuple[int, bytes]] = []

    def tx(port: int, data: bytes) -> None:
        if port == 5:
            sw.receive(6, bytes([8]) + data[1:])  # re-enters the core from its own handler
        else:
            out.append((port, data))

    sw.set_transmit_handler(tx)
    sw.receive(0, frame(7, 1))
    sw.receive(0, frame(7, 2))
    assert out == [(4, frame(8, 1)), (4, frame(8, 2))]


def test_concurrent_receivers_keep_per_port_order() -> None:
    sw = forwarding_switch({1: 1, 2: 2})
    out: dict[int, list[bytes]] = {1: [], 2: []}
    sw.set_transmit_handler(lambda port, data: out[port].append(data))

    def sender(a: int) -> Callable[[], None]:
        def run() -> None:
            for i in range(N):
                sw.receive(0, frame(a, i))

        return run

    threads = run_threads(sender(1), sender(2))
    assert not any(t.is_alive() for t in threads)
    assert sw.wait_idle(5)
    assert out[1] == [frame(1, i) for i in range(N)]
    assert out[2] == [frame(2, i) for i in range(N)]


def test_failing_handler_counts_a_fault_and_later_frames_still_go_out() -> None:
    sw = forwarding_switch({1: 1, 2: 2})
    out: list[int] = []

    def tx(port: int, data: bytes) -> None:
        if port == 1:
            raise RuntimeError("link down")
        out.append(port)

    sw.set_transmit_handler(tx)
    sw.receive(0, frame(1, 0))
    sw.receive(0, frame(2, 0))
    assert sw.faults == 1 and out == [2]
