"""Job specs, inputs and the result checks (no network)."""

from __future__ import annotations

import numpy as np
import pytest

from inalab.protocol import format as fmt
from inalab.scenarios.jobs import (
    JobSpec,
    block_matches,
    check_output,
    delivered_mass,
    expected_sum,
)


def spec(**kw: object) -> JobSpec:
    base: dict[str, object] = {"job_id": 3, "workers": ("h1", "h2", "h3"), "server": "10.0.1.100"}
    base.update(kw)
    return JobSpec(**base)  # type: ignore[arg-type]


def test_spec_validates_itself() -> None:
    with pytest.raises(ValueError, match="no workers"):
        spec(workers=())
    with pytest.raises(ValueError, match="twice"):
        spec(workers=("h1", "h1"))
    with pytest.raises(ValueError, match="dtype"):
        spec(dtype="float64")
    with pytest.raises(ValueError, match="via"):
        spec(via="tor")
    with pytest.raises(ValueError, match="profile"):
        spec(profile="zipf")


def test_config_points_at_the_switch_or_the_ps_port() -> None:
    assert spec().config()["server"] == f"10.0.1.100:{fmt.INA_UDP_PORT}"
    cfg = spec(via="ps", extra={"ecn": False}).config()
    assert cfg["server"] == f"10.0.1.100:{fmt.INA_PS_UDP_PORT}"
    assert cfg["n_workers"] == 3 and cfg["ecn"] is False


def test_inputs_are_deterministic_per_seed_and_rank() -> None:
    a, b = spec(values=100).inputs(), spec(values=100).inputs()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], a[1])
    assert not np.array_equal(a[0], spec(values=100, seed=1).inputs()[0])
    ints = spec(values=10, dtype="int32").inputs()
    assert ints[0].dtype == np.int32


def test_layered_profile_spans_three_decades_of_block_magnitude() -> None:
    s = spec(values=32 * 400, profile="layered")
    x = s.inputs()[0]
    block_max = np.abs(x).reshape(400, 32).max(axis=1)
    assert block_max.max() / block_max.min() > 100


def test_checks_accept_the_sum_and_flag_a_wrong_block() -> None:
    s = spec(values=100)
    xs = s.inputs()
    want = expected_sum(s, xs).astype(np.float32)
    ok, err = check_output(s, xs, want)
    assert ok and err < 1e-5
    bad = want.copy()
    bad[40] += 0.01  # block 1 of 32-value blocks
    assert list(block_matches(s, xs, bad)) == [True, False, True, True]
    assert check_output(s, xs, bad)[0] is False
    assert check_output(s, xs, want[:-1]) == (False, float("inf"))


def test_int32_check_is_exact() -> None:
    s = spec(values=64, dtype="int32")
    xs = s.inputs()
    want = expected_sum(s, xs)
    assert check_output(s, xs, want)[0]
    off = want.copy()
    off[0] += 1
    assert list(block_matches(s, xs, off)) == [False, True]


def test_delivered_mass_counts_blocks_that_arrived() -> None:
    s = spec(values=64)
    xs = [np.concatenate([np.full(32, 3.0), np.full(32, 1.0)]).astype(np.float32)] * 3
    out = expected_sum(s, xs).astype(np.float32)
    assert delivered_mass(s, xs, out) == 1.0
    out[32:] = 0  # the small block was zero-filled
    assert delivered_mass(s, xs, out) == pytest.approx(0.75)
