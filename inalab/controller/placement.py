"""Where a job lives in the network: which switches aggregate it, in which mode,
with which members, and the P4Runtime entities that say so.

One rack: the top-of-rack switch aggregates every worker (DEDICATED, or
BEST_EFFORT in a shared pool). Several racks (leaf-spine / multi-rack): each
leaf aggregates its own workers in LEAF mode and sends one partial per slot to
the aggregation address, routed over ECMP to the upper tier; every upper-tier
switch that a leaf's uplinks reach holds the job in DEDICATED mode with one
member (bit) per leaf, and multicasts the result down to the leaves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from p4.v1.p4runtime_pb2 import Entity

from inalab.controller.entities import Builder
from inalab.controller.errors import AdmissionError, JobError
from inalab.controller.names import Action, Counter, Key, Param, Register, Table
from inalab.controller.network import AGGREGATION_ADDRESS, ip_int, upstream_ports
from inalab.protocol import format as fmt
from inalab.protocol.constants import JobMode
from inalab.topologies.spec import Topology


@dataclass(frozen=True)
class Region:
    """Cells ``[base, base + size)`` of each shadow set; ``shared`` = best-effort pool."""

    base: int
    size: int
    shared: bool = False

    def __post_init__(self) -> None:
        if self.base < 0 or self.size < 1:
            raise JobError(f"region base {self.base} size {self.size}: need base >= 0, size >= 1")

    @property
    def end(self) -> int:
        return self.base + self.size

    def overlaps(self, other: Region) -> bool:
        return self.base < other.end and other.base < self.end


@dataclass(frozen=True)
class Placement:
    """What the switches need to know about one admitted job."""

    job_id: int
    members: tuple[str, ...]  # host names in rank order
    region: Region
    mcast_group: int
    job_index: int
    ps_addr: int = 0


@dataclass(frozen=True)
class SwitchRole:
    switch: str
    mode: JobMode
    members: tuple[tuple[int, int], ...]  # (ingress port, worker bit)
    upstream: int = 0

    @property
    def ports(self) -> tuple[int, ...]:
        return tuple(p for p, _ in self.members)


def roles(topo: Topology, members: Sequence[str], shared: bool = False) -> list[SwitchRole]:
    """The switches that aggregate a job of these hosts, and how."""
    edges: dict[str, list[tuple[int, int]]] = {}
    for host in members:
        sw, port = topo.attachment(host)
        edges.setdefault(sw, []).append((port, 0))
    if len(edges) == 1:
        [(sw, ports)] = edges.items()
        mode = JobMode.BEST_EFFORT if shared else JobMode.DEDICATED
        return [SwitchRole(sw, mode, tuple((p, i) for i, (p, _) in enumerate(ports)))]
    if shared:
        raise AdmissionError("a best-effort (shared) job must have all its workers in one rack")
    out: list[SwitchRole] = []
    uppers: dict[str, list[tuple[int, int]]] = {}
    for bit, (leaf, ports) in enumerate(sorted(edges.items())):
        if len(ports) > fmt.MAX_WORKERS:
            raise AdmissionError(f"{len(ports)} workers under {leaf}: at most {fmt.MAX_WORKERS}")
        ups = upstream_ports(topo, leaf)
        if not ups:
            raise AdmissionError(f"switch {leaf}: no uplink to aggregate a multi-rack job")
        out.append(
            SwitchRole(
                leaf,
                JobMode.LEAF,
                tuple((p, i) for i, (p, _) in enumerate(ports)),
                ip_int(AGGREGATION_ADDRESS),
            )
        )
        for port in ups:
            peer = topo.switch_ports(leaf)[port]
            uppers.setdefault(peer.node, []).append((peer.peer_port, bit))
    for sw, mem in sorted(uppers.items()):
        out.append(SwitchRole(sw, JobMode.DEDICATED, tuple(sorted(mem, key=lambda m: m[1]))))
    return out


def job_entities(topo: Topology, b: Builder, p: Placement) -> dict[str, list[Entity]]:
    """job_region, job_member and the multicast group on every switch of the job."""
    out: dict[str, list[Entity]] = {}
    for role in roles(topo, p.members, p.region.shared):
        ents = [
            b.table_entry(
                Table.JOB_REGION,
                {Key.JOB_ID: p.job_id},
                Action.SET_JOB_REGION,
                {
                    Param.REGION_BASE: p.region.base,
                    Param.REGION_SIZE: p.region.size,
                    Param.N_WORKERS: len(role.members),
                    Param.MCAST_GRP: p.mcast_group,
                    Param.MODE: int(role.mode),
                    Param.PS_ADDR: p.ps_addr,
                    Param.UPSTREAM_ADDR: role.upstream,
                    Param.JOB_INDEX: p.job_index,
                },
            )
        ]
        for port, bit in role.members:
            ents.append(
                b.table_entry(
                    Table.JOB_MEMBER,
                    {Key.JOB_ID: p.job_id, Key.INGRESS_PORT: port},
                    Action.SET_JOB_MEMBER,
                    {Param.WORKER_INDEX: bit},
                )
            )
        ents.append(b.multicast_group(p.mcast_group, role.ports))
        out[role.switch] = ents
    return out


def switches_of(topo: Topology, p: Placement) -> list[str]:
    return [r.switch for r in roles(topo, p.members, p.region.shared)]


def clear_region(b: Builder, region: Region, slots: int) -> list[Entity]:
    """Register writes that empty a region in both shadow sets: the scoreboard
    (``bitmap_reg``) decides whether a cell is in use; values, count, exponent and
    owner are overwritten by a cell's first contribution (docs/dataplane.md)."""
    out = []
    for shadow in (0, slots):
        for i in range(region.base, region.end):
            out.append(b.register_cell(Register.BITMAP_REG, shadow + i, 0))
    return out


def clear_job_counters(b: Builder, job_index: int) -> list[Entity]:
    """Counter writes that zero a telemetry row (a new job may reuse a row)."""
    out = []
    for counter in (Counter.JOB_EVENT_COUNTER, Counter.JOB_DROP_COUNTER):
        for i in range(16):
            out.append(b.counter_cell(counter, job_index * 16 + i))
    return out
