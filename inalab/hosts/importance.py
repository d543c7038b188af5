"""DSCP importance classes for blocks, from their gradient magnitude or a fixed (layer) class."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from inalab.hosts.config import ImportanceRule
from inalab.protocol import format as fmt

# class -> DSCP lookup table (index = class value), from format.py's one mapping
DSCP_OF_CLASS: npt.NDArray[np.uint8] = np.array(
    [fmt.IMPORTANCE_DSCP[fmt.Importance(c)] for c in range(len(fmt.Importance))], dtype=np.uint8
)


def classes(
    peaks: npt.NDArray, rule: ImportanceRule, fixed: int | None = None
) -> npt.NDArray[np.uint8]:
    """Importance class per block from its max-abs ``peaks`` (or ``fixed`` for all blocks)."""
    if fixed is not None or rule.rule == "fixed":
        cls = rule.fixed_class if fixed is None else int(fmt.Importance(fixed))
        return np.full(peaks.shape[0], cls, dtype=np.uint8)
    top = float(peaks.max()) if peaks.size else 0.0
    if top <= 0.0:
        return np.full(peaks.shape[0], int(fmt.Importance.LOW), dtype=np.uint8)
    rel = peaks.astype(np.float64) / top
    # thresholds descending: count how many of them (from the lowest) the block reaches
    asc = np.array(rule.thresholds[::-1])
    return np.searchsorted(asc, rel, side="right").astype(np.uint8)


def tos_bytes(cls: npt.NDArray[np.uint8], ecn_capable: bool) -> npt.NDArray[np.uint8]:
    """IPv4 TOS byte per block: DSCP of its class, ECT(0) if ECN is on."""
    ecn = fmt.ECN_ECT0 if ecn_capable else fmt.ECN_NOT_ECT
    return ((DSCP_OF_CLASS[cls].astype(np.uint16) << 2) | ecn).astype(np.uint8)
