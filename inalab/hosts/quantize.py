"""Block quantization of float32 gradients to int32 with a shared per-block exponent.

SwitchML's scheme: every worker computes, per block of K values, the exponent
``e`` with ``2**e > max|x|``; the workers agree on the maximum ``E`` over all of
them (the aggregator keeps the max of the ``block_exp`` header field); each
worker then sends ``q = round(x * 2**(B - E))`` clipped to ``+-(2**B - 1)``,
where ``B = 31 - ceil(log2 n)``, so the int32 sum of n contributions cannot
overflow: ``n * (2**B - 1) < 2**31``.

Error bound (exponent agreed, no clipping beyond the last unit): per worker and
value ``|q * 2**-(B-E) - x| <= 2**(E-B)`` (half a unit from rounding, at most one
unit where the clip bites), so the dequantized sum of n workers is within
``n * 2**(E-B)`` of the exact sum, plus float32 rounding of the result
(``2**-24`` relative). A worker whose block exceeds an exponent it did not help
agree on (a partial result) saturates at ``+-2**E``; its neighbours are unharmed.

``block_exp`` is unsigned on the wire: it carries ``e + EXP_BIAS`` so the
switch's unsigned max is the max of the exponents; ``e`` is clamped to
``[EXP_MIN, EXP_MAX]``, which covers every finite float32 (an all-zero block has
``EXP_MIN``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from inalab.protocol import format as fmt

EXP_BIAS = 127
EXP_MIN = -EXP_BIAS
EXP_MAX = fmt.field("block_exp").max_value - EXP_BIAS  # 128: 2**128 > float32 max


def value_bits(n_workers: int) -> int:
    """B: magnitude bits each worker may use so that n int32 values sum without overflow."""
    if not 1 <= n_workers <= fmt.MAX_WORKERS:
        raise ValueError(f"n_workers {n_workers} out of 1..{fmt.MAX_WORKERS}")
    return 31 - (n_workers - 1).bit_length()


def chunk(flat: npt.NDArray, lanes: int) -> npt.NDArray:
    """A 1-D array to (ceil(len/K), K) blocks, the tail padded with zeros (a copy)."""
    n = flat.shape[0]
    blocks = -(-n // lanes)
    out = np.zeros(blocks * lanes, dtype=flat.dtype)
    out[:n] = flat
    return out.reshape(blocks, lanes)


def block_exponents(blocks: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
    """Biased wire exponents (``e + EXP_BIAS``) with ``2**e > max|block|`` per row."""
    peak = np.abs(blocks).max(axis=1) if blocks.shape[0] else np.zeros(0, np.float32)
    _, e = np.frexp(peak.astype(np.float64))  # peak = f * 2**e, f in [0.5, 1)
    e = np.where(peak > 0, e, EXP_MIN)
    return (np.clip(e, EXP_MIN, EXP_MAX) + EXP_BIAS).astype(np.uint8)


def scales(biased_exp: npt.NDArray, n_workers: int) -> npt.NDArray[np.float64]:
    """The power-of-two scale ``2**(B - E)`` per block (float64: exact)."""
    e = biased_exp.astype(np.int64) - EXP_BIAS
    return np.ldexp(1.0, value_bits(n_workers) - e)


def quantize(
    blocks: npt.NDArray[np.float32], biased_exp: npt.NDArray, n_workers: int
) -> npt.NDArray[np.int32]:
    """Scale, round half to even, clip to ``+-(2**B - 1)``; rows use their block's exponent."""
    limit = float((1 << value_bits(n_workers)) - 1)
    scaled = blocks.astype(np.float64) * scales(biased_exp, n_workers)[:, None]
    return np.clip(np.rint(scaled), -limit, limit).astype(np.int32)


def dequantize(
    sums: npt.NDArray,
    biased_exp: npt.NDArray,
    n_workers: int,
    factor: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float32]:
    """int32 sums back to float32; ``factor`` per block rescales partial sums (n/count)."""
    s = 1.0 / scales(biased_exp, n_workers)
    if factor is not None:
        s = s * factor
    return (sums.astype(np.float64) * s[:, None]).astype(np.float32)


def error_bound(biased_exp: npt.NDArray, n_workers: int) -> npt.NDArray[np.float64]:
    """Per block, the quantization error bound of an n-worker sum: ``n * 2**(E - B)``."""
    return n_workers / scales(biased_exp, n_workers)
