"""ATP-style best-effort sharing: hashed cell, owner tag, collision to the PS."""

from __future__ import annotations

import time

import numpy as np

from inalab.protocol import format as fmt
from inalab.protocol.constants import DropReason, InaEvent, JobMode

from .harness import Rig
from .packets import Frame, Ina, contribution, host_ip, host_mac, ina_frame, ip, parse

PS_IP = ip("10.0.9.9")
PS_MAC = 0x02_00_00_00_09_09
PS_PORT = 9


def _rig(lease_us: int | None = None) -> Rig:
    rig = Rig(lease_us=lease_us)
    # region of one cell: every block hashes to it, so a second block collides
    rig.rack(1, (1, 2), mcast=1, mode=JobMode.BEST_EFFORT, base=5, size=1, ps=PS_IP)
    rig.route(PS_IP, 32, PS_PORT, PS_MAC)
    return rig


def test_collision_goes_unaggregated_to_the_ps() -> None:
    rig = _rig()
    a0 = np.arange(32)
    b0 = np.arange(32) * 7 - 100
    assert rig.send(1, contribution(0, a0, seq=0)) == []
    out = rig.send(1, contribution(0, b0, seq=1))
    assert [p for p, _ in out] == [PS_PORT]
    got = parse(out[0][1])
    assert got.ina.flags & fmt.Flag.COLLISION
    assert got.ina.msg_type == fmt.MsgType.CONTRIB
    assert got.dst_ip == PS_IP and got.dst_mac == PS_MAC
    assert got.dport == fmt.INA_PS_UDP_PORT
    assert got.ip_checksum_ok
    np.testing.assert_array_equal(got.values, b0)  # raw, not added to anything
    assert rig.counter("ina_event_counter", InaEvent.COLLISION) == 1


def test_owner_aggregates_and_completion_frees_the_cell() -> None:
    rig = _rig()
    a = [np.arange(32), np.full(32, 5)]
    assert rig.send(1, contribution(0, a[0], seq=0)) == []
    out = rig.send(2, contribution(1, a[1], seq=0))
    assert [p for p, _ in out] == [1, 2]
    np.testing.assert_array_equal(parse(out[0][1]).values, a[0] + a[1])
    assert rig.register("bitmap_reg", 5) == 0  # freed
    # the next block now owns the cell
    assert rig.send(1, contribution(0, a[0], seq=1)) == []
    out = rig.send(2, contribution(1, a[0], seq=1))
    np.testing.assert_array_equal(parse(out[0][1]).values, 2 * a[0])


def test_abandoned_partial_is_reclaimed_after_its_lease() -> None:
    rig = _rig(lease_us=200_000)
    # block 0 is abandoned after one contribution (worker 1's packet was lost)
    assert rig.send(1, contribution(0, np.full(32, 99), seq=0)) == []
    # within the lease, block 1 collides and goes to the PS
    assert [p for p, _ in rig.send(1, contribution(0, np.arange(32), seq=1))] == [PS_PORT]
    time.sleep(0.3)
    # after the lease, block 1 takes the cell over: block 0's partial is gone
    assert rig.send(1, contribution(0, np.arange(32), seq=1)) == []
    assert rig.counter("ina_event_counter", InaEvent.RECLAIMED) == 1
    out = rig.send(2, contribution(1, np.arange(32), seq=1))
    assert [p for p, _ in out] == [1, 2]
    got = parse(out[0][1])
    assert got.ina.bitmap == 0b11 and got.ina.seq == 1
    np.testing.assert_array_equal(got.values, 2 * np.arange(32))


def _ps_result(src_ip: int, sport: int, values: np.ndarray, src_n: int = PS_PORT) -> bytes:
    res = Ina(msg_type=fmt.MsgType.RESULT, seq=1, bitmap=0b11, contrib_count=2,
              values=tuple(int(v) for v in values))  # fmt: skip
    frame = Frame(src_n=src_n, src_ip=src_ip, src_mac=PS_MAC, sport=sport, dst_ip=host_ip(1))
    return ina_frame(res, frame)


def test_the_ps_result_for_a_collided_block_reaches_the_worker() -> None:
    rig = _rig()
    rig.route(host_ip(1), 32, 1, host_mac(1))
    assert rig.send(1, contribution(0, np.full(32, 3), seq=0)) == []  # block 0 holds the cell
    vals = np.arange(32) * 3 - 40
    out = rig.send(PS_PORT, _ps_result(PS_IP, fmt.INA_PS_UDP_PORT, vals))
    assert [p for p, _ in out] == [1]
    got = parse(out[0][1])
    assert got.ina.msg_type == fmt.MsgType.RESULT and got.ina.seq == 1
    assert got.src_ip == PS_IP and got.sport == fmt.INA_PS_UDP_PORT
    assert got.dst_ip == host_ip(1) and got.dst_mac == host_mac(1)
    assert got.ip_checksum_ok and got.ttl == 63
    np.testing.assert_array_equal(got.values, vals)
    # routed, not aggregated: block 0's partial is still there, untouched
    assert rig.register("bitmap_reg", 5) == 0b01
    assert rig.register("value_reg_0", 5) == 3
    assert rig.counter("ina_drop_counter", DropReason.BAD_MSG_TYPE) == 0


def test_a_forged_result_is_dropped() -> None:
    rig = _rig()
    rig.route(host_ip(1), 32, 1, host_mac(1))
    vals = np.arange(32)
    # a worker claiming the PS port, and the PS address from another port number
    assert rig.send(2, _ps_result(host_ip(2), fmt.INA_PS_UDP_PORT, vals, src_n=2)) == []
    assert rig.send(PS_PORT, _ps_result(PS_IP, fmt.INA_UDP_PORT, vals)) == []
    assert rig.counter("ina_drop_counter", DropReason.BAD_MSG_TYPE) == 2
