"""A slot's rounds in p4src/ina.p4 (dedicated mode): results leave from the
aggregation address, ``seq`` tags the round a cell holds (newer resets, older is
dropped), and a flush (``contrib_count`` 0) closes a slot with its partial."""

from __future__ import annotations

import numpy as np
import pytest

from inalab.protocol import format as fmt
from inalab.protocol.constants import InaEvent, JobMode

from .harness import Rig
from .packets import SWITCH_MAC, Frame, contribution, host_ip, parse

PORTS = (1, 2, 3)
AGG_IP = Frame().dst_ip  # where the test workers send their contributions
rng = np.random.default_rng(5)


@pytest.fixture
def rig() -> Rig:
    r = Rig()
    r.rack(1, PORTS, mcast=1)
    return r


def _vals() -> np.ndarray:
    return rng.integers(-(2**20), 2**20, size=32)


def _sum(rows: list[np.ndarray]) -> np.ndarray:
    return np.sum(np.stack(rows), axis=0).astype(np.int32)


def _complete(rig: Rig, seq: int, slot: int = 0, flags: int = 0) -> list[np.ndarray]:
    rows = [_vals() for _ in PORTS]
    for w, row in enumerate(rows):
        out = rig.send(PORTS[w], contribution(w, row, slot=slot, seq=seq, flags=flags))
    assert len(out) == 3
    return rows


def test_results_leave_from_the_address_contributions_went_to(rig: Rig) -> None:
    rows = [_vals() for _ in PORTS]
    for w in range(2):
        assert rig.send(PORTS[w], contribution(w, rows[w])) == []
    out = rig.send(3, contribution(2, rows[2]))
    out += rig.send(2, contribution(1, np.zeros(32), flags=fmt.Flag.RESEND))  # unicast
    assert [p for p, _ in out] == [1, 2, 3, 2]
    for port, data in out:
        got = parse(data)
        # never the receiver's own address: Linux would drop it as a martian
        assert got.src_ip == AGG_IP and got.dst_ip == host_ip(port)
        assert got.src_mac == SWITCH_MAC
        assert got.sport == fmt.INA_UDP_PORT and got.dport == fmt.INA_UDP_PORT
        assert got.ip_checksum_ok
        np.testing.assert_array_equal(got.values, _sum(rows))


def test_newer_seq_starts_the_next_round_of_a_cell(rig: Rig) -> None:
    _complete(rig, seq=0)
    _complete(rig, seq=8, flags=fmt.Flag.SHADOW)  # sending seq 8 acknowledges seq 0's result
    assert rig.register("ack_reg", 0) == 0b111
    # the next use of set 0 (seq 16, 8 slots x 2 sets) drops seq 0's sum and bits
    a = _vals()
    assert rig.send(1, contribution(0, a, seq=16)) == []
    assert rig.register("bitmap_reg", 0) == 0b001
    assert rig.register("owner_reg", 0) == (1 << 32) | 16
    assert rig.register("ack_reg", 0) == 0
    assert rig.counter("ina_event_counter", InaEvent.RESET) == 1
    b, c = _vals(), _vals()
    assert rig.send(2, contribution(1, b, seq=16)) == []
    out = rig.send(3, contribution(2, c, seq=16))
    assert len(out) == 3
    np.testing.assert_array_equal(parse(out[0][1]).values, _sum([a, b, c]))


def test_a_round_is_kept_until_every_worker_has_its_result(rig: Rig) -> None:
    rows = _complete(rig, seq=0)
    # worker 2 lost seq 0's result; its peers send seq 8 and close it with a flush,
    # then send seq 16 to set 0: too early, worker 2 still needs seq 0 there
    sh = fmt.Flag.SHADOW
    assert rig.send(1, contribution(0, _vals(), seq=8, flags=sh)) == []
    assert len(rig.send(2, contribution(1, np.zeros(32), seq=8, flags=sh, contrib=0))) == 3
    assert rig.send(1, contribution(0, _vals(), seq=16)) == []
    assert rig.send(2, contribution(1, _vals(), seq=16)) == []
    assert rig.counter("ina_event_counter", InaEvent.EARLY) == 2
    # worker 2's retransmission still finds seq 0's result
    out = rig.send(3, contribution(2, np.zeros(32), seq=0, flags=fmt.Flag.RESEND))
    assert [p for p, _ in out] == [3]
    np.testing.assert_array_equal(parse(out[0][1]).values, _sum(rows))
    # it moves on to seq 8 (closed: the partial comes back) and so acknowledges seq 0
    out = rig.send(3, contribution(2, _vals(), seq=8, flags=sh))
    assert [p for p, _ in out] == [3] and parse(out[0][1]).ina.contrib_count == 1
    assert rig.register("ack_count_reg", 0) == 3
    # now seq 16 may replace seq 0
    a = _vals()
    assert rig.send(1, contribution(0, a, seq=16, flags=fmt.Flag.RESEND)) == []
    assert rig.counter("ina_event_counter", InaEvent.RESET) == 1
    assert rig.register("bitmap_reg", 0) == 0b001


def test_relaunched_worker_gets_no_stale_result(rig: Rig) -> None:
    # a run of the job left set 0 of slot 0 complete at seq 16 (all bits set)
    _complete(rig, seq=0)
    _complete(rig, seq=8, flags=fmt.Flag.SHADOW)
    _complete(rig, seq=16)
    # a new process of worker 1 starts at packet 0 again: its seq 0 is older than
    # the cell's round, so it is dropped and counted, never answered with seq 16's sum
    assert rig.send(2, contribution(1, _vals(), seq=0)) == []
    assert rig.send(2, contribution(1, _vals(), seq=0, flags=fmt.Flag.RESEND)) == []
    assert rig.counter("ina_event_counter", InaEvent.STALE) == 2
    assert rig.counter("job_event_counter", 1 * 16 + InaEvent.STALE) == 2
    assert rig.register("owner_reg", 0) == (1 << 32) | 16
    # another job given the same region starts afresh (owner tag names the job)
    rig.job(2, workers=1, mcast=1)
    rig.member(2, 1, 0)
    out = rig.send(1, contribution(0, _vals(), job=2, seq=0))
    assert len(out) == 3 and parse(out[0][1]).ina.contrib_count == 1


def test_a_finished_round_is_free_for_a_relaunched_sequence(rig: Rig) -> None:
    _complete(rig, seq=0)
    _complete(rig, seq=8, flags=fmt.Flag.SHADOW)  # every worker has seq 0's result
    # a late resend of seq 0 is dropped: nobody needs that result any more
    assert rig.send(1, contribution(0, _vals(), seq=0, flags=fmt.Flag.RESEND)) == []
    assert rig.send(1, contribution(0, np.zeros(32), seq=0, contrib=0)) == []
    assert rig.counter("ina_event_counter", InaEvent.STALE) == 2
    # new worker processes start the sequence at 0 again: a fresh round, a fresh sum
    rows = _complete(rig, seq=0)
    assert rig.counter("ina_event_counter", InaEvent.RESET) == 1
    out = rig.send(1, contribution(0, np.zeros(32), seq=0, flags=fmt.Flag.RESEND))
    np.testing.assert_array_equal(parse(out[0][1]).values, _sum(rows))


def test_seq_comparison_wraps_around(rig: Rig) -> None:
    _complete(rig, seq=2**32 - 16)
    _complete(rig, seq=2**32 - 8, flags=fmt.Flag.SHADOW)
    # seq 0 follows 2^32 - 16 (serial-number arithmetic): a newer round
    assert rig.send(1, contribution(0, _vals(), seq=0)) == []
    assert rig.counter("ina_event_counter", InaEvent.RESET) == 1
    assert rig.counter("ina_event_counter", InaEvent.STALE) == 0


def test_flush_closes_a_partial_slot_for_every_worker(rig: Rig) -> None:
    a, b = _vals(), _vals()
    assert rig.send(1, contribution(0, a, exp=4)) == []
    assert rig.send(2, contribution(1, b, exp=6)) == []
    # worker 2 gives up: its flush carries no values
    out = rig.send(3, contribution(2, np.zeros(32), contrib=0, flags=fmt.Flag.RESEND))
    assert [p for p, _ in out] == list(PORTS)  # multicast: every worker gets the same
    for port, data in out:
        got = parse(data)
        assert got.ina.msg_type == fmt.MsgType.RESULT
        assert got.ina.contrib_count == 2 and got.ina.bitmap == 0b011
        assert got.ina.block_exp == 6
        assert got.src_ip == AGG_IP and got.dst_ip == host_ip(port)
        np.testing.assert_array_equal(got.values, _sum([a, b]))
    assert rig.counter("ina_event_counter", InaEvent.FLUSHED) == 1
    # worker 2's contribution arriving late is not added: it gets the closed result
    out = rig.send(3, contribution(2, _vals()))
    assert [p for p, _ in out] == [3]
    got = parse(out[0][1])
    assert got.ina.flags & fmt.Flag.UNICAST and got.ina.contrib_count == 2
    np.testing.assert_array_equal(got.values, _sum([a, b]))
    # so does a repeated flush (its multicast copy was lost)
    out = rig.send(3, contribution(2, np.zeros(32), contrib=0))
    assert [p for p, _ in out] == [3] and parse(out[0][1]).ina.contrib_count == 2


def test_flush_of_an_empty_slot_closes_it_empty(rig: Rig) -> None:
    _complete(rig, seq=0)  # the cell holds an older round: its values must not leak
    _complete(rig, seq=8, flags=fmt.Flag.SHADOW)
    out = rig.send(1, contribution(0, np.zeros(32), seq=16, contrib=0))
    assert [p for p, _ in out] == list(PORTS)
    got = parse(out[0][1])
    assert got.ina.contrib_count == 0 and got.ina.bitmap == 0
    assert not got.values.any()
    # a contribution arriving after the close gets the empty result, is not added
    out = rig.send(2, contribution(1, _vals(), seq=16))
    assert [p for p, _ in out] == [2]
    got = parse(out[0][1])
    assert got.ina.contrib_count == 0 and not got.values.any()


def test_leaf_flush_sends_the_racks_partial_up() -> None:
    rig = Rig()
    up = host_ip(9)
    rig.rack(1, (1, 2), mcast=1, mode=JobMode.LEAF, upstream=up)
    rig.route(up, 32, 9, 0x02_00_00_00_00_09)
    a = _vals()
    assert rig.send(1, contribution(0, a)) == []
    out = rig.send(2, contribution(1, np.zeros(32), contrib=0))
    assert [p for p, _ in out] == [9]
    got = parse(out[0][1])
    assert got.ina.msg_type == fmt.MsgType.CONTRIB and got.ina.flags & fmt.Flag.UPSTREAM
    assert got.dst_ip == up and got.ina.contrib_count == 1 and got.ina.bitmap == 0b01
    np.testing.assert_array_equal(got.values, a.astype(np.int32))


def test_best_effort_flush_goes_to_the_ps() -> None:
    ps = host_ip(9)
    rig = Rig()
    rig.rack(1, (1, 2), mcast=1, mode=JobMode.BEST_EFFORT, size=4, ps=ps)
    rig.route(ps, 32, 9, 0x02_00_00_00_00_09)
    assert rig.send(1, contribution(0, _vals(), seq=3)) == []
    out = rig.send(2, contribution(1, np.zeros(32), seq=3, contrib=0))
    assert [p for p, _ in out] == [9]
    got = parse(out[0][1])
    assert got.ina.flags & fmt.Flag.COLLISION and got.dport == fmt.INA_PS_UDP_PORT
    assert got.ina.contrib_count == 0
