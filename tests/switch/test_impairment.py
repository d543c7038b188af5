"""Link impairment: reproducibility, loss rates, bursts, delay, duplication, reordering, rate."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from inalab.switch.impairment import (
    GilbertElliott,
    Impairment,
    ImpairmentConfig,
    Impairments,
    LinkImpairer,
    parse_loss_flag,
    parse_settings,
)
from inalab.switch.io_errors import ImpairmentError


def _fates(imp: Impairment, n: int, seed: int = 7, port: int = 1) -> list[int]:
    link = LinkImpairer(port, "ingress", seed, imp)
    return [len(link.admit(100, i * 1e-3)) for i in range(n)]


def test_same_seed_same_port_reproduces_and_other_seed_differs() -> None:
    imp = Impairment(loss=0.3, duplicate=0.1)
    assert _fates(imp, 2000) == _fates(imp, 2000)
    assert _fates(imp, 2000) != _fates(imp, 2000, seed=8)
    assert _fates(imp, 2000) != _fates(imp, 2000, port=2)


def test_random_loss_rate_within_binomial_bounds() -> None:
    n, p = 20000, 0.1
    lost = _fates(Impairment(loss=p), n).count(0)
    sigma = (n * p * (1 - p)) ** 0.5
    assert abs(lost - n * p) < 5 * sigma


def test_gilbert_elliott_is_bursty_with_the_stationary_mean() -> None:
    ge = GilbertElliott(p=0.01, r=0.2)  # mean burst length 5, mean loss 1/21
    fates = np.array(_fates(Impairment(gilbert=ge), 50000))
    lost = fates == 0
    assert abs(lost.mean() - ge.mean_loss()) < 0.015
    # Runs of losses: mean length ~ 1/r = 5, far above independent loss (~1.05).
    edges = np.flatnonzero(np.diff(np.concatenate(([0], lost.astype(int), [0]))))
    runs = edges[1::2] - edges[::2]
    assert 3.5 < runs.mean() < 7.0
    # The same loss rate drawn independently gives short runs.
    indep = np.array(_fates(Impairment(loss=float(lost.mean())), 50000)) == 0
    e2 = np.flatnonzero(np.diff(np.concatenate(([0], indep.astype(int), [0]))))
    assert (e2[1::2] - e2[::2]).mean() < 1.3


def test_delay_and_jitter_bounds_and_ordering_without_jitter() -> None:
    link = LinkImpairer(1, "egress", 0, Impairment(delay_ms=10))
    deps = [link.admit(64, t)[0] for t in (0.0, 0.001, 0.002)]
    assert deps == pytest.approx([0.010, 0.011, 0.012])
    link = LinkImpairer(1, "egress", 0, Impairment(delay_ms=10, jitter_ms=4))
    d = np.array([link.admit(64, 1.0)[0] - 1.0 for _ in range(2000)])
    assert d.min() >= 0.006 - 1e-9 and d.max() <= 0.014 + 1e-9
    assert abs(d.mean() - 0.010) < 0.0005


def test_duplication_rate() -> None:
    n = 20000
    copies = _fates(Impairment(duplicate=0.2), n)
    assert set(copies) == {1, 2}
    assert abs(copies.count(2) / n - 0.2) < 0.02


def test_reorder_skips_the_delay_netem_style() -> None:
    link = LinkImpairer(1, "egress", 3, Impairment(delay_ms=5, reorder=0.25))
    deps = [link.admit(64, i * 1e-4)[0] for i in range(4000)]
    fast = sum(1 for i, d in enumerate(deps) if d == pytest.approx(i * 1e-4))
    assert abs(fast / 4000 - 0.25) < 0.03
    assert link.counters.reordered == fast


def test_rate_limit_spaces_frames_and_drops_past_the_limit() -> None:
    imp = Impairment(rate_bps=8e6, burst_bytes=0, limit=10)  # 1000-byte frame = 1 ms
    link = LinkImpairer(1, "egress", 0, imp)
    deps = [link.admit(1000, 0.0) for _ in range(15)]
    kept = [d[0] for d in deps if d]
    assert kept[:3] == pytest.approx([0.0, 0.001, 0.002])
    assert len(kept) == 11 and link.counters.dropped_rate_limit == 4


def test_validation_messages() -> None:
    with pytest.raises(ImpairmentError, match="loss must be a probability"):
        Impairment(loss=1.5)
    with pytest.raises(ImpairmentError, match="jitter_ms requires delay_ms"):
        Impairment(jitter_ms=1)
    with pytest.raises(ImpairmentError, match="unknown key"):
        Impairment.from_dict({"los": 0.1})
    with pytest.raises(ImpairmentError, match="PORT:PERCENT"):
        parse_loss_flag("x")
    assert parse_loss_flag("2:10") == (2, None, 0.1)
    assert parse_loss_flag("2:egress:50") == (2, "egress", 0.5)


def test_parse_settings_words() -> None:
    imp = parse_settings(Impairment(), ["loss=0.1", "delay=5", "rate=1e6", "ge_p=0.1", "ge_r=0.5"])
    assert imp.loss == 0.1 and imp.delay_ms == 5 and imp.rate_bps == 1e6
    assert imp.gilbert == GilbertElliott(p=0.1, r=0.5)
    assert parse_settings(imp, ["clear"]) == Impairment()
    with pytest.raises(ImpairmentError, match="ge_p and ge_r"):
        parse_settings(Impairment(), ["ge_p=0.1"])


def test_config_file(tmp_path: Path) -> None:
    f = tmp_path / "imp.json"
    f.write_text(json.dumps({"seed": 5, "ports": {"1": {"both": {"loss": 0.5}}}}))
    cfg = ImpairmentConfig.from_json_file(f)
    assert cfg.seed == 5 and cfg.links[(1, "egress")] == Impairment(loss=0.5)
    f.write_text('{"ports": {"1": {"sideways": {}}}}')
    with pytest.raises(ImpairmentError, match="not ingress, egress or both"):
        ImpairmentConfig.from_json_file(f)
    f.write_text("{")
    with pytest.raises(ImpairmentError, match=r"imp.json:1:2: bad JSON"):
        ImpairmentConfig.from_json_file(f)


def test_impairments_deliver_delayed_frames_in_time_order() -> None:
    imps = Impairments(seed=1)
    got: list[tuple[bytes, float]] = []
    done = threading.Event()
    t0 = time.monotonic()

    def deliver(frame: bytes) -> None:
        got.append((frame, time.monotonic() - t0))
        if len(got) == 3:
            done.set()

    imps.pass_frame(1, "egress", b"a", deliver)  # perfect: inline
    assert got == [(b"a", got[0][1])]
    imps.set(1, "egress", Impairment(delay_ms=30))
    imps.pass_frame(1, "egress", b"b", deliver)
    imps.set(1, "egress", Impairment(delay_ms=5))
    imps.pass_frame(1, "egress", b"c", deliver)  # shorter delay overtakes b
    assert done.wait(2)
    imps.stop()
    assert [f for f, _ in got] == [b"a", b"c", b"b"]
    assert got[2][1] >= 0.029
    assert imps.counters()[(1, "egress")].delayed == 2


def test_rate_limit_paces_delivery_in_real_time() -> None:
    imps = Impairments(seed=0)
    imps.set(3, "egress", Impairment(rate_bps=8e6, burst_bytes=0))  # 1000 bytes = 1 ms
    times: list[float] = []
    done = threading.Event()

    def deliver(frame: bytes) -> None:
        times.append(time.monotonic())
        if len(times) == 100:
            done.set()

    t0 = time.monotonic()
    for _ in range(100):
        imps.pass_frame(3, "egress", b"\x00" * 1000, deliver)
    assert done.wait(3)
    imps.stop()
    span = times[-1] - t0
    assert 0.098 <= span < 1.0  # loose above: the machine may be busy
    assert times == sorted(times)
    assert imps.counters()[(3, "egress")].rate_limited == 99
