"""The job manager: admission, regions, membership, moves, reclaim.

Jobs register with their member hosts; the allocation policy gives each a
region of every aggregating switch's memory (same base and size on each switch
of the job), a multicast group and a telemetry row. Membership entries
(``job_member``) come only from the registration, so a host can write into its
own job's region and no other.

Moving a region (policies that re-divide memory) never loses a round. Workers
heartbeat before every round with the round number they are about to start:

1. announce: the job's epoch goes up; the drain round is one past the highest
   round any member has been told to run;
2. drain: members keep running rounds before the drain round (so a round every
   rank has started is finished by all); at the drain round the heartbeat
   answers ``drain`` and the worker sends nothing more (it holds every result of
   the previous round, and so do its peers, as they also reached the drain round);
3. switch: once every member of every moving job has reached its drain round (or
   ``drain_timeout`` passed, or its workers never heartbeat), the new regions
   are zeroed and the ``job_region`` entries rewritten together; heartbeats then
   answer ``run`` with the new epoch and workers fetch their new configuration
   (``slots`` = new region size) before the round.

Reclaim: ``finish``, a heartbeat silence longer than ``heartbeat_timeout``, or
an age beyond ``lease`` removes the job's entries and multicast group and zeroes
its region's scoreboard registers.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inalab.controller.errors import (
    AdmissionError,
    ConfigError,
    ControllerError,
    JobError,
    SwitchError,
)
from inalab.controller.fabric import Fabric
from inalab.controller.network import ip_int, switch_address
from inalab.controller.placement import (
    Placement,
    Region,
    clear_job_counters,
    clear_region,
    job_entities,
    roles,
)
from inalab.controller.policies import Demand, Policy
from inalab.controller.requests import JobRequest

ON_FULL = ("refuse", "ps")
MAX_JOB_INDEX = 256
MAX_MCAST_GROUP = 0xFFFF


@dataclass
class Job:
    """A registered job (mutable, owned by the manager)."""

    request: JobRequest
    mcast_group: int
    job_index: int
    registered: float
    state: str = "waiting"  # waiting | active | moving | ps
    region: Region | None = None  # installed on the switches
    target: Region | None = None  # where a move (or admission) goes
    epoch: int = 0
    last_heartbeat: float = 0.0
    seen: set[int] = field(default_factory=set)
    drained: set[int] = field(default_factory=set)
    started: dict[int, int] = field(default_factory=dict)  # rank -> highest round run
    drain_round: int = 0
    rank_heartbeat: dict[int, float] = field(default_factory=dict)
    move_started: float = 0.0

    @property
    def job_id(self) -> int:
        return self.request.job_id

    def summary(self) -> dict[str, Any]:
        r = self.region
        return {
            "job_id": self.job_id,
            "state": self.state,
            "members": list(self.request.members),
            "region": None if r is None else {"base": r.base, "size": r.size, "shared": r.shared},
            "target": None
            if self.target is None
            else {"base": self.target.base, "size": self.target.size},
            "mcast_group": self.mcast_group,
            "job_index": self.job_index,
            "epoch": self.epoch,
        }


class JobManager:
    def __init__(
        self,
        fabric: Fabric,
        policy: Policy,
        *,
        on_full: str = "refuse",
        drain_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        state_file: str | Path | None = None,
    ) -> None:
        if on_full not in ON_FULL:
            raise ConfigError(f"on_full {on_full!r}: choose one of {', '.join(ON_FULL)}")
        self.fabric = fabric
        self.topo = fabric.topo
        self.policy = policy
        self.on_full = on_full
        self.drain_timeout = drain_timeout
        self.clock = clock
        self.capacity = fabric.slots
        self.lanes = len(fabric.index.value_registers())
        self.jobs: dict[int, Job] = {}
        self.lock = threading.RLock()
        self.events: list[dict[str, Any]] = []  # admissions, moves, reclaims (for telemetry)
        self.state_file = Path(state_file) if state_file else None
        ps = self.topo.parameter_servers
        self.ps_addr = ip_int(ps[0].address) if ps else 0

    # ------------------------------------------------------------------ persistence
    def save(self) -> None:
        if self.state_file is None:
            return
        data = [
            {
                "request": j.request.to_dict(),
                "mcast_group": j.mcast_group,
                "job_index": j.job_index,
                "state": j.state,
                "region": None
                if j.region is None
                else [j.region.base, j.region.size, j.region.shared],
                "epoch": j.epoch,
            }
            for j in self.jobs.values()
        ]
        tmp = self.state_file.with_name(self.state_file.name + ".tmp")
        tmp.write_text(json.dumps({"jobs": data}, indent=1))
        tmp.replace(self.state_file)

    def restore(self) -> int:
        """Load the jobs of a previous controller run (before connecting switches,
        so reconciliation keeps their entries). Moves in progress are completed."""
        if self.state_file is None or not self.state_file.exists():
            return 0
        where = f"{self.state_file}: cannot restore jobs"
        try:
            data = json.loads(self.state_file.read_text())
        except OSError as e:
            raise ConfigError(f"{where}: {e.strerror or e}") from None
        except ValueError as e:  # not JSON, or not UTF-8 text
            raise ConfigError(f"{where}: not a JSON state file ({e})") from None
        if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
            if not isinstance(data, dict):
                got = _kind(data)
            elif "jobs" not in data:
                got = f"an object without 'jobs' (keys: {', '.join(map(str, data)) or 'none'})"
            else:
                got = f"{_kind(data['jobs'])} for 'jobs'"
            raise ConfigError(f'{where}: expected an object {{"jobs": [...]}}, got {got}')
        now = self.clock()
        for i, item in enumerate(data["jobs"]):
            try:
                job = _restored_job(item, now)
            except (ControllerError, ValueError) as e:
                raise ConfigError(f"{where}: jobs[{i}]{e}") from None
            self.jobs[job.request.job_id] = job
        waiting = [j for j in self.jobs.values() if j.state == "waiting"]
        if waiting:
            layout = self._layout()
            for j in waiting:
                j.target = layout[j.job_id]
        # desired state only: the switches are reconciled against it when connected
        self.fabric.set_jobs(self._entities())
        return len(self.jobs)

    # ------------------------------------------------------------------ registration
    def register(self, req: JobRequest) -> dict[str, Any]:
        with self.lock:
            if req.job_id in self.jobs:
                raise JobError(f"job {req.job_id} is already registered")
            workers = {h.name for h in self.topo.workers}
            for m in req.members:
                if m not in workers:
                    raise JobError(
                        f"job {req.job_id}: member {m!r} is not a worker host of the topology"
                    )
            taken = {m for j in self.jobs.values() for m in j.request.members}
            busy = sorted(set(req.members) & taken)
            if busy:
                raise JobError(f"job {req.job_id}: host(s) {busy} already belong to another job")
            if req.lanes != self.lanes and req.mode != "ps":
                raise JobError(
                    f"job {req.job_id}: lanes {req.lanes}, but the switches aggregate K={self.lanes}"
                )
            now = self.clock()
            job = Job(
                req, self._free_mcast(), self._free_index(req.job_id), now, last_heartbeat=now
            )
            layout: dict[int, Region] | None = None
            if req.mode != "ps":
                try:
                    layout = self._layout(extra=job)
                    roles(self.topo, req.members, layout[req.job_id].shared)
                except AdmissionError as e:
                    if self.on_full != "ps":
                        raise AdmissionError(f"job {req.job_id} refused: {e}") from None
                    layout = None
            self.jobs[req.job_id] = job
            if layout is None:
                job.state = "ps"
                self._event("fallback", job)
            else:
                job.target = layout[req.job_id]
                try:
                    self._apply_layout(layout)
                except SwitchError:
                    # a switch refused the job's entries: the job is not admitted, and
                    # what was written for it is removed again (other jobs unchanged)
                    del self.jobs[req.job_id]
                    with contextlib.suppress(SwitchError):
                        self._push()
                    raise
                self._event("admitted", job)
            self.save()
            return job.summary()

    def _free_mcast(self) -> int:
        used = {j.mcast_group for j in self.jobs.values()}
        for g in range(1, MAX_MCAST_GROUP + 1):
            if g not in used:
                return g
        raise AdmissionError("no free multicast group")

    def _free_index(self, job_id: int) -> int:
        used = {j.job_index for j in self.jobs.values()}
        for i in range(MAX_JOB_INDEX):
            if i not in used:
                return i
        raise AdmissionError(f"job {job_id}: all {MAX_JOB_INDEX} telemetry rows are in use")

    def _demands(self, extra: Job | None = None) -> list[Demand]:
        jobs = [j for j in self.jobs.values() if j.state != "ps"]
        if extra is not None:
            jobs.append(extra)
        return [
            Demand(
                j.job_id,
                min(j.request.wanted_slots, self.capacity),
                min(j.request.min_slots, self.capacity),
            )
            for j in sorted(jobs, key=lambda j: j.registered)
        ]

    def _layout(self, extra: Job | None = None) -> dict[int, Region]:
        current = {
            j.job_id: (j.target or j.region)
            for j in self.jobs.values()
            if (j.target or j.region) is not None
        }
        return self.policy.layout(self.capacity, current, self._demands(extra))  # type: ignore[arg-type]

    def _apply_layout(self, layout: dict[int, Region]) -> None:
        """Announce moves of running jobs; admit waiting ones when no move is pending."""
        now = self.clock()
        for job_id, region in layout.items():
            job = self.jobs[job_id]
            if job.state == "waiting":
                job.target = region
            elif job.state in ("active", "moving"):
                if region == job.region:  # no move (any more)
                    job.state, job.target = "active", None
                elif region != job.target:
                    job.target = region
                    if job.state == "active":
                        job.state = "moving"
                        job.epoch += 1
                        job.drained = set()
                        job.move_started = now
                        job.drain_round = max(job.started.values(), default=-1) + 1
                        self._event("announce", job)
        self._stage_jobs()

    # ------------------------------------------------------------------ switching
    def _move_ready(self, job: Job, now: float) -> bool:
        """Every rank drained, or silent for ``drain_timeout`` (a dead worker does not
        block the move; a live one in a long round does)."""
        if not job.seen:
            return True
        for r in range(len(job.request.members)):
            if r in job.drained:
                continue
            last = max(job.rank_heartbeat.get(r, job.move_started), job.move_started)
            if now - last < self.drain_timeout:
                return False
        return True

    def _stage_jobs(self) -> None:
        """Switch every announced move and admit waiting jobs once all moves drained."""
        now = self.clock()
        movers = [j for j in self.jobs.values() if j.state == "moving"]
        if not all(self._move_ready(j, now) for j in movers):
            return
        starting = movers + [j for j in self.jobs.values() if j.state == "waiting"]
        if not starting:
            self._push()
            return
        for job in starting:
            assert job.target is not None
            if (
                job.state == "waiting"
                and job.target.shared
                and any(j.region is not None and j.region.shared for j in self.jobs.values())
            ):
                pass  # a shared pool in use is not cleared under its other jobs
            else:
                self._clear(job, job.target)
            if job.state == "waiting":
                self._clear(job, None)
            job.region, job.target = job.target, None
            if job.state == "moving":
                self._event("switched", job)
            job.state = "active"
        self._push()
        self.save()

    def _placements(self) -> list[Placement]:
        return [
            Placement(
                j.job_id, j.request.members, j.region, j.mcast_group, j.job_index, self.ps_addr
            )
            for j in self.jobs.values()
            if j.region is not None
        ]

    def _entities(self) -> dict[str, list[Any]]:
        per: dict[str, list[Any]] = {}
        for p in self._placements():
            for sw, ents in job_entities(self.topo, self.fabric.builder, p).items():
                per.setdefault(sw, []).extend(ents)
        return per

    def _push(self) -> None:
        self.fabric.set_jobs(self._entities())

    def _clear(self, job: Job, region: Region | None) -> None:
        """Zero ``region`` (None: the job's telemetry row) on the job's switches."""
        b = self.fabric.builder
        if region is None:
            cells = clear_job_counters(b, job.job_index)
            shared = job.target is not None and job.target.shared
        else:
            cells = clear_region(b, region, self.capacity)
            shared = region.shared
        for sw in {r.switch for r in roles(self.topo, job.request.members, shared)}:
            if self.fabric.installed(sw) is not None:
                self.fabric.write_registers(sw, cells)

    # ------------------------------------------------------------------ workers
    def _job(self, job_id: int) -> Job:
        try:
            return self.jobs[job_id]
        except KeyError:
            raise JobError(f"no job {job_id} (never registered, finished or reclaimed)") from None

    def _rank(self, job: Job, rank: int | None, host: str | None) -> int:
        members = job.request.members
        if host is not None:
            if host not in members:
                raise JobError(f"job {job.job_id}: host {host!r} is not a member")
            if rank is not None and rank != members.index(host):
                raise JobError(f"job {job.job_id}: host {host!r} does not have rank {rank}")
            return members.index(host)
        if rank is None:
            raise JobError(f"job {job.job_id}: give a rank or a host")
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < len(members):
            raise JobError(f"job {job.job_id}: no rank {rank!r} (ranks 0..{len(members) - 1})")
        return rank

    def member_config(
        self, job_id: int, rank: int | None = None, host: str | None = None
    ) -> dict[str, Any]:
        """The worker's ``inalab.hosts`` JobConfig (as a dict) plus the job's epoch and state."""
        with self.lock:
            job = self._job(job_id)
            r = self._rank(job, rank, host)
            req = job.request
            name = req.members[r]
            cfg: dict[str, Any] = {"job_id": job_id, "rank": r, "n_workers": len(req.members)}
            if job.state == "ps" or job.region is None:
                ps = self.topo.parameter_servers
                if not ps:
                    raise JobError(f"job {job_id}: no switch memory and no parameter server host")
                cfg |= {"server": ps[0].address, "via": "ps", "slots": min(req.wanted_slots, 4096)}
            else:
                edge = self.topo.attachment(name)[0]
                slots = (
                    job.region.size
                    if not job.region.shared
                    else min(req.wanted_slots, job.region.size)
                )
                cfg |= {"server": switch_address(self.topo, edge), "via": "switch", "slots": slots}
            cfg |= {"lanes": req.lanes, "multicast_group": job.mcast_group}
            cfg |= dict(req.worker)
            return {"config": cfg, "epoch": _installed_epoch(job), "state": job.state, "host": name}

    def heartbeat(
        self,
        job_id: int,
        rank: int | None = None,
        drained: int | None = None,
        round: int | None = None,
    ) -> dict[str, Any]:
        """A sign of life; workers send it before each round with ``round`` (the round
        they are about to start). Answer ``action``: ``run`` (start the round; fetch
        the config first if ``epoch`` changed), ``drain`` (do not start it: ask
        again), ``wait`` (not admitted yet). ``drained=epoch`` (without ``round``)
        declares the rank idle for that move."""
        with self.lock:
            job = self._job(job_id)
            now = self.clock()
            job.last_heartbeat = now
            if rank is None:
                return {"action": "run", "epoch": _installed_epoch(job), "state": job.state}
            r = self._rank(job, rank, None)
            job.seen.add(r)
            job.rank_heartbeat[r] = now
            if job.state == "moving" and (
                (round is not None and round >= job.drain_round) or drained == job.epoch
            ):
                job.drained.add(r)
                self._stage_jobs()
            if job.state == "moving":
                early = round is not None and round < job.drain_round
                action = "run" if early else "drain"
            else:
                action = "wait" if job.state == "waiting" else "run"
            if action == "run" and round is not None:
                job.started[r] = max(job.started.get(r, -1), round)
            reply = {"action": action, "epoch": _installed_epoch(job), "state": job.state}
            if job.state == "moving":
                reply |= {"next_epoch": job.epoch, "drain_round": job.drain_round}
            return reply

    # ------------------------------------------------------------------ reclaim
    def finish(self, job_id: int, reason: str = "finished") -> dict[str, Any]:
        with self.lock:
            job = self._job(job_id)
            del self.jobs[job_id]
            self._event(reason, job)
            self._push()
            if job.region is not None and not job.region.shared:
                self._clear(job, job.region)
            if self.policy.moves_jobs and job.state != "ps":
                self._apply_layout(self._layout())
            else:
                self._stage_jobs()
            self.save()
            return job.summary() | {"reason": reason}

    def tick(self) -> list[dict[str, Any]]:
        """Reclaim silent and expired jobs, finish drained moves. Call periodically."""
        with self.lock:
            now = self.clock()
            gone = []
            for job in list(self.jobs.values()):
                req = job.request
                if req.heartbeat_timeout and now - job.last_heartbeat > req.heartbeat_timeout:
                    gone.append(self.finish(job.job_id, "heartbeat-timeout"))
                elif req.lease and now - job.registered > req.lease:
                    gone.append(self.finish(job.job_id, "lease-expired"))
            self._stage_jobs()
            return gone

    def _event(self, kind: str, job: Job) -> None:
        self.events.append({"event": kind, "time": time.time()} | job.summary())
        del self.events[:-1000]

    def status(self) -> list[dict[str, Any]]:
        with self.lock:
            return [j.summary() for j in sorted(self.jobs.values(), key=lambda j: j.job_id)]

    def memory_in_use(self) -> int:
        with self.lock:
            regions = {(j.region.base, j.region.size) for j in self.jobs.values() if j.region}
            return sum(s for _, s in regions)


_STATE_KEYS = ("request", "mcast_group", "job_index", "state", "region", "epoch")


def _kind(v: object) -> str:
    return "null" if v is None else f"{type(v).__name__} {json.dumps(v)[:40]}"


def _restored_job(item: object, now: float) -> Job:
    """One entry of a state file's ``jobs`` list; errors start with ``.key: ...``."""
    if not isinstance(item, dict):
        raise ValueError(f": expected an object with {', '.join(_STATE_KEYS)}, got {_kind(item)}")
    missing = [k for k in _STATE_KEYS if k not in item]
    if missing:
        raise ValueError(f": missing {', '.join(missing)}")
    for key in ("mcast_group", "job_index", "epoch"):
        v = item[key]
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ValueError(f".{key}: expected an integer >= 0, got {_kind(v)}")
    if item["state"] not in ("waiting", "active", "moving", "ps"):
        raise ValueError(
            f".state: expected waiting, active, moving or ps, got {_kind(item['state'])}"
        )
    reg = item["region"]
    if reg is not None and not (
        isinstance(reg, list)
        and len(reg) == 3
        and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in reg[:2])
    ):
        raise ValueError(f".region: expected null or [base, size, shared], got {_kind(reg)}")
    try:
        req = JobRequest.from_dict(item["request"])
    except (ControllerError, ValueError) as e:
        raise ValueError(f".request: {e}") from None
    job = Job(req, item["mcast_group"], item["job_index"], now, last_heartbeat=now)
    job.region = None if reg is None else Region(reg[0], reg[1], bool(reg[2]))
    job.state = "ps" if item["state"] == "ps" else "active" if reg else "waiting"
    job.epoch = item["epoch"]
    return job


def _installed_epoch(job: Job) -> int:
    """The epoch of the configuration on the switches (a move in progress has
    announced the next one but not installed it)."""
    return job.epoch - 1 if job.state == "moving" else job.epoch
