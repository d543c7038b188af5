"""Importance-aware queueing: per-class drop and ECN thresholds on enq_qdepth,
with a rate-limited egress queue so that a burst builds a real queue."""

from __future__ import annotations

from inalab.protocol import format as fmt
from inalab.protocol.format import Importance

from .harness import Rig
from .packets import SWITCH_MAC, ethernet, host_ip, host_mac, ip, ipv4, udp

DST = ip("10.1.0.7")
OUT = 4
BURST = 12


def _frame(sport: int, dscp: int, ecn: int = fmt.ECN_ECT0) -> bytes:
    payload = udp(sport, 9000, b"g" * 64)
    return (
        ethernet(SWITCH_MAC, host_mac(1), fmt.ETHERTYPE_IPV4)
        + ipv4(host_ip(1), DST, fmt.IP_PROTO_UDP, len(payload), dscp=dscp, ecn=ecn)
        + payload
    )


def _rig() -> Rig:
    rig = Rig()
    rig.route(ip("10.1.0.0"), 16, OUT, 0x02_00_00_01_00_07)
    for cls, dscp in fmt.IMPORTANCE_DSCP.items():
        rig.importance(dscp, cls)
    rig.sw.set_queue_rate(100.0, port=OUT)  # 10 ms per packet: a burst queues up
    return rig


def _burst(rig: Rig, cls: Importance, ecn: int = fmt.ECN_ECT0) -> list[bytes]:
    rig.collect()
    for i in range(BURST):
        rig.sw.receive(1, _frame(2000 + i, fmt.IMPORTANCE_DSCP[cls], ecn))
    return [d for _, d in rig.collect()]


def test_low_importance_dropped_first_above_its_threshold() -> None:
    rig = _rig()
    rig.threshold(Importance.LOW, ecn_qdepth=1000, drop_qdepth=3)
    rig.threshold(Importance.CRITICAL, ecn_qdepth=1000, drop_qdepth=100)
    low = _burst(rig, Importance.LOW)
    crit = _burst(rig, Importance.CRITICAL)
    assert 0 < len(low) < BURST
    assert rig.counter("queue_drop_counter", Importance.LOW) == BURST - len(low)
    assert len(crit) == BURST
    assert rig.counter("queue_drop_counter", Importance.CRITICAL) == 0


def test_ecn_marked_above_the_lower_threshold() -> None:
    rig = _rig()
    rig.threshold(Importance.NORMAL, ecn_qdepth=2, drop_qdepth=1000)
    out = _burst(rig, Importance.NORMAL)
    assert len(out) == BURST
    ecn = [d[15] & 3 for d in out]
    assert ecn[0] == fmt.ECN_ECT0
    marked = ecn.count(fmt.ECN_CE)
    assert marked > 0
    assert rig.counter("ecn_mark_counter", Importance.NORMAL) == marked
    # not ECN-capable: never marked
    plain = _burst(rig, Importance.NORMAL, ecn=fmt.ECN_NOT_ECT)
    assert all(d[15] & 3 == fmt.ECN_NOT_ECT for d in plain)
