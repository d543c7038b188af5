"""Aggregation in p4src/ina.p4, run by the switch core: sums, the scoreboard,
shadow sets, jobs, regions and membership."""

from __future__ import annotations

import numpy as np
import pytest

from inalab.protocol import format as fmt
from inalab.protocol.constants import DROP_REASON_COUNT, INA_EVENT_COUNT, DropReason, InaEvent

from .harness import Rig
from .packets import Frame, Ina, contribution, host_ip, host_mac, ina_frame, parse

PORTS = (1, 2, 3)
rng = np.random.default_rng(7)


def _vals(k: int = 32) -> np.ndarray:
    v = rng.integers(-(2**31), 2**31, size=k, dtype=np.int64)
    v[:4] = [2**31 - 1, -(2**31), 2**31 - 1, -1]  # force wrap-around lanes
    return v


def _wrap_sum(rows: list[np.ndarray]) -> np.ndarray:
    return np.sum(np.stack(rows).astype(np.int64), axis=0).astype(np.uint32).view(np.int32)


@pytest.fixture
def rig() -> Rig:
    r = Rig()
    r.rack(1, PORTS, mcast=1)
    return r


def _round(
    rig: Rig,
    rows: list[np.ndarray],
    *,
    slot: int = 0,
    flags: int = 0,
    job: int = 1,
    exps: tuple[int, ...] = (),
    seq: int | None = None,
) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytes]] = []
    for w, row in enumerate(rows):
        exp = exps[w] if exps else 0
        out = rig.send(
            PORTS[w],
            contribution(
                w, row, job=job, slot=slot, flags=flags, exp=exp, seq=slot if seq is None else seq
            ),
        )
        if w < len(rows) - 1:
            assert out == [], f"worker {w}'s contribution must be absorbed, got {out}"
    return out


def test_n_workers_sum_exactly_with_int32_wraparound(rig: Rig) -> None:
    rows = [_vals() for _ in PORTS]
    out = _round(rig, rows, exps=(3, 9, 5))
    assert [p for p, _ in out] == list(PORTS)
    want = _wrap_sum(rows)
    for port, data in out:
        got = parse(data)
        assert got.ina.msg_type == fmt.MsgType.RESULT
        assert got.ina.bitmap == 0b111
        assert got.ina.contrib_count == 3
        assert got.ina.block_exp == 9
        assert got.ina.value_count == 32
        np.testing.assert_array_equal(got.values, want)
        assert got.dst_mac == host_mac(port) and got.dst_ip == host_ip(port)
        assert got.ip_checksum_ok and got.udp_checksum == 0
        assert len(data) == fmt.frame_bytes(32)
    assert rig.counter("ina_event_counter", InaEvent.ABSORBED) == 2
    assert rig.counter("ina_event_counter", InaEvent.COMPLETED) == 1


def test_duplicate_contribution_is_never_added_twice(rig: Rig) -> None:
    rows = [_vals() for _ in PORTS]
    assert rig.send(1, contribution(0, rows[0])) == []
    assert rig.send(1, contribution(0, rows[0], flags=fmt.Flag.RESEND)) == []
    assert rig.send(2, contribution(1, rows[1])) == []
    out = rig.send(3, contribution(2, rows[2]))
    assert len(out) == 3
    np.testing.assert_array_equal(parse(out[0][1]).values, _wrap_sum(rows))
    assert rig.counter("ina_event_counter", InaEvent.DUPLICATE) == 1


def test_retransmission_to_completed_slot_gets_result_by_unicast(rig: Rig) -> None:
    rows = [_vals() for _ in PORTS]
    _round(rig, rows)
    # worker 1 lost the result: its retransmission (values ignored) gets it back, alone
    out = rig.send(2, contribution(1, np.zeros(32), flags=fmt.Flag.RESEND))
    assert [p for p, _ in out] == [2]
    got = parse(out[0][1])
    assert got.ina.msg_type == fmt.MsgType.RESULT
    assert got.ina.flags & fmt.Flag.UNICAST
    assert got.ina.bitmap == 0b111 and got.ina.contrib_count == 3
    np.testing.assert_array_equal(got.values, _wrap_sum(rows))
    assert rig.counter("ina_event_counter", InaEvent.RESULT_UNICAST) == 1


def test_slot_reuse_flips_shadow_set_and_overwrites_stale_values(rig: Rig) -> None:
    for rnd in range(4):
        flags = fmt.Flag.SHADOW if rnd % 2 else 0
        rows = [_vals() for _ in PORTS]
        out = _round(rig, rows, flags=flags, seq=rnd * 8)  # job-wide packet id, 8 slots
        assert len(out) == 3, f"round {rnd}"
        got = parse(out[0][1])
        assert got.ina.flags & fmt.Flag.SHADOW == flags
        np.testing.assert_array_equal(got.values, _wrap_sum(rows))
    # each set keeps its last round (owner tag job ++ seq) until a newer seq replaces it
    assert rig.register("bitmap_reg", rig.slots) == 0b111
    assert rig.register("owner_reg", rig.slots) == (1 << 32) | 24
    assert rig.register("owner_reg", 0) == (1 << 32) | 16
    assert rig.counter("ina_event_counter", InaEvent.RESET) == 2  # rounds 2 and 3


def test_late_retransmission_still_gets_result_after_others_moved_on(rig: Rig) -> None:
    rows = [_vals() for _ in PORTS]
    _round(rig, rows)  # set 0 complete
    # worker 0 got the result and starts the next use of the slot in set 1 ...
    assert rig.send(1, contribution(0, _vals(), flags=fmt.Flag.SHADOW, seq=8)) == []
    assert rig.register("bitmap_reg", 0) == 0b111
    # ... while worker 2 lost the set-0 result: its bit is still set there
    out = rig.send(3, contribution(2, np.zeros(32), flags=fmt.Flag.RESEND))
    assert [p for p, _ in out] == [3]
    np.testing.assert_array_equal(parse(out[0][1]).values, _wrap_sum(rows))


def test_two_jobs_side_by_side_use_their_own_regions() -> None:
    rig = Rig()
    rig.job(1, base=0, size=8, workers=2, mcast=1)
    rig.job(2, base=8, size=8, workers=2, mcast=2)
    for port, idx in ((1, 0), (2, 1)):
        rig.member(1, port, idx)
    for port, idx in ((3, 0), (4, 1)):
        rig.member(2, port, idx)
    rig.group(1, (1, 2))
    rig.group(2, (3, 4))
    a = [_vals() for _ in range(2)]
    b = [_vals() for _ in range(2)]
    assert rig.send(1, contribution(0, a[0], job=1, slot=3)) == []
    assert rig.send(3, contribution(0, b[0], job=2, slot=3)) == []
    out_a = rig.send(2, contribution(1, a[1], job=1, slot=3))
    out_b = rig.send(4, contribution(1, b[1], job=2, slot=3))
    assert [p for p, _ in out_a] == [1, 2] and [p for p, _ in out_b] == [3, 4]
    np.testing.assert_array_equal(parse(out_a[0][1]).values, _wrap_sum(a))
    np.testing.assert_array_equal(parse(out_b[0][1]).values, _wrap_sum(b))
    # region base added in the data plane: job 2's slot 3 is cell 11
    assert rig.register("bitmap_reg", 3) == 0b11
    assert rig.register("bitmap_reg", 11) == 0b11


def test_slot_outside_region_is_dropped_and_counted(rig: Rig) -> None:
    assert rig.send(1, contribution(0, _vals(), slot=8)) == []
    assert rig.counter("ina_drop_counter", DropReason.OUT_OF_REGION) == 1
    assert rig.register("bitmap_reg", 8) == 0


def test_membership_violations_are_dropped(rig: Rig) -> None:
    # port 5 is not a member of job 1; job 9 is unknown
    assert rig.send(5, contribution(0, _vals())) == []
    assert rig.send(1, contribution(0, _vals(), job=9)) == []
    assert rig.counter("ina_drop_counter", DropReason.NOT_MEMBER) == 1
    assert rig.counter("ina_drop_counter", DropReason.UNKNOWN_JOB) == 1
    assert rig.register("bitmap_reg", 0) == 0
    # job 1's row (index 1) of the per-job drop counter
    assert rig.counter("job_drop_counter", 1 * DROP_REASON_COUNT + DropReason.NOT_MEMBER) == 1


def test_per_job_telemetry_rows() -> None:
    rig = Rig()
    rig.rack(1, (1, 2), mcast=1, index=3)
    rig.job(2, base=8, workers=1, mcast=1, index=4)
    rig.member(2, 3, 0)
    rig.send(1, contribution(0, _vals()))
    rig.send(1, contribution(0, _vals()))  # duplicate
    rig.send(2, contribution(1, _vals()))
    rig.send(3, contribution(0, _vals(), job=2, frame=Frame(src_n=3)))
    ev = INA_EVENT_COUNT
    assert rig.counter("job_event_counter", 3 * ev + InaEvent.ABSORBED) == 1
    assert rig.counter("job_event_counter", 3 * ev + InaEvent.DUPLICATE) == 1
    assert rig.counter("job_event_counter", 3 * ev + InaEvent.COMPLETED) == 1
    assert rig.counter("job_event_counter", 4 * ev + InaEvent.COMPLETED) == 1
    assert rig.counter("job_event_counter", 4 * ev + InaEvent.ABSORBED) == 0
    handle = rig.sw.table_entries(rig.n("table", "job_region"))[0].handle
    assert rig.sw.direct_counter_read(rig.n("table", "job_region"), handle)[0] == 3


def test_worker_bit_comes_from_membership_not_header(rig: Rig) -> None:
    # a host on port 2 claiming worker_id 0 still gets bit 1
    assert rig.send(2, contribution(0, _vals(), frame=Frame(src_n=2))) == []
    assert rig.register("bitmap_reg", 0) == 0b010


def test_wrong_lane_count_is_dropped(rig: Rig) -> None:
    bad = Ina(value_count=31, values=tuple(range(31)))
    assert rig.send(1, ina_frame(bad)) == []
    assert rig.counter("ina_drop_counter", DropReason.BAD_LANES) == 1


def test_result_at_root_is_rejected(rig: Rig) -> None:
    res = Ina(msg_type=fmt.MsgType.RESULT, values=tuple(range(32)))
    assert rig.send(1, ina_frame(res)) == []
    assert rig.counter("ina_drop_counter", DropReason.BAD_MSG_TYPE) == 1


def test_ecn_ce_contribution_echoes_in_result(rig: Rig) -> None:
    rows = [_vals() for _ in PORTS]
    rig.send(1, contribution(0, rows[0], frame=Frame(src_n=1, ecn=fmt.ECN_CE)))
    rig.send(2, contribution(1, rows[1]))
    out = rig.send(3, contribution(2, rows[2]))
    assert all(parse(d).ina.flags & fmt.Flag.ECN_ECHO for _, d in out)


def test_k64_build_sums_64_lanes() -> None:
    rig = Rig(lanes=64)
    rig.rack(1, (1, 2), mcast=1)
    rows = [_vals(64) for _ in range(2)]
    assert rig.send(1, contribution(0, rows[0], lanes=64)) == []
    out = rig.send(2, contribution(1, rows[1], lanes=64))
    assert len(out) == 2
    got = parse(out[0][1])
    assert got.ina.value_count == 64 and len(out[0][1]) == fmt.frame_bytes(64)
    np.testing.assert_array_equal(got.values, _wrap_sum(rows))
    # a K=32 packet does not fit a K=64 build
    assert rig.send(1, contribution(0, _vals(32))) == []
    assert rig.counter("ina_drop_counter", DropReason.BAD_LANES) == 1


def test_region_reuse_after_controller_zeroes_bitmaps(rig: Rig) -> None:
    # job 1 leaves a partial slot behind, then goes away
    assert rig.send(1, contribution(0, _vals())) == []
    rig.sw.table_delete(
        rig.n("table", "job_region"), rig.sw.table_entries(rig.n("table", "job_region"))[0].handle
    )
    for cell in range(8):
        rig.sw.register_write(rig.n("register", "bitmap_reg"), cell, 0)
        rig.sw.register_write(rig.n("register", "bitmap_reg"), rig.slots + cell, 0)
    # job 2 gets the same region and the same ports
    rig.job(2, base=0, size=8, workers=3, mcast=1)
    for i, p in enumerate(PORTS):
        rig.member(2, p, i)
    rows = [_vals() for _ in PORTS]
    out = _round(rig, rows, job=2)
    assert len(out) == 3
    got = parse(out[0][1])
    assert got.ina.contrib_count == 3
    np.testing.assert_array_equal(got.values, _wrap_sum(rows))
