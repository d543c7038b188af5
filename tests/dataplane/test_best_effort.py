"""ATP-style best-effort sharing: hashed cell, owner tag, collision to the PS."""

from __future__ import annotations

import time

import numpy as np

from inalab.protocol import format as fmt
from inalab.protocol.constants import InaEvent, JobMode

from .harness import Rig
from .packets import contribution, ip, parse

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
