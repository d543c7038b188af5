"""The worker agent against the real Aggregator in-process: sums, windowing, reliability,
loss tolerance, bad input."""

from __future__ import annotations

import time

import numpy as np
import pytest

from inalab.hosts import quantize as qz
from inalab.hosts.config import JobConfig
from inalab.hosts.errors import AllreduceTimeout, InputError
from inalab.hosts.ps import PsJob
from inalab.hosts.transport import QueueTransport
from inalab.hosts.worker import Worker
from inalab.protocol import codec
from inalab.protocol import format as fmt

from .inproc import Hub, run_workers

N = 3


def cfg(**kw: object) -> JobConfig:
    base: dict[str, object] = dict(
        job_id=3, rank=0, n_workers=N, server="ps", slots=8, rto=0.01, max_rto=0.05, timeout=10.0
    )
    base.update(kw)
    return JobConfig.from_dict(base)


def ints(seed: int, size: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(-(2**20), 2**20, size, dtype=np.int32) for _ in range(N)]


def floats(seed: int, size: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal(size) * 10.0 ** rng.integers(-3, 3)).astype(np.float32)
        for _ in range(N)
    ]


def ok(res: dict[int, object]) -> dict[int, tuple[list[np.ndarray], list]]:
    for r, v in res.items():
        if isinstance(v, BaseException):
            raise AssertionError(f"rank {r}: {v!r}")
    return res  # type: ignore[return-value]


def float_bound(xs: list[np.ndarray], lanes: int = 32) -> np.ndarray:
    agreed = np.max([qz.block_exponents(qz.chunk(x, lanes)) for x in xs], axis=0)
    exact = np.sum(np.array(xs, dtype=np.float64), axis=0)
    per_block = np.repeat(qz.error_bound(agreed, len(xs)), lanes)[: exact.size]
    return per_block + np.abs(exact) * 2.0**-23


def test_int32_exact_and_packets_walk_slots_and_flip_shadow_sets() -> None:
    hub = Hub([PsJob(3, N)])
    xs = ints(1, 1000)  # 32 blocks, not a multiple of K
    res = ok(run_workers(hub, cfg(), xs, rounds=2))
    want = np.sum(xs, axis=0, dtype=np.int32)
    for r in range(N):
        outs, stats = res[r]
        for o in outs:
            assert o.dtype == np.int32 and np.array_equal(o, want)
        assert stats[0].blocks == 32 and stats[0].exact == 32 and stats[0].packets == 32
        assert stats[1].round == 2
    hdrs = [h for rank, _, _, h in hub.seen if rank == 0]
    seqs = [h["seq"] for h in hdrs if not h["flags"] & fmt.Flag.RESEND]  # first copies
    assert seqs == list(range(64))  # packet ids continue across rounds
    for h in hdrs:
        assert h["slot_id"] == h["seq"] % 8
        assert bool(h["flags"] & fmt.Flag.SHADOW) == bool((h["seq"] // 8) % 2)
        assert h["worker_id"] == 0 and h["contrib_count"] == 1


def test_float32_within_the_stated_bound_with_exponent_pipeline() -> None:
    hub = Hub([PsJob(3, N)])
    xs = floats(2, 5000)
    res = ok(run_workers(hub, cfg(), xs))
    exact = np.sum(np.array(xs, dtype=np.float64), axis=0)
    bound = float_bound(xs)
    for r in range(N):
        (out,), (st,) = res[r]
        assert out.dtype == np.float32 and out.shape == (5000,)
        assert np.all(np.abs(out - exact) <= bound)
        assert st.packets == 157 + 8  # blocks + exponent pipeline depth (slots)
    # the exponent of block b travels in packet b; its values in packet b + D
    first = [h for rank, _, _, h in hub.seen if rank == 1][:8]
    assert all(h["block_exp"] > 0 for h in first)


def test_exactness_under_ten_percent_loss_both_ways() -> None:
    hub = Hub([PsJob(3, N)], loss=0.1, seed=7)
    xs = ints(3, 3000)
    res = ok(run_workers(hub, cfg(), xs))
    want = np.sum(xs, axis=0, dtype=np.int32)
    for r in range(N):
        (out,), (st,) = res[r]
        assert np.array_equal(out, want)
        assert st.retransmissions > 0 and st.exact == st.blocks


def test_lost_contributions_give_partial_rescaled_blocks_within_the_loss_bound() -> None:
    lost = {3, 4, 5}  # every packet of rank 2 for these blocks vanishes
    hub = Hub([PsJob(3, N)], drop_if=lambda rank, h: rank == 2 and h["seq"] in lost)
    xs = ints(4, 320)  # 10 blocks
    c = cfg(deadline=0.5, loss_bound=0.35, grace=0.1)
    t0 = time.monotonic()
    res = ok(run_workers(hub, c, xs))
    assert time.monotonic() - t0 < 10.0
    exact = np.sum(xs, axis=0, dtype=np.int32).reshape(10, 32)
    partial = np.rint((xs[0].astype(np.float64) + xs[1]) * N / 2).astype(np.int32).reshape(10, 32)
    for r in range(N):  # rank 2 too: the PS sends the closed partial to every worker
        (out,), (st,) = res[r]
        assert (st.exact, st.partial, st.missing) == (7, 3, 0)
        out = out.reshape(10, 32)
        for b in range(10):
            assert np.array_equal(out[b], partial[b] if b in lost else exact[b]), b
    assert hub.agg.counters["partial"] == 3
    assert sum(res[r][1][0].flushes for r in (0, 1)) >= 3  # someone asked for each partial


def test_absent_worker_beyond_the_loss_bound_times_out_without_hanging() -> None:
    hub = Hub([PsJob(3, N)], silent=frozenset({2}))
    c = cfg(deadline=0.1, loss_bound=0.2, timeout=0.6, grace=0.02)
    t0 = time.monotonic()
    res = run_workers(hub, c, ints(5, 320), ranks=[0])
    assert isinstance(res[0], AllreduceTimeout)
    assert "no result" in str(res[0])
    assert time.monotonic() - t0 < 5.0


def test_silent_server_raises_timeout() -> None:
    w = Worker(cfg(timeout=0.3), QueueTransport(lambda p, t, q: None))
    with pytest.raises(AllreduceTimeout, match=r"after 0.3 s"):
        w.allreduce(np.ones(10, np.float32))


def test_foreign_malformed_and_duplicate_results_are_ignored_and_counted() -> None:
    hub = Hub([PsJob(3, N)], duplicate=True)
    xs = ints(6, 640)

    def junk(w: Worker) -> None:
        t = w.transport
        assert isinstance(t, QueueTransport)
        t.put(b"\x00" * 7)
        other = codec.InaMessage(
            msg_type=int(fmt.MsgType.RESULT), job_id=99, seq=0, contrib_count=N,
            value_count=32, values=np.full(32, 12345, np.int32),
        )  # fmt: skip
        t.put(codec.encode(other))
        old = codec.InaMessage(
            msg_type=int(fmt.MsgType.RESULT), job_id=3, seq=10**6, contrib_count=N,
            value_count=32, values=np.full(32, 12345, np.int32),
        )  # fmt: skip
        t.put(codec.encode(old))

    res = ok(run_workers(hub, cfg(), xs, before=junk))
    want = np.sum(xs, axis=0, dtype=np.int32)
    for r in range(N):
        (out,), (st,) = res[r]
        assert np.array_equal(out, want)
        assert st.malformed == 1 and st.foreign == 2 and st.duplicates >= 20


def test_ecn_echo_shrinks_the_window_and_can_be_turned_off() -> None:
    xs = ints(8, 32 * 64)
    hub = Hub([PsJob(3, N)], mark_ce=True)
    res = ok(run_workers(hub, cfg(slots=16), xs))
    (_, (st,)) = res[0]
    assert st.ecn_echoes == 64 and st.window < 16
    hub = Hub([PsJob(3, N)], mark_ce=True)
    res = ok(run_workers(hub, cfg(slots=16, ecn=False), xs))
    assert res[0][1][0].window == 16


def test_importance_dscp_and_source_port_spraying() -> None:
    hub = Hub([PsJob(3, N)])
    x = np.zeros(32 * 4, np.float32)
    x[:32] = 100.0  # block 0 critical, 1 high, 2 normal, 3 low
    x[32:64] = 20.0
    x[64:96] = 2.0
    x[96:] = 0.001
    ok(run_workers(hub, cfg(paths=3), [x] * N))
    seen = [(tos, path, h) for rank, tos, path, h in hub.seen if rank == 0]
    exp_only = {h["seq"]: tos >> 2 for tos, _, h in seen[:4]}
    want = [fmt.IMPORTANCE_DSCP[fmt.Importance(c)] for c in (3, 2, 1, 0)]
    assert [exp_only[i] for i in range(4)] == want
    assert all(tos & 3 == fmt.ECN_ECT0 for tos, _, _ in seen)
    assert {p for _, p, _ in seen} == {0, 1, 2}
    hub = Hub([PsJob(3, N)])
    outs = ok(run_workers(hub, cfg(), [x] * N))
    assert outs[0][0][0][0] == pytest.approx(300.0)


def test_layer_importance_override() -> None:
    hub = Hub([PsJob(3, 1)])
    w = Worker(cfg(n_workers=1), hub.transport(0))
    w.allreduce(np.arange(64, dtype=np.int32), importance=int(fmt.Importance.HIGH))
    assert {tos >> 2 for _, tos, _, _ in hub.seen} == {fmt.IMPORTANCE_DSCP[fmt.Importance.HIGH]}


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.ones(4, np.float64), "float32 and int32"),
        (np.ones((2, 2), np.float32), "1-D"),
        ([1.0, 2.0], "numpy array"),
        (np.array([1.0, np.nan, np.inf], np.float32), "index 1 .*2 non-finite"),
    ],
)
def test_bad_input_is_rejected_before_sending(array: object, message: str) -> None:
    sent: list[bytes] = []
    w = Worker(cfg(), QueueTransport(lambda p, t, q: sent.append(p)))
    with pytest.raises(InputError, match=message):
        w.allreduce(array)  # type: ignore[arg-type]
    assert sent == []


def test_empty_array_needs_no_network() -> None:
    w = Worker(cfg(), QueueTransport(lambda p, t, q: None))
    out = w.allreduce(np.zeros(0, np.float32))
    assert out.shape == (0,) and w.last_stats is not None and w.last_stats.packets == 0


def test_via_switch_lost_blocks_are_closed_by_a_flush_like_the_ps() -> None:
    lost = {1, 6}  # every packet of rank 0 for these blocks vanishes, flushes too
    hub = Hub([PsJob(3, N)], drop_if=lambda rank, h: rank == 0 and h["seq"] in lost)
    xs = ints(9, 320)
    c = cfg(via="switch", deadline=0.5, loss_bound=0.25, grace=0.1)
    res = ok(run_workers(hub, c, xs))
    exact = np.sum(xs, axis=0, dtype=np.int32).reshape(10, 32)
    partial = np.rint((xs[1].astype(np.float64) + xs[2]) * N / 2).astype(np.int32).reshape(10, 32)
    for r in range(N):  # rank 0 too: the closed partial goes to every worker
        (out,), (st,) = res[r]
        assert (st.exact, st.partial, st.missing) == (8, 2, 0)
        out = out.reshape(10, 32)
        for blk in range(10):
            assert np.array_equal(out[blk], partial[blk] if blk in lost else exact[blk]), blk
    assert sum(res[r][1][0].flushes for r in (1, 2)) >= 2


def test_an_unanswered_flush_is_repeated_not_zero_filled() -> None:
    dropped: list[int] = []

    def drop_first_flushes(rank: int, h: dict[str, int]) -> bool:
        if h["contrib_count"] == 0 and len(dropped) < 3:
            dropped.append(h["seq"])
            return True
        return rank == 2 and h["seq"] == 4  # rank 2 never contributes block 4

    hub = Hub([PsJob(3, N)], drop_if=drop_first_flushes)
    xs = ints(10, 320)
    c = cfg(deadline=0.2, loss_bound=0.2, grace=0.05)
    res = ok(run_workers(hub, c, xs))
    outs = [res[r][0][0] for r in range(N)]
    for r in range(N):
        (_,), (st,) = res[r]
        assert (st.exact, st.partial, st.missing) == (9, 1, 0)
        assert np.array_equal(outs[r], outs[0])
    assert len(dropped) == 3 and hub.agg.counters["partial"] == 1


def test_fast_retransmit_when_later_packets_overtake_a_lost_one() -> None:
    # rank 0's first copy of packet 2 vanishes; its timer alone would take 5 s
    hub = Hub(
        [PsJob(3, N)],
        drop_if=lambda rank, h: rank == 0 and h["seq"] == 2 and not h["flags"] & fmt.Flag.RESEND,
    )
    xs = ints(10, 32 * 8)
    t0 = time.monotonic()
    res = ok(run_workers(hub, cfg(rto=5.0, max_rto=5.0), xs))
    assert time.monotonic() - t0 < 2.5  # the timer alone: 5 s
    for r in range(N):
        (out,), _ = res[r]
        assert np.array_equal(out, np.sum(xs, axis=0, dtype=np.int32))
    assert res[0][1][0].retransmissions >= 1


def test_a_new_worker_process_continues_the_job_with_first_packet() -> None:
    hub = Hub([PsJob(3, N)])
    xs = ints(11, 100)  # 4 blocks
    first = ok(run_workers(hub, cfg(), xs))
    st = first[0][1][0]
    assert (st.first_packet, st.packets) == (0, 4)
    again = ok(run_workers(hub, cfg(first_packet=st.first_packet + st.packets), xs))
    assert again[0][1][0].first_packet == 4
    firsts = [
        h["seq"] for rank, _, _, h in hub.seen if rank == 0 and not h["flags"] & fmt.Flag.RESEND
    ]
    assert firsts == list(range(8))
    for r in range(N):
        assert np.array_equal(again[r][0][0], np.sum(xs, axis=0, dtype=np.int32))
