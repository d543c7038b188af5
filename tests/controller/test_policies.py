"""Allocation policies as pure functions of (capacity, current regions, demands)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import ClassVar

import pytest

from inalab.controller.errors import AdmissionError, ConfigError
from inalab.controller.placement import Region
from inalab.controller.policies import (
    POLICIES,
    BestEffort,
    Demand,
    FairShare,
    FirstFit,
    StaticPartition,
    make_policy,
    register_policy,
)


def _disjoint(layout: dict[int, Region], capacity: int) -> None:
    regions = sorted(layout.values(), key=lambda r: r.base)
    for a, b in itertools.pairwise(regions):
        assert not a.overlaps(b)
    assert all(r.end <= capacity for r in regions)


def test_static_partitions_are_fixed_and_run_out() -> None:
    p = StaticPartition(4)
    lay = p.layout(64, {}, [Demand(1, 64), Demand(2, 5)])
    assert lay == {1: Region(0, 16), 2: Region(16, 5)}
    lay = p.layout(64, {2: Region(16, 5)}, [Demand(2, 5), Demand(3, 8), Demand(4, 8), Demand(5, 8)])
    assert lay[2] == Region(16, 5) and lay[3] == Region(0, 8)
    _disjoint(lay, 64)
    with pytest.raises(AdmissionError, match="all 4 partitions"):
        p.layout(64, lay, [*(Demand(j, 1) for j in lay), Demand(9, 1)])
    with pytest.raises(AdmissionError, match="needs 20 slots"):
        p.layout(64, {}, [Demand(1, 30, min_slots=20)])


def test_first_fit_fills_gaps_and_never_moves() -> None:
    p = FirstFit()
    cur = {1: Region(0, 10), 3: Region(30, 10)}
    lay = p.layout(64, cur, [Demand(1, 10), Demand(3, 10), Demand(4, 20), Demand(5, 24)])
    assert lay[4] == Region(10, 20) and lay[5] == Region(40, 24)
    _disjoint(lay, 64)
    # nothing of 8 left; a job that accepts less gets the largest run
    with pytest.raises(AdmissionError, match="largest free run is 0"):
        p.layout(64, lay, [*(Demand(j, 1) for j in lay), Demand(6, 8)])
    lay = p.layout(64, cur, [Demand(1, 10), Demand(3, 10), Demand(6, 64, min_slots=8)])
    assert lay[6] == Region(40, 24)


def test_fair_share_is_max_min_fair_and_contiguous() -> None:
    p = FairShare()
    assert p.layout(64, {}, [Demand(1, 64)]) == {1: Region(0, 64)}
    lay = p.layout(64, {1: Region(0, 64)}, [Demand(1, 64), Demand(2, 10), Demand(3, 64)])
    assert lay == {1: Region(0, 27), 2: Region(27, 10), 3: Region(37, 27)}
    lay = p.layout(10, {}, [Demand(j, 64) for j in range(1, 4)])
    assert sorted(r.size for r in lay.values()) == [3, 3, 4]
    _disjoint(lay, 10)
    with pytest.raises(AdmissionError, match="below its minimum 8"):
        p.layout(20, {}, [Demand(1, 64), Demand(2, 64), Demand(3, 64, min_slots=8)])


def test_best_effort_shares_everything() -> None:
    lay = BestEffort().layout(64, {}, [Demand(1, 8), Demand(2, 64)])
    assert lay == {1: Region(0, 64, shared=True), 2: Region(0, 64, shared=True)}


def test_policy_registry_and_a_user_policy() -> None:
    assert {"static", "first-fit", "fair-share", "best-effort"} <= set(POLICIES)
    with pytest.raises(ConfigError, match="unknown allocation policy 'x'"):
        make_policy("x")

    class Tiny:
        name: ClassVar[str] = "tiny"
        moves_jobs: ClassVar[bool] = False

        def layout(
            self, capacity: int, current: Mapping[int, Region], demands: Sequence[Demand]
        ) -> dict[int, Region]:
            return {d.job_id: Region(i, 1) for i, d in enumerate(demands)}

    register_policy(Tiny)
    try:
        assert make_policy("tiny").layout(8, {}, [Demand(5, 3)]) == {5: Region(0, 1)}
    finally:
        del POLICIES["tiny"]


def test_demand_and_region_validate_themselves() -> None:
    with pytest.raises(ConfigError):
        Demand(1, 4, min_slots=5)
    from inalab.controller.errors import JobError

    with pytest.raises(JobError):
        Region(0, 0)
