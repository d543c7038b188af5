"""Table writes that make ``p4src/ina.p4`` forward and aggregate on a running
network: routes, result addressing, importance classes, job regions,
membership, multicast groups, the drop simulator and queue thresholds.

This is the scenarios' stand-in for the controller (``inalab/controller``),
kept in this one module so it can be replaced by controller calls. It speaks
simple_switch_CLI's command language over the switch's runtime channel
(``inalab-switch-cli``'s protocol, or real ``simple_switch_CLI`` for bmv2).
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from inalab.protocol import format as fmt
from inalab.protocol.constants import JobMode
from inalab.scenarios.errors import ProgrammingError
from inalab.topologies.paths import next_hops
from inalab.topologies.spec import Topology

AGG = "InaIngress.aggregation_control"
FWD = "InaIngress.forwarding_control"
IMP = "InaIngress.importance_control"
SIM = "InaIngress.drop_simulator_control"
QA = "InaIngress.queue_admission_control"
QM = "InaEgress.queue_management_control"
RD = "InaEgress.result_delivery_control"
DROP_SIM_SCALE = 65536  # p4src/include/sizes.p4: threshold / 65536 = drop probability


def mac_int(mac: str) -> int:
    return int(mac.replace(":", ""), 16)


def ip_of(cidr: str) -> str:
    """``10.0.1.1/24`` -> ``10.0.1.1``."""
    return str(ipaddress.IPv4Interface(cidr).ip)


def ip_int(cidr: str) -> int:
    return int(ipaddress.IPv4Interface(cidr).ip)


class SwitchControl:
    """One switch's runtime channel: ``call(line)`` runs one CLI command."""

    def __init__(self, name: str, port: int, kind: str = "inalab") -> None:
        self.name = name
        self.port = port
        self.kind = kind
        self._client = None
        if kind != "bmv2":
            from inalab.switch.runtime_cli import RuntimeClient

            try:
                self._client = RuntimeClient("127.0.0.1", port)
            except OSError as e:
                raise ProgrammingError(
                    f"switch {name}: cannot reach its runtime channel on 127.0.0.1:{port}: {e}"
                ) from None

    def call(self, line: str) -> str:
        if self._client is not None:
            try:
                ok, out = self._client.call(line)
            except (OSError, ConnectionError, ValueError) as e:
                raise ProgrammingError(f"switch {self.name}: {line!r}: {e}") from None
        else:
            r = subprocess.run(
                ["simple_switch_CLI", "--thrift-port", str(self.port)],
                input=line + "\n",
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            out = r.stdout + r.stderr
            ok = r.returncode == 0 and "Error" not in out and "Invalid" not in out
        if not ok:
            raise ProgrammingError(f"switch {self.name} refused {line!r}: {out}")
        return out

    def calls(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.call(line)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ------------------------------------------------------------------ reads
    def counter(self, name: str, index: int) -> int:
        """Packets of a counter cell."""
        out = self.call(f"counter_read {name} {index}")
        m = re.search(r"packets=(\d+)", out)
        if not m:
            raise ProgrammingError(f"switch {self.name}: cannot read counter {name}: {out}")
        return int(m.group(1))

    def register(self, name: str, index: int) -> int:
        out = self.call(f"register_read {name} {index}")
        m = re.search(r"=\s*(-?\d+)\s*$", out.strip())
        if not m:
            raise ProgrammingError(f"switch {self.name}: cannot read register {name}: {out}")
        return int(m.group(1))


@dataclass(frozen=True)
class JobPlacement:
    """A job on one switch: its region, members (port -> bit), group, mode."""

    job_id: int
    base: int
    size: int
    members: tuple[tuple[int, int], ...]  # (ingress port, worker bit)
    mcast_grp: int
    mode: JobMode = JobMode.DEDICATED
    ps_addr: int = 0
    upstream_addr: int = 0
    index: int = 0
    result_ports: tuple[int, ...] = ()  # multicast ports; default: the member ports

    def __post_init__(self) -> None:
        if not 0 <= self.job_id < 2**16:
            raise ValueError(f"job id {self.job_id} out of 0..65535")
        if self.base < 0 or self.size < 1:
            raise ValueError(f"job {self.job_id}: bad region base {self.base} size {self.size}")
        if not self.members:
            raise ValueError(f"job {self.job_id}: no members")
        bits = [b for _, b in self.members]
        if len(set(bits)) != len(bits) or not all(0 <= b < 32 for b in bits):
            raise ValueError(f"job {self.job_id}: worker bits must be distinct in 0..31")
        if not 1 <= self.mcast_grp < 2**16:
            raise ValueError(f"job {self.job_id}: multicast group {self.mcast_grp} out of range")

    @property
    def ports(self) -> tuple[int, ...]:
        return self.result_ports or tuple(p for p, _ in self.members)


class FabricProgrammer:
    """Writes the forwarding state of every switch of a topology and places jobs."""

    def __init__(self, topo: Topology, controls: dict[str, SwitchControl]) -> None:
        self.topo = topo
        self.controls = controls
        self._members: dict[tuple[str, int, int], int] = {}
        self._node = 0

    def _member(self, sw: str, port: int, dmac: int) -> int:
        key = (sw, port, dmac)
        if key not in self._members:
            smac = mac_int(self.topo.switch(sw).router_mac or "02:00:00:00:00:fe")
            out = self.controls[sw].call(
                f"act_prof_create_member {FWD}.ecmp_selector {FWD}.set_nexthop {port} {smac} {dmac}"
            )
            m = re.search(r"handle (\d+)", out)
            if not m:
                raise ProgrammingError(f"switch {sw}: no member handle in {out!r}")
            self._members[key] = int(m.group(1))
        return self._members[key]

    def _peer_mac(self, sw: str, port: int) -> int:
        peer = self.topo.switch_ports(sw)[port].node
        if peer in {h.name for h in self.topo.hosts}:
            return mac_int(self.topo.host(peer).mac)
        return mac_int(self.topo.switch(peer).router_mac or "02:00:00:00:00:fe")

    def route(self, sw: str, match: str, ports: Sequence[int]) -> None:
        """An ``ipv4_lpm`` entry: one next hop, or an ECMP group over ``ports``."""
        c = self.controls[sw]
        members = [self._member(sw, p, self._peer_mac(sw, p)) for p in ports]
        if len(members) == 1:
            c.call(f"table_indirect_add {FWD}.ipv4_lpm {match} => {members[0]}")
            return
        out = c.call(f"act_prof_create_group {FWD}.ecmp_selector")
        m = re.search(r"handle (\d+)", out)
        if not m:
            raise ProgrammingError(f"switch {sw}: no group handle in {out!r}")
        grp = int(m.group(1))
        for mem in members:
            c.call(f"act_prof_add_member_to_group {FWD}.ecmp_selector {mem} {grp}")
        c.call(f"table_indirect_add_with_group {FWD}.ipv4_lpm {match} => {grp}")

    def program_forwarding(self) -> None:
        """/32 routes to every host on every switch (ECMP groups where several
        ports lead there), result addresses on host ports, DSCP classes."""
        host_names = {h.name for h in self.topo.hosts}
        for s in self.topo.switches:
            c = self.controls[s.name]
            for h in self.topo.hosts:
                self.route(s.name, f"{ip_of(h.ip)}/32", next_hops(self.topo, s.name, h.name))
            for port, peer in sorted(self.topo.switch_ports(s.name).items()):
                if peer.node in host_names:
                    h = self.topo.host(peer.node)
                    c.call(
                        f"table_add {RD}.result_destination {RD}.set_result_destination "
                        f"{port} => {mac_int(h.mac)} {ip_int(h.ip)}"
                    )
            for cls, dscp in fmt.IMPORTANCE_DSCP.items():
                c.call(
                    f"table_add {IMP}.importance_class {IMP}.set_importance_class "
                    f"{dscp} => {int(cls)}"
                )

    def place_job(self, switch: str, job: JobPlacement, zero: bool = False) -> None:
        """Admit a job on a switch: region, members, multicast group."""
        c = self.controls[switch]
        if zero:
            slots = self.region_slots(switch)
            for i in range(job.size):
                for cell in (job.base + i, slots + job.base + i):
                    c.call(f"register_write {AGG}.bitmap_reg {cell} 0")
        c.call(f"mc_mgrp_create {job.mcast_grp}")
        out = c.call(f"mc_node_create {self._node} " + " ".join(str(p) for p in job.ports))
        m = re.search(r"handle (\d+)", out)
        node = int(m.group(1)) if m else self._node
        self._node += 1
        c.call(f"mc_node_associate {job.mcast_grp} {node}")
        for port, bit in job.members:
            c.call(f"table_add {AGG}.job_member {AGG}.set_job_member {job.job_id} {port} => {bit}")
        c.call(
            f"table_add {AGG}.job_region {AGG}.set_job_region {job.job_id} => {job.base} "
            f"{job.size} {len(job.members)} {job.mcast_grp} {int(job.mode)} {job.ps_addr} "
            f"{job.upstream_addr} {job.index}"
        )

    def region_slots(self, switch: str) -> int:
        """INA_SLOTS of the loaded program (bitmap_reg holds 2 x INA_SLOTS cells)."""
        out = self.controls[switch].call(f"register_read {AGG}.bitmap_reg")
        return len(out.split(",")) // 2

    def drop_simulator(
        self, switch: str, probability: float, port: int | None = None, job: int | None = None
    ) -> None:
        """Drop INA contributions with ``probability`` (all ports/jobs by default)."""
        threshold = round(probability * DROP_SIM_SCALE)
        pk = f"{port or 0}&&&{0x1FF if port is not None else 0}"
        jk = f"{job or 0}&&&{0xFFFF if job is not None else 0}"
        self.controls[switch].call(
            f"table_add {SIM}.drop_simulator {SIM}.set_drop_probability {pk} {jk} => {threshold} 1"
        )

    def queue_thresholds(
        self,
        switch: str,
        thresholds: dict[int, tuple[int, int]],
        rate_pps: float | None = None,
        port: int | None = None,
    ) -> None:
        """Per importance class: (ECN-mark qdepth, drop qdepth), in packets waiting, for
        every port (``port`` None: the per-class default) or one port (an override).
        ECN marking is in egress; the early drop is in ingress and needs the rate the
        queue drains at (``rate_pps``; without it, no early drop)."""
        from inalab.controller.network import drop_wait_us, service_us

        c = self.controls[switch]
        # the override must win over the wildcard: the smaller priority wins in
        # simple_switch_CLI's convention, which inalab-switch-cli follows too
        override, default = 1, 2
        prio = default if port is None else override
        ecn_key = f"{port or 0}&&&{0x1FF if port is not None else 0}"
        queue_key = f"{port or 0}&&&{0xFFFF if port is not None else 0}"
        for cls, (ecn, drop) in sorted(thresholds.items()):
            c.call(
                f"table_add {QM}.ecn_threshold {QM}.set_ecn_threshold {ecn_key} {cls} "
                f"=> {ecn} {prio}"
            )
            if rate_pps is not None:
                svc = service_us(rate_pps)
                c.call(
                    f"table_add {QA}.queue_admission {QA}.set_queue_admission {queue_key} {cls} "
                    f"=> {svc} {drop_wait_us(drop, svc)} {prio}"
                )

    def impair(self, switch: str, port: int, loss: float, direction: str = "both") -> None:
        """Random loss on a switch port (our switch only)."""
        self.controls[switch].call(f"impair {port} {direction} loss={loss}")

    def events(self, switch: str, names: Sequence[str] = ()) -> dict[str, int]:
        from inalab.protocol.constants import InaEvent

        c = self.controls[switch]
        return {
            e.name.lower(): c.counter(f"{AGG}.ina_event_counter", int(e))
            for e in InaEvent
            if not names or e.name.lower() in names
        }

    def drops(self, switch: str) -> dict[str, int]:
        from inalab.protocol.constants import DropReason

        c = self.controls[switch]
        return {
            r.name.lower(): c.counter("InaIngress.ina_drop_counter", int(r)) for r in DropReason
        }

    def tail_drops(self, switch: str) -> int:
        """Packets the traffic manager dropped because a queue was full (our
        switch's ``queue_stats``; 0 where the switch does not report them)."""
        try:
            out = self.controls[switch].call("queue_stats")
        except ProgrammingError:
            return 0
        total = 0
        for line in out.splitlines()[1:]:
            cells = line.split()
            if len(cells) == 5 and cells[3].isdigit():
                total += int(cells[3])
        return total

    def queue_drops(self, switch: str) -> dict[str, int]:
        c = self.controls[switch]
        return {
            cls.name.lower(): c.counter(f"{QA}.queue_drop_counter", int(cls))
            for cls in fmt.Importance
        }
