"""Ordinary traffic, ECMP spraying and the drop simulator in p4src/ina.p4."""

from __future__ import annotations

import struct

from inalab.protocol import format as fmt
from inalab.protocol.constants import DropReason, JobMode
from inalab.switch.control import ExactKey

from .harness import Rig
from .packets import (
    SWITCH_MAC,
    contribution,
    ethernet,
    host_ip,
    host_mac,
    ip,
    ipv4,
    ipv4_checksum,
    udp,
)

DST = ip("10.1.0.7")
DST_MAC = 0x02_00_00_01_00_07


def _udp_frame(src_n: int, sport: int, dst: int = DST, dscp: int = 0, ecn: int = 0) -> bytes:
    payload = udp(sport, 9000, b"x" * 64)
    return (
        ethernet(SWITCH_MAC, host_mac(src_n), fmt.ETHERTYPE_IPV4)
        + ipv4(host_ip(src_n), dst, fmt.IP_PROTO_UDP, len(payload), dscp=dscp, ecn=ecn)
        + payload
    )


def test_ipv4_routing_rewrites_macs_and_ttl() -> None:
    rig = Rig()
    rig.route(ip("10.1.0.0"), 16, 4, DST_MAC)
    out = rig.send(1, _udp_frame(1, 1234))
    assert [p for p, _ in out] == [4]
    data = out[0][1]
    assert data[0:6] == DST_MAC.to_bytes(6, "big") and data[6:12] == SWITCH_MAC.to_bytes(6, "big")
    assert data[14 + 8] == 63
    assert ipv4_checksum(data[14:34]) == 0


def test_no_route_is_dropped_and_counted() -> None:
    rig = Rig()
    assert rig.send(1, _udp_frame(1, 1234)) == []
    assert rig.counter("ina_drop_counter", DropReason.NO_ROUTE) == 1


def test_expired_ttl_and_non_ip_frames_are_dropped_and_counted() -> None:
    rig = Rig()
    rig.route(ip("10.1.0.0"), 16, 4, DST_MAC)
    expiring = bytearray(_udp_frame(1, 1234))
    expiring[14 + 8] = 1
    expiring[24:26] = ipv4_checksum(
        bytes(expiring[14:24]) + b"\0\0" + bytes(expiring[26:34])
    ).to_bytes(2, "big")
    assert rig.send(1, bytes(expiring)) == []
    assert rig.counter("ina_drop_counter", DropReason.TTL_EXPIRED) == 1
    ipv6 = ethernet(SWITCH_MAC, host_mac(1), 0x86DD) + bytes(40)
    assert rig.send(1, ipv6) == []
    assert rig.counter("ina_drop_counter", DropReason.UNSUPPORTED) == 1


def test_icmp_echo_is_forwarded() -> None:
    rig = Rig()
    rig.route(DST, 32, 3, DST_MAC)
    icmp = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"ping"
    frame = (
        ethernet(SWITCH_MAC, host_mac(1), fmt.ETHERTYPE_IPV4)
        + ipv4(host_ip(1), DST, fmt.IP_PROTO_ICMP, len(icmp))
        + icmp
    )
    out = rig.send(1, frame)
    assert [p for p, _ in out] == [3]
    assert out[0][1][34:] == icmp


def test_proxy_arp_answers_requests() -> None:
    rig = Rig()
    gw_mac = 0x02_AA_00_00_00_AA
    rig.add("arp_proxy", [ExactKey(DST)], "arp_reply", gw_mac)
    req = ethernet(0xFFFFFFFFFFFF, host_mac(1), fmt.ETHERTYPE_ARP) + struct.pack(
        "!HHBBH6sI6sI",
        1,
        0x0800,
        6,
        4,
        1,
        host_mac(1).to_bytes(6, "big"),
        host_ip(1),
        bytes(6),
        DST,
    )
    out = rig.send(2, req)
    assert [p for p, _ in out] == [2]
    rep = out[0][1]
    assert rep[0:6] == host_mac(1).to_bytes(6, "big") and rep[6:12] == gw_mac.to_bytes(6, "big")
    op, sha, spa, tha, tpa = struct.unpack("!6xH6sI6sI", rep[14:42])
    assert op == 2 and sha == gw_mac.to_bytes(6, "big") and spa == DST
    assert tha == host_mac(1).to_bytes(6, "big") and tpa == host_ip(1)
    # unknown address: dropped, counted
    other = req[:-4] + ip("10.9.9.9").to_bytes(4, "big")
    assert rig.send(2, other) == []
    assert rig.counter("ina_drop_counter", DropReason.ARP_MISS) == 1


def test_ecmp_keeps_flows_and_sprays_ina_by_seq() -> None:
    rig = Rig()
    rig.ecmp_route(ip("10.1.0.0"), 16, [(5, DST_MAC), (6, DST_MAC), (7, DST_MAC), (8, DST_MAC)])
    # ordinary flows: one port per 5-tuple, several ports over many flows
    flow_ports = set()
    for sport in range(40):
        first = rig.send(1, _udp_frame(1, 1000 + sport))
        again = rig.send(1, _udp_frame(1, 1000 + sport))
        assert [p for p, _ in first] == [p for p, _ in again]
        flow_ports.add(first[0][0])
    assert len(flow_ports) > 1
    # INA partials a leaf sends up: the port depends on seq only, not on the sender
    rig.job(1, workers=1, mode=JobMode.LEAF, upstream=DST, base=0, size=32)
    rig.member(1, 1, 0)
    rig.job(2, workers=1, mode=JobMode.LEAF, upstream=DST, base=32, size=32)
    rig.member(2, 2, 0)
    ina_ports = set()
    for seq in range(30):
        a = rig.send(1, contribution(0, range(32), job=1, seq=seq, slot=seq))
        b = rig.send(2, contribution(0, range(32), job=2, seq=seq, slot=seq))
        assert len(a) == 1 and [p for p, _ in a] == [p for p, _ in b]
        ina_ports.add(a[0][0])
    assert len(ina_ports) > 1


def test_drop_simulator_drops_by_port() -> None:
    rig = Rig()
    rig.route(ip("10.1.0.0"), 16, 4, DST_MAC)
    rig.drop_sim(65536, port=1)  # threshold 65536 / 65536: every packet
    assert rig.send(1, _udp_frame(1, 1)) == []
    assert len(rig.send(2, _udp_frame(2, 1))) == 1
    assert rig.counter("ina_drop_counter", DropReason.SIM_DROP) == 1


def test_drop_simulator_drops_a_job_with_probability() -> None:
    rig = Rig()
    rig.rack(1, (1, 2), mcast=1)
    rig.drop_sim(32768, job=1)  # half
    dropped = 0
    for seq in range(200):
        rig.send(1, contribution(0, range(32), seq=seq, slot=seq % 8))
    dropped = rig.counter("ina_drop_counter", DropReason.SIM_DROP)
    assert 60 < dropped < 140
