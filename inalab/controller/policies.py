"""Aggregator-memory allocation policies.

A policy maps the jobs that should hold switch memory to regions of the
``capacity`` slots every switch has. It sees the regions jobs hold now and may
keep or move them (the manager moves a job with announce / drain / switch, so
no round is lost). A job it cannot place raises :class:`AdmissionError` (the
manager then refuses it or sends it to the parameter server, as configured).

Adding a policy: one module with a class implementing :class:`Policy` and
``register_policy(MyPolicy)`` at its bottom; import it before building the
manager (``inalab-ctl serve --policy-module mypkg.mypolicy --policy mine``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from inalab.controller.errors import AdmissionError, ConfigError
from inalab.controller.placement import Region


@dataclass(frozen=True)
class Demand:
    """A job's wish: ``slots`` it can use (its window), at least ``min_slots``."""

    job_id: int
    slots: int
    min_slots: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.min_slots <= self.slots:
            raise ConfigError(f"job {self.job_id}: need 1 <= min_slots <= slots")


class Policy(Protocol):
    name: ClassVar[str]
    moves_jobs: ClassVar[bool]  # may change regions of running jobs

    def layout(
        self, capacity: int, current: Mapping[int, Region], demands: Sequence[Demand]
    ) -> dict[int, Region]:
        """Regions for every job of ``demands`` (in arrival order). ``current``: regions
        of jobs already placed. Raise AdmissionError if a job without one cannot fit."""
        ...


def _keep(current: Mapping[int, Region], demands: Sequence[Demand]) -> dict[int, Region]:
    return {d.job_id: current[d.job_id] for d in demands if d.job_id in current}


def _gaps(capacity: int, taken: Sequence[Region]) -> list[Region]:
    out, pos = [], 0
    for r in sorted(taken, key=lambda r: r.base):
        if r.base > pos:
            out.append(Region(pos, r.base - pos))
        pos = max(pos, r.end)
    if pos < capacity:
        out.append(Region(pos, capacity - pos))
    return out


class StaticPartition:
    """``partitions`` equal fixed regions; a job gets a free one (capped at its demand)."""

    name: ClassVar[str] = "static"
    moves_jobs: ClassVar[bool] = False

    def __init__(self, partitions: int = 4) -> None:
        if partitions < 1:
            raise ConfigError("static policy: partitions must be >= 1")
        self.partitions = partitions

    def layout(
        self, capacity: int, current: Mapping[int, Region], demands: Sequence[Demand]
    ) -> dict[int, Region]:
        size = capacity // self.partitions
        if size < 1:
            raise ConfigError(
                f"static policy: {capacity} slots cannot make {self.partitions} parts"
            )
        out = _keep(current, demands)
        used = {r.base // size for r in out.values()}
        for d in demands:
            if d.job_id in out:
                continue
            free = [i for i in range(self.partitions) if i not in used]
            if not free:
                raise AdmissionError(
                    f"job {d.job_id}: all {self.partitions} partitions of {size} slots are in use"
                )
            if d.min_slots > size:
                raise AdmissionError(
                    f"job {d.job_id}: needs {d.min_slots} slots, partitions have {size}"
                )
            used.add(free[0])
            out[d.job_id] = Region(free[0] * size, min(size, d.slots))
        return out


class FirstFit:
    """Each job gets its demand in the first free gap that holds it (at least
    ``min_slots`` of the largest gap otherwise); running jobs never move."""

    name: ClassVar[str] = "first-fit"
    moves_jobs: ClassVar[bool] = False

    def layout(
        self, capacity: int, current: Mapping[int, Region], demands: Sequence[Demand]
    ) -> dict[int, Region]:
        out = _keep(current, demands)
        for d in demands:
            if d.job_id in out:
                continue
            gaps = _gaps(capacity, list(out.values()))
            fit = [g for g in gaps if g.size >= d.slots]
            if fit:
                out[d.job_id] = Region(fit[0].base, d.slots)
                continue
            big = max(gaps, key=lambda g: g.size, default=None)
            if big is None or big.size < d.min_slots:
                free = big.size if big else 0
                raise AdmissionError(
                    f"job {d.job_id}: wants {d.slots} slots (min {d.min_slots}), "
                    f"largest free run is {free} of {capacity}"
                )
            out[d.job_id] = Region(big.base, big.size)
        return out


class FairShare:
    """Max-min fair shares of the whole memory, re-divided on every arrival and
    departure; regions laid out contiguously in arrival order (jobs move)."""

    name: ClassVar[str] = "fair-share"
    moves_jobs: ClassVar[bool] = True

    def layout(
        self, capacity: int, current: Mapping[int, Region], demands: Sequence[Demand]
    ) -> dict[int, Region]:
        shares = {d.job_id: 0 for d in demands}
        left, active = capacity, list(demands)
        while active and left >= len(active):  # water-filling
            each = left // len(active)
            still = []
            for d in active:
                give = min(each, d.slots - shares[d.job_id])
                shares[d.job_id] += give
                left -= give
                if shares[d.job_id] < d.slots:
                    still.append(d)
            active = still
        for d in active[:left]:  # the last few slots, one each in arrival order
            shares[d.job_id] += 1
        for d in demands:
            if shares[d.job_id] < d.min_slots:
                raise AdmissionError(
                    f"job {d.job_id}: a fair share of {capacity} slots among {len(demands)} "
                    f"jobs is {shares[d.job_id]}, below its minimum {d.min_slots}"
                )
        out, pos = {}, 0
        for d in demands:
            out[d.job_id] = Region(pos, shares[d.job_id])
            pos += shares[d.job_id]
        return out


class BestEffort:
    """ATP-style: every job hashes into one shared pool of all the memory, with
    owner tags; collisions go to the parameter server. Never refuses."""

    name: ClassVar[str] = "best-effort"
    moves_jobs: ClassVar[bool] = False

    def layout(
        self, capacity: int, current: Mapping[int, Region], demands: Sequence[Demand]
    ) -> dict[int, Region]:
        return {d.job_id: Region(0, capacity, shared=True) for d in demands}


POLICIES: dict[str, Callable[[], Policy]] = {}


def register_policy(factory: Callable[[], Policy], name: str | None = None) -> None:
    key = name or factory.name  # type: ignore[attr-defined]
    POLICIES[key] = factory


for _cls in (StaticPartition, FirstFit, FairShare, BestEffort):
    register_policy(_cls)


def make_policy(name: str) -> Policy:
    try:
        return POLICIES[name]()
    except KeyError:
        raise ConfigError(
            f"unknown allocation policy {name!r}; choose one of {', '.join(sorted(POLICIES))}"
        ) from None
