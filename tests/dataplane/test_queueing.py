"""Importance-aware queueing: the ingress early drop on per-(queue, class) thresholds of
its virtual queues, and ECN marking in egress on per-(port, class) thresholds of the
real enq_qdepth (p4src/include/queue_management.p4)."""

from __future__ import annotations

import numpy as np

from inalab.protocol import format as fmt
from inalab.protocol.format import Importance

from .harness import Rig
from .packets import SWITCH_MAC, contribution, ethernet, host_ip, host_mac, ip, ipv4, udp

DST = ip("10.1.0.7")  # routed to port OUT
OTHER_DST = ip("10.2.0.7")  # routed to port OTHER
OUT, OTHER = 4, 5
OUT_MAC, OTHER_MAC = 0x02_00_00_01_00_07, 0x02_00_00_02_00_07
SECOND = 1_000_000  # us: a service time no test outlasts, so virtual queues only grow
BURST = 12
QUEUE_PORTS = 512  # sizes.p4 INA_PORTS: multicast group g has virtual queue 512 + g


def _frame(sport: int, cls: Importance, dst: int = DST, ttl: int = 64) -> bytes:
    payload = udp(sport, 9000, b"g" * 64)
    return (
        ethernet(SWITCH_MAC, host_mac(1), fmt.ETHERTYPE_IPV4)
        + ipv4(host_ip(1), dst, fmt.IP_PROTO_UDP, len(payload), dscp=fmt.IMPORTANCE_DSCP[cls])
        + payload
    )


def _forwarded(sport: int, cls: Importance, dst: int, dmac: int) -> bytes:
    """What the switch sends for _frame(sport, cls, dst): next-hop MACs, TTL 63, new checksum."""
    payload = udp(sport, 9000, b"g" * 64)
    return (
        ethernet(dmac, SWITCH_MAC, fmt.ETHERTYPE_IPV4)
        + ipv4(
            host_ip(1), dst, fmt.IP_PROTO_UDP, len(payload),
            dscp=fmt.IMPORTANCE_DSCP[cls], ttl=63,
        )
        + payload
    )  # fmt: skip


def _rig(priority_queues: int = 8) -> Rig:
    rig = Rig(priority_queues=priority_queues)
    rig.route(ip("10.1.0.0"), 16, OUT, OUT_MAC)
    rig.route(ip("10.2.0.0"), 16, OTHER, OTHER_MAC)
    for cls, dscp in fmt.IMPORTANCE_DSCP.items():
        rig.importance(dscp, cls)
    return rig


def _wait(threshold: int, service_us: int = SECOND) -> int:
    """The controller's drop_wait_us for a threshold in packets (see network.py)."""
    return threshold * service_us + 1


def _send_one_by_one(
    rig: Rig, cls: Importance, n: int, dst: int = DST, sport: int = 2000
) -> list[list[tuple[int, bytes]]]:
    return [rig.send(1, _frame(sport + i, cls, dst)) for i in range(n)]


def test_dropped_at_ingress_at_or_above_the_threshold_forwarded_below() -> None:
    """Threshold 2: a packet finding 2 or more packets waiting (the one in service not
    counted, as enq_qdepth) is dropped; the ones before leave byte for byte."""
    rig = _rig()
    rig.admission(Importance.LOW, SECOND, _wait(2))
    outs = _send_one_by_one(rig, Importance.LOW, 5)
    # 1st: empty queue; 2nd: 0 waiting (1st in service); 3rd: 1 waiting; 4th, 5th: >= 2
    assert outs[:3] == [
        [(OUT, _forwarded(2000 + i, Importance.LOW, DST, OUT_MAC))] for i in range(3)
    ]
    assert outs[3:] == [[], []]
    assert rig.counter("queue_drop_counter", Importance.LOW) == 2
    # counted by class only, not as an ingress drop reason
    assert sum(rig.counter("ina_drop_counter", r) for r in range(16)) == 0


def test_another_ports_queue_does_not_count() -> None:
    rig = _rig()
    rig.admission(Importance.LOW, SECOND, _wait(1))
    assert [len(o) for o in _send_one_by_one(rig, Importance.LOW, 4)] == [1, 1, 0, 0]
    # OTHER's virtual queue is empty: its packets go as if OUT were idle
    outs = _send_one_by_one(rig, Importance.LOW, 2, dst=OTHER_DST, sport=3000)
    assert outs == [
        [(OTHER, _forwarded(3000 + i, Importance.LOW, OTHER_DST, OTHER_MAC))] for i in range(2)
    ]
    assert rig.counter("queue_drop_counter", Importance.LOW) == 2


def test_dropped_packets_do_not_lengthen_the_queue() -> None:
    """An early drop takes no departure slot: after drops, a class with a higher
    threshold still sees only the packets that were admitted."""
    rig = _rig()
    rig.admission(Importance.LOW, SECOND, _wait(1))
    rig.admission(Importance.CRITICAL, SECOND, _wait(2))
    assert [len(o) for o in _send_one_by_one(rig, Importance.LOW, 6)] == [1, 1, 0, 0, 0, 0]
    # 2 admitted (1 in service, 1 waiting): CRITICAL gets one more place, not zero
    crit = _send_one_by_one(rig, Importance.CRITICAL, 3, sport=4000)
    assert [len(o) for o in crit] == [1, 0, 0]
    assert crit[0] == [(OUT, _forwarded(4000, Importance.CRITICAL, DST, OUT_MAC))]


def test_per_port_override_beats_the_wildcard_default() -> None:
    rig = _rig()
    rig.admission(Importance.LOW, SECOND, _wait(1))  # every port: threshold 1
    rig.admission(Importance.LOW, SECOND, _wait(4), queue=OTHER)  # OTHER: 4
    assert [len(o) for o in _send_one_by_one(rig, Importance.LOW, 6)] == [1, 1, 0, 0, 0, 0]
    other = _send_one_by_one(rig, Importance.LOW, 7, dst=OTHER_DST, sport=3000)
    assert [len(o) for o in other] == [1, 1, 1, 1, 1, 0, 0]
    assert rig.counter("queue_drop_counter", Importance.LOW) == 4 + 2


def test_classes_without_an_entry_are_never_dropped_early_and_counters_are_per_class() -> None:
    rig = _rig()
    rig.admission(Importance.LOW, SECOND, _wait(1))
    rig.admission(Importance.NORMAL, SECOND, _wait(1))
    assert [len(o) for o in _send_one_by_one(rig, Importance.LOW, 3)] == [1, 1, 0]
    assert [len(o) for o in _send_one_by_one(rig, Importance.NORMAL, 3)] == [0, 0, 0]
    high = _send_one_by_one(rig, Importance.HIGH, 4, sport=5000)
    assert high == [[(OUT, _forwarded(5000 + i, Importance.HIGH, DST, OUT_MAC))] for i in range(4)]
    counts = [rig.counter("queue_drop_counter", c) for c in Importance]
    assert counts == [1, 3, 0, 0]


def _mixed_burst(rig: Rig, n: int) -> list[bytes]:
    """n packets to OUT at once, alternating LOW and CRITICAL; the frames delivered."""
    rig.collect()
    for i in range(n):
        cls = Importance.CRITICAL if i % 2 else Importance.LOW
        rig.sw.receive(1, _frame(6000 + i, cls))
    return [d for port, d in rig.collect(timeout=30.0) if port == OUT]


def _critical_share(frames: list[bytes]) -> tuple[int, float]:
    crit = sum(1 for d in frames if d[15] >> 2 == fmt.IMPORTANCE_DSCP[Importance.CRITICAL])
    return crit, crit / len(frames)


def test_early_drop_gives_the_high_class_a_larger_share_of_a_slow_port() -> None:
    """Traffic manager level: one FIFO (no priority queues) at 200 packets/s, depth 8,
    a burst of 60 mixed packets. Tail drop alone delivers the first arrivals,
    half of them LOW; with LOW dropped early from 2 waiting packets, the queue's
    places and departure slots go to CRITICAL."""
    rate, depth, n = 200.0, 8, 60
    service = int(1e6 / rate)

    def run(early: bool) -> list[bytes]:
        rig = _rig(priority_queues=1)
        rig.sw.set_queue_rate(rate, port=OUT)
        rig.sw.set_queue_depth(depth, port=OUT)
        if early:
            rig.admission(Importance.LOW, service, _wait(2, service))
            rig.admission(Importance.CRITICAL, service, _wait(depth, service))
        out = _mixed_burst(rig, n)
        rig.close()
        return out

    tail = run(early=False)
    early = run(early=True)
    tail_crit, tail_share = _critical_share(tail)
    early_crit, early_share = _critical_share(early)
    assert 0.3 < tail_share < 0.7, tail_share  # tail drop is blind to the class
    assert early_share >= 0.7, early_share
    assert early_crit > tail_crit


def test_ecn_marked_above_the_ports_threshold_override_beats_default() -> None:
    rig = _rig()
    rig.sw.set_queue_rate(100.0, port=OUT)  # 10 ms per packet: a burst queues up
    rig.ecn_threshold(Importance.NORMAL, 1000)  # default: never
    rig.ecn_threshold(Importance.NORMAL, 2, port=OUT)

    def burst(ecn: int) -> list[bytes]:
        rig.collect()
        for i in range(BURST):
            payload = udp(2000 + i, 9000, b"g" * 64)
            dscp = fmt.IMPORTANCE_DSCP[Importance.NORMAL]
            rig.sw.receive(
                1,
                ethernet(SWITCH_MAC, host_mac(1), fmt.ETHERTYPE_IPV4)
                + ipv4(host_ip(1), DST, fmt.IP_PROTO_UDP, len(payload), dscp=dscp, ecn=ecn)
                + payload,
            )
        return [d for _, d in rig.collect()]

    out = burst(fmt.ECN_ECT0)
    assert len(out) == BURST
    ecn = [d[15] & 3 for d in out]
    assert ecn[0] == fmt.ECN_ECT0
    marked = ecn.count(fmt.ECN_CE)
    assert marked > 0
    assert rig.counter("ecn_mark_counter", Importance.NORMAL) == marked
    # not ECN-capable: never marked
    plain = burst(fmt.ECN_NOT_ECT)
    assert all(d[15] & 3 == fmt.ECN_NOT_ECT for d in plain)
    # the default (1000) applies on OTHER: no marks there
    rig.sw.set_queue_rate(100.0, port=OTHER)
    rig.collect()
    for i in range(BURST):
        rig.sw.receive(1, _frame(7000 + i, Importance.NORMAL, dst=OTHER_DST))
    assert all(d[15] & 3 == fmt.ECN_ECT0 for _, d in rig.collect())


def test_multicast_results_use_their_groups_queue() -> None:
    """A completed slot's result is multicast: its early drop uses the group's virtual
    queue (INA_PORTS + group), not a port's; the slot stays complete for a retry."""
    rig = Rig()
    rig.rack(1, [1, 2], mcast=1)  # results are NORMAL (no importance_class entries)
    rig.admission(Importance.NORMAL, SECOND, _wait(1), queue=QUEUE_PORTS + 1)
    rig.admission(Importance.NORMAL, SECOND, _wait(100), queue=2)  # a port's: not used
    results = []
    for slot in range(4):
        rows = [np.full(32, slot + w, dtype=np.int32) for w in range(2)]
        assert rig.send(1, contribution(0, rows[0], slot=slot, seq=slot)) == []
        out = rig.send(2, contribution(1, rows[1], slot=slot, seq=slot))
        results.append(sorted(p for p, _ in out))
    assert results == [[1, 2], [1, 2], [], []]
    assert rig.counter("queue_drop_counter", Importance.NORMAL) == 2
