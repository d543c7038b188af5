"""A job registration as data: validated, from JSON, back to JSON."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from inalab.controller.errors import JobError
from inalab.protocol import format as fmt

MODES = ("auto", "dedicated", "best-effort", "ps")
# JobConfig keys the controller decides; a request cannot override them
_CONTROLLER_KEYS = {
    "job_id",
    "rank",
    "n_workers",
    "server",
    "via",
    "slots",
    "lanes",
    "multicast_group",
}


@dataclass(frozen=True)
class JobRequest:
    """What a scenario script registers.

    ``members``: worker host names of the topology, in rank order. ``size``: values
    per allreduce (sizes the wanted slots when ``slots`` is 0). ``lease``: seconds
    the job may hold switch memory (0: no limit). ``heartbeat_timeout``: seconds of
    silence after which the job is reclaimed (0: never). ``worker``: further
    ``inalab.hosts`` JobConfig keys handed to every worker (timeout, deadline,
    loss_bound, ...). ``mode``: ``auto`` (the policy decides), ``ps`` (no switch
    memory: parameter server)."""

    job_id: int
    members: tuple[str, ...]
    lanes: int = fmt.DEFAULT_LANES
    size: int = 0
    slots: int = 0
    min_slots: int = 1
    lease: float = 0.0
    heartbeat_timeout: float = 0.0
    mode: str = "auto"
    worker: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        def bad(msg: str) -> JobError:
            return JobError(f"job {self.job_id}: {msg}")

        if isinstance(self.job_id, bool) or not isinstance(self.job_id, int):
            raise JobError(f"job_id {self.job_id!r} must be an integer")
        if not 0 <= self.job_id <= fmt.field("job_id").max_value:
            raise JobError(f"job_id {self.job_id} out of 0..{fmt.field('job_id').max_value}")
        object.__setattr__(self, "members", tuple(self.members))
        if not self.members or not all(isinstance(m, str) and m for m in self.members):
            raise bad("members must be a non-empty list of host names")
        if len(set(self.members)) != len(self.members):
            raise bad(f"members {list(self.members)} name a host twice")
        if len(self.members) > fmt.MAX_WORKERS * 16:
            raise bad(f"{len(self.members)} members is too many")
        for name in ("lanes", "size", "slots", "min_slots"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise bad(f"{name}={v!r} must be a non-negative integer")
        try:
            fmt.check_lanes(self.lanes)
        except ValueError as e:
            raise bad(str(e)) from None
        if self.min_slots < 1:
            raise bad("min_slots must be >= 1")
        for name in ("lease", "heartbeat_timeout"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v < math.inf:
                raise bad(f"{name}={v!r} must be >= 0 seconds")
        if self.mode not in MODES:
            raise bad(f"mode {self.mode!r}: choose one of {', '.join(MODES)}")
        if not isinstance(self.worker, Mapping):
            raise bad("worker must be an object of JobConfig keys")
        clash = sorted(set(self.worker) & _CONTROLLER_KEYS)
        if clash:
            raise bad(f"worker keys {clash} are set by the controller")
        object.__setattr__(self, "worker", dict(self.worker))

    @property
    def wanted_slots(self) -> int:
        """Slots the job can use: ``slots``, else one per packet of ``size`` (max 64)."""
        if self.slots:
            return max(self.slots, self.min_slots)
        if self.size:
            return max(self.min_slots, min(64, -(-self.size // self.lanes)))
        return max(64, self.min_slots)

    @classmethod
    def from_dict(cls, data: object) -> JobRequest:
        if not isinstance(data, dict):
            raise JobError("job request must be a JSON object")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise JobError(f"job request: unknown key(s) {unknown}; known: {sorted(known)}")
        missing = sorted({"job_id", "members"} - set(data))
        if missing:
            raise JobError(f"job request: missing {missing}")
        members = data["members"]
        if not isinstance(members, list | tuple):
            raise JobError("job request: members must be a list of host names")
        try:
            return cls(**{**data, "members": tuple(members)})
        except TypeError as e:
            raise JobError(f"job request: {e}") from None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["members"] = list(self.members)
        d["worker"] = dict(self.worker)
        return d
