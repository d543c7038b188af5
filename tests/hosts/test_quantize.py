"""Quantization: stated error bound, no overflow for n workers, chunking."""

from __future__ import annotations

import numpy as np
import pytest

from inalab.hosts import quantize as qz
from inalab.protocol import format as fmt


def test_value_bits_leave_room_for_n_workers() -> None:
    for n in range(1, fmt.MAX_WORKERS + 1):
        b = qz.value_bits(n)
        assert n * ((1 << b) - 1) <= np.iinfo(np.int32).max
        assert 2 * n * ((1 << b) - 1) > np.iinfo(np.int32).max  # no bit wasted


def test_chunk_pads_the_tail_with_zeros() -> None:
    a = np.arange(70, dtype=np.float32)
    blocks = qz.chunk(a, 32)
    assert blocks.shape == (3, 32)
    assert np.array_equal(blocks.reshape(-1)[:70], a)
    assert not blocks.reshape(-1)[70:].any()
    assert qz.chunk(np.zeros(0, np.int32), 32).shape == (0, 32)


def test_exponents_bound_the_block_and_fit_the_wire() -> None:
    blocks = np.array(
        [[0.0] * 4, [1.0, -0.5, 0, 0], [0.75, 0, 0, 0], [3.4e38, 0, 0, 0], [1e-45, 0, 0, 0]],
        dtype=np.float32,
    )
    e = qz.block_exponents(blocks).astype(int) - qz.EXP_BIAS
    assert e[0] == qz.EXP_MIN
    assert e[1] == 1 and e[2] == 0  # 2**e > max|x|
    assert e[3] == 128
    assert e[4] >= qz.EXP_MIN
    assert np.all(np.abs(blocks).max(axis=1)[1:] < np.ldexp(1.0, e[1:]))
    assert qz.block_exponents(blocks).max() <= fmt.field("block_exp").max_value


@pytest.mark.parametrize("n", [1, 2, 3, 4, 17, 32])
def test_sum_of_n_workers_within_bound_and_never_overflows(n: int) -> None:
    rng = np.random.default_rng(n)
    k, p = 32, 200
    # wide dynamic range per block, and blocks hitting their exponent's edge
    xs = [
        (rng.standard_normal((p, k)) * np.exp2(rng.integers(-40, 40, (p, 1)))).astype(np.float32)
        for _ in range(n)
    ]
    xs[0][:, 0] = np.nextafter(np.exp2(np.arange(p) % 20 - 10), 0).astype(np.float32)
    agreed = np.max([qz.block_exponents(x) for x in xs], axis=0)
    qs = [qz.quantize(x, agreed, n) for x in xs]
    wide = np.sum([q.astype(np.int64) for q in qs], axis=0)
    assert np.abs(wide).max() <= np.iinfo(np.int32).max  # int32 sum is exact: no wrap
    wrapped = np.asarray(np.sum(qs, axis=0, dtype=np.int32))
    assert np.array_equal(wrapped, wide)
    got = qz.dequantize(wrapped, agreed, n).astype(np.float64)
    exact = np.sum([x.astype(np.float64) for x in xs], axis=0)
    bound = qz.error_bound(agreed, n)[:, None] + np.abs(exact) * 2.0**-23
    assert np.all(np.abs(got - exact) <= bound)


def test_value_above_the_agreed_exponent_saturates_without_harming_neighbours() -> None:
    n = 4
    x = np.array([[1000.0, 0.25, -0.125] + [0.0] * 29], dtype=np.float32)
    agreed = qz.block_exponents(np.array([[0.9] + [0.0] * 31], dtype=np.float32))  # 2**0
    q = qz.quantize(x, agreed, n)
    assert q[0, 0] == (1 << qz.value_bits(n)) - 1
    back = qz.dequantize(q, agreed, n)
    assert back[0, 0] == pytest.approx(1.0, rel=1e-6)
    assert back[0, 1] == 0.25 and back[0, 2] == -0.125


def test_partial_rescale_factor() -> None:
    agreed = qz.block_exponents(np.ones((1, 32), np.float32))
    q = qz.quantize(np.full((1, 32), 0.5, np.float32), agreed, 4)
    s = q * 2  # two of four workers
    out = qz.dequantize(s, agreed, 4, factor=np.array([2.0]))
    assert np.allclose(out, 2.0)
