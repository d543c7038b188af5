"""Telemetry read over P4Runtime: per switch and per job, aggregated packets,
completions, retransmissions, drops by reason and by importance class,
fallbacks, memory in use; a snapshot as JSON, a status table, and JSON lines
appended to a time-series file for plotting scripts."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from p4.v1.p4runtime_pb2 import Entity

from inalab.controller.errors import SwitchError
from inalab.controller.names import Counter
from inalab.controller.placement import roles
from inalab.protocol import format as fmt
from inalab.protocol.constants import DROP_REASON_COUNT, DropReason, InaEvent

if TYPE_CHECKING:
    from inalab.controller.jobs import JobManager

EVENTS_PER_JOB = 16  # row stride of job_event_counter (INA_EVENTS)
IMPORTANCE = [c.name.lower() for c in fmt.Importance]


def _named(values: list[int], enum: type[InaEvent] | type[DropReason]) -> dict[str, int]:
    return {e.name.lower(): values[int(e)] for e in enum if int(e) < len(values)}


def job_totals(events: dict[str, int], drops: dict[str, int]) -> dict[str, int]:
    return {
        "aggregated": events.get("absorbed", 0) + events.get("completed", 0),
        "completions": events.get("completed", 0),
        "retransmissions": events.get("duplicate", 0) + events.get("result_unicast", 0),
        "fallbacks": events.get("collision", 0),
        "dropped": sum(drops.values()),
    }


class Telemetry:
    def __init__(self, manager: JobManager) -> None:
        self.manager = manager

    def _counts(self, switch: str, queries: list[Entity]) -> list[int]:
        ents = self.manager.fabric.read(switch, queries)
        return [e.counter_entry.data.packet_count for e in ents]

    def switch_stats(self, switch: str) -> dict[str, Any]:
        b = self.manager.fabric.builder
        events = self._counts(switch, [b.counter_query(Counter.INA_EVENT_COUNTER)])
        drops = self._counts(switch, [b.counter_query(Counter.INA_DROP_COUNTER)])
        qdrop = self._counts(switch, [b.counter_query(Counter.QUEUE_DROP_COUNTER)])
        marks = self._counts(switch, [b.counter_query(Counter.ECN_MARK_COUNTER)])
        ev = _named(events, InaEvent)
        dr = _named(drops, DropReason)
        return {
            "events": ev,
            "drops": dr,
            "queue_drops_by_class": dict(zip(IMPORTANCE, qdrop, strict=False)),
            "ecn_marks_by_class": dict(zip(IMPORTANCE, marks, strict=False)),
        } | job_totals(ev, dr)

    def job_stats(self, job: dict[str, Any]) -> dict[str, Any]:
        """Counters of one job (its telemetry row) on every switch that aggregates it."""
        b = self.manager.fabric.builder
        row = job["job_index"]
        per_switch: dict[str, Any] = {}
        region = job["region"]
        if region is None:
            return {"switches": {}}
        for role in roles(self.manager.topo, job["members"], bool(region["shared"])):
            if self.manager.fabric.installed(role.switch) is None:
                continue
            ev_q = [
                b.counter_query(Counter.JOB_EVENT_COUNTER, row * EVENTS_PER_JOB + i)
                for i in range(EVENTS_PER_JOB)
            ]
            dr_q = [
                b.counter_query(Counter.JOB_DROP_COUNTER, row * DROP_REASON_COUNT + i)
                for i in range(DROP_REASON_COUNT)
            ]
            ev = _named(self._counts(role.switch, ev_q), InaEvent)
            dr = {k: v for k, v in _named(self._counts(role.switch, dr_q), DropReason).items() if v}
            per_switch[role.switch] = {"mode": role.mode.name.lower(), "events": ev, "drops": dr}
            per_switch[role.switch] |= job_totals(ev, dr)
        return {"switches": per_switch}

    def snapshot(self) -> dict[str, Any]:
        m = self.manager
        switches: dict[str, Any] = {}
        for name in m.fabric.switches:
            if m.fabric.installed(name) is None:
                switches[name] = {"connected": False}
                continue
            try:
                switches[name] = {"connected": True} | self.switch_stats(name)
            except SwitchError as e:
                switches[name] = {"connected": False, "error": str(e)}
        jobs = []
        for job in m.status():
            try:
                jobs.append(job | self.job_stats(job))
            except SwitchError as e:
                jobs.append(job | {"error": str(e)})
        return {
            "time": time.time(),
            "policy": m.policy.name,
            "capacity": m.capacity,
            "memory_in_use": m.memory_in_use(),
            "switches": switches,
            "jobs": jobs,
        }

    def append(self, path: Path) -> dict[str, Any]:
        snap = self.snapshot()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            f.write(json.dumps(snap, sort_keys=True) + "\n")
        return snap


def status_table(snap: dict[str, Any]) -> str:
    """The ``inalab-ctl status`` table."""
    lines = [
        f"policy {snap['policy']}, memory {snap['memory_in_use']}/{snap['capacity']} slots",
        "",
        f"{'job':>5} {'state':<8} {'region':<11} {'mcast':>5} {'members':>7} "
        f"{'aggregated':>10} {'completed':>9} {'retrans':>7} {'fallback':>8} {'drops':>5}",
    ]
    for j in snap["jobs"]:
        r = j["region"]
        region = "-" if r is None else ("shared" if r["shared"] else f"{r['base']}+{r['size']}")
        tot = dict.fromkeys(
            ("aggregated", "completions", "retransmissions", "fallbacks", "dropped"), 0
        )
        for s in j.get("switches", {}).values():
            for k in tot:
                tot[k] += s.get(k, 0)
        lines.append(
            f"{j['job_id']:>5} {j['state']:<8} {region:<11} {j['mcast_group']:>5} "
            f"{len(j['members']):>7} {tot['aggregated']:>10} {tot['completions']:>9} "
            f"{tot['retransmissions']:>7} {tot['fallbacks']:>8} {tot['dropped']:>5}"
        )
    lines += [
        "",
        f"{'switch':<8} {'conn':<5} {'aggregated':>10} {'completed':>9} {'drops':>6}  drops by reason",
    ]
    for name, s in snap["switches"].items():
        if not s.get("connected"):
            lines.append(f"{name:<8} {'no':<5}  {s.get('error', '')}")
            continue
        reasons = ", ".join(f"{k}={v}" for k, v in s["drops"].items() if v) or "-"
        lines.append(
            f"{name:<8} {'yes':<5} {s['aggregated']:>10} {s['completions']:>9} {s['dropped']:>6}  {reasons}"
        )
    return "\n".join(lines)
