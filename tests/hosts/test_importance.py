"""Importance classes and TOS bytes."""

from __future__ import annotations

import numpy as np

from inalab.hosts.config import ImportanceRule
from inalab.hosts.importance import classes, tos_bytes
from inalab.protocol import format as fmt


def test_magnitude_rule_relative_to_largest_block() -> None:
    peaks = np.array([10.0, 6.0, 2.0, 0.5, 0.01, 0.0])
    got = classes(peaks, ImportanceRule(thresholds=(0.5, 0.1, 0.01)))
    assert got.tolist() == [3, 3, 2, 1, 0, 0]
    assert classes(np.zeros(3), ImportanceRule()).tolist() == [0, 0, 0]


def test_fixed_rule_and_per_call_override() -> None:
    peaks = np.array([1.0, 0.0])
    assert classes(peaks, ImportanceRule(rule="fixed", fixed_class=2)).tolist() == [2, 2]
    assert classes(peaks, ImportanceRule(), fixed=1).tolist() == [1, 1]


def test_tos_carries_dscp_and_ect() -> None:
    tos = tos_bytes(np.array([0, 1, 2, 3], dtype=np.uint8), ecn_capable=True)
    for c, t in enumerate(tos.tolist()):
        assert t >> 2 == fmt.IMPORTANCE_DSCP[fmt.Importance(c)]
        assert t & 3 == fmt.ECN_ECT0
    assert tos_bytes(np.array([3], dtype=np.uint8), False)[0] & 3 == fmt.ECN_NOT_ECT
