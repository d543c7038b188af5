"""The PS aggregator: scoreboard semantics of the switch, plus flush (partial) requests."""

from __future__ import annotations

import numpy as np
import pytest

from inalab.hosts.errors import ConfigError
from inalab.hosts.ps import Aggregator, PsJob
from inalab.protocol import codec
from inalab.protocol import format as fmt


def contrib(
    rank: int, values: list[int] | np.ndarray, seq: int = 5, slot: int = 1, **kw: int
) -> bytes:
    hdr = dict(
        msg_type=int(fmt.MsgType.CONTRIB), job_id=3, slot_id=slot, worker_id=rank,
        seq=seq, contrib_count=1, value_count=32,
    )  # fmt: skip
    hdr.update(kw)
    return codec.encode(codec.InaMessage(**hdr, values=np.asarray(values, dtype=np.int32)))


def addr(r: int) -> tuple[str, int]:
    return ("10.0.0.1", 40000 + r)


def test_completion_multicasts_the_sum_to_every_worker() -> None:
    agg = Aggregator.for_jobs([PsJob(3, 3)])
    assert agg.handle(contrib(0, [1] * 32, block_exp=130), addr(0)) == []
    assert agg.handle(contrib(1, [2] * 32, block_exp=140), addr(1)) == []
    out = agg.handle(contrib(2, [-4] * 32, block_exp=120), addr(2), ce=False)
    assert sorted(d for d, _ in out) == [addr(0), addr(1), addr(2)]
    m = codec.decode(out[0][1])
    assert m.msg_type == fmt.MsgType.RESULT and m.contrib_count == 3 and m.bitmap == 0b111
    assert m.block_exp == 140 and m.seq == 5 and m.slot_id == 1
    assert m.values.tolist() == [-1] * 32
    assert not m.flags & fmt.Flag.UNICAST


def test_retransmission_is_not_added_twice_and_late_one_gets_unicast() -> None:
    agg = Aggregator.for_jobs([PsJob(3, 2)])
    agg.handle(contrib(0, [5] * 32), addr(0))
    assert agg.handle(contrib(0, [5] * 32, flags=int(fmt.Flag.RESEND)), addr(0)) == []
    assert agg.counters["duplicate"] == 1
    out = agg.handle(contrib(1, [1] * 32), addr(1))
    assert codec.decode(out[0][1]).values[0] == 6
    again = agg.handle(contrib(0, [5] * 32, flags=int(fmt.Flag.RESEND)), addr(0))
    assert len(again) == 1 and again[0][0] == addr(0)
    m = codec.decode(again[0][1])
    assert m.flags & fmt.Flag.UNICAST and m.values[0] == 6


def test_flush_closes_a_partial_slot_for_everyone() -> None:
    agg = Aggregator.for_jobs([PsJob(3, 3)])
    agg.handle(contrib(0, [10] * 32), addr(0))
    agg.handle(contrib(1, [20] * 32), addr(1))
    out = agg.handle(contrib(0, [0] * 32, contrib_count=0), addr(0))
    assert len(out) == 2
    m = codec.decode(out[0][1])
    assert m.contrib_count == 2 and m.bitmap == 0b11 and m.values[0] == 30
    late = agg.handle(contrib(2, [40] * 32), addr(2))  # closed: gets the same partial
    assert codec.decode(late[0][1]).values[0] == 30
    # flush of a slot nobody reached: an empty (count 0) result
    empty = agg.handle(contrib(1, [0] * 32, seq=9, slot=2, contrib_count=0), addr(1))
    assert codec.decode(empty[0][1]).contrib_count == 0


def test_shadow_sets_and_newer_seq_reset_older_seq_is_stale() -> None:
    agg = Aggregator.for_jobs([PsJob(3, 2)])
    agg.handle(contrib(0, [1] * 32, seq=5), addr(0))
    agg.handle(contrib(0, [1] * 32, seq=6, flags=int(fmt.Flag.SHADOW)), addr(0))
    assert len(agg.slots) == 2
    agg.handle(contrib(0, [7] * 32, seq=9), addr(0))  # newer owner of the set: reset
    out = agg.handle(contrib(1, [1] * 32, seq=9), addr(1))
    assert codec.decode(out[0][1]).values[0] == 8
    assert agg.handle(contrib(1, [1] * 32, seq=5), addr(1)) == []  # never closed: stale
    assert agg.counters["stale"] == 1
    agg.handle(contrib(0, [1] * 32, seq=13), addr(0))  # reuse the set of closed seq 9
    late = agg.handle(contrib(0, [1] * 32, seq=9), addr(0))  # ... its result is kept
    assert len(late) == 1 and codec.decode(late[0][1]).values[0] == 8
    assert codec.decode(late[0][1]).flags & fmt.Flag.UNICAST


def test_int32_sum_wraps_like_the_switch() -> None:
    agg = Aggregator.for_jobs([PsJob(3, 2)])
    big = np.full(32, 2**31 - 1, dtype=np.int32)
    agg.handle(contrib(0, big), addr(0))
    out = agg.handle(contrib(1, [1] * 32), addr(1))
    assert codec.decode(out[0][1]).values[0] == -(2**31)


def test_foreign_and_malformed_are_counted_and_ignored() -> None:
    agg = Aggregator.for_jobs([PsJob(3, 2)])
    assert agg.handle(b"hello", addr(0)) == []
    assert agg.handle(contrib(0, [1] * 32, job_id=4), addr(0)) == []
    assert agg.handle(contrib(5, [1] * 32), addr(0)) == []  # rank >= n
    assert agg.handle(contrib(0, [1] * 32, msg_type=int(fmt.MsgType.RESULT)), addr(0)) == []
    assert agg.counters["malformed"] == 3 and agg.counters["unknown_job"] == 1


def test_ecn_ce_echoed_in_the_result() -> None:
    agg = Aggregator.for_jobs([PsJob(3, 2)])
    agg.handle(contrib(0, [1] * 32), addr(0), ce=True)
    out = agg.handle(contrib(1, [1] * 32), addr(1))
    assert codec.decode(out[0][1]).flags & fmt.Flag.ECN_ECHO


def test_job_parse() -> None:
    assert PsJob.parse("7:4") == PsJob(7, 4)
    with pytest.raises(ConfigError, match="JOB_ID:N_WORKERS"):
        PsJob.parse("7")
    with pytest.raises(ConfigError, match="n_workers"):
        PsJob.parse("7:40")
