"""Build and run a Mininet network from a :class:`~inalab.topologies.spec.Topology`.

::

    with InaNetwork(single_rack(2), programs={"ina": Path("build/ina.json")}) as net:
        net.host("h1").cmd("ping -c1 10.0.1.2")

Switches are :class:`P4Switch` processes (``build/<program>.json``, gRPC
port and device id from the spec, logs in ``logs/``, captures in
``pcaps/``), hosts are :class:`P4Host`. Links are Mininet ``TCLink`` with
the link's rate; queue limits and impairments follow
:mod:`inalab.topologies.trafficcontrol` (netem where the kernel has it) and
:mod:`inalab.topologies.impairment` (our switch otherwise). Hosts of one
subnet get static ARP entries for each other; hosts with a gateway a default
route. A run record (:mod:`inalab.topologies.runs`) lets ``inalab-clean``
undo a crash.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import sys
import types
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inalab.topologies.cleanup import interface_exists, require_root
from inalab.topologies.errors import (
    EnvironmentProblem,
    LeftoverRunError,
    TopologiesError,
)
from inalab.topologies.impairment import switch_impairment
from inalab.topologies.runs import RunProcess, RunRecord, all_runs, new_record
from inalab.topologies.spec import Topology
from inalab.topologies.trafficcontrol import child_qdisc_command, netem_available

if TYPE_CHECKING:
    from mininet.net import Mininet

    from inalab.topologies.p4switch import P4Host, P4Switch


def require_mininet() -> types.ModuleType:
    try:
        return importlib.import_module("mininet.net")
    except ImportError as e:
        raise EnvironmentProblem(
            f"Mininet is not installed for {sys.executable} ({e}): apt-get install mininet, "
            "and build the venv with --system-site-packages (scripts/setup-env.sh does)"
        ) from None


class InaNetwork:
    """A running (or ready to run) Mininet network of P4 switches and hosts."""

    def __init__(
        self,
        topo: Topology,
        *,
        programs: Mapping[str, Path] | None = None,
        build_dir: str | Path = "build",
        log_dir: str | Path = "logs",
        pcap_dir: str | Path | None = "pcaps",
        kind: str | None = None,
        seed: int = 0,
        netem: bool | None = None,
        start_timeout: float = 20.0,
        switch_args: Mapping[str, tuple[str, ...]] | None = None,
        thrift_base_port: int = 9090,
    ) -> None:
        """``programs`` maps a program name to its JSON (default
        ``build_dir/<name>.json``); ``netem`` None = probe the kernel;
        ``switch_args`` adds switch flags per switch name; switch ``k``'s runtime
        (bmv2 Thrift / inalab-switch-cli) port is ``thrift_base_port + device id``."""
        self.topo = topo
        self.programs = dict(programs or {})
        self.build_dir = Path(build_dir)
        self.log_dir = Path(log_dir)
        self.pcap_dir = Path(pcap_dir) if pcap_dir is not None else None
        self.kind = kind
        self.seed = seed
        self._netem = netem
        self.start_timeout = start_timeout
        self.switch_args = dict(switch_args or {})
        self.thrift_base_port = thrift_base_port
        self.net: Mininet | None = None
        self.record: RunRecord | None = None

    # ------------------------------------------------------------------ set-up
    def json_for(self, program: str | None) -> Path | None:
        if program is None:
            return None
        return self.programs.get(program, self.build_dir / f"{program}.json")

    def thrift_port(self, switch: str) -> int:
        """The runtime-control port of a switch (``inalab-switch-cli --thrift-port``)."""
        return self.thrift_base_port + self.topo.switch(switch).device_id

    def ports(self) -> list[int]:
        """TCP ports this network's switches listen on (gRPC and runtime)."""
        return [p for s in self.topo.switches for p in (s.grpc_port, self.thrift_port(s.name))]

    def root_interfaces(self) -> list[str]:
        """Interfaces this network creates in the root namespace (switch sides)."""
        switches = {s.name for s in self.topo.switches}
        names = []
        for link in self.topo.links:
            for end in (link.a, link.b):
                if end in switches:
                    names.append(self.topo.interface_name(end, link.port_of(end)))
        return names

    def preflight(self) -> None:
        """Clear errors before touching anything: root, Mininet, leftovers, clashes."""
        require_root("a Mininet network")
        require_mininet()
        runs = all_runs()
        leftovers = [r for r in runs if r.leftover]
        mine = set(self.root_interfaces())
        my_ports = set(self.ports())
        for r in runs:
            busy = sorted(my_ports & set(r.ports))
            if busy and r.leftover:
                raise LeftoverRunError(
                    f"a crashed run of {r.topology} (pid {r.owner_pid}) may still hold port(s) "
                    f"{', '.join(map(str, busy))}: run inalab-clean"
                )
            clash = sorted(mine & set(r.interfaces))
            if clash and r.leftover:
                raise LeftoverRunError(
                    f"a crashed run of {r.topology} (pid {r.owner_pid}) left {', '.join(clash)}: "
                    "run inalab-clean"
                )
            if clash:
                raise TopologiesError(
                    f"interfaces {', '.join(clash)} belong to a running network of {r.topology} "
                    f"(pid {r.owner_pid}); stop it first"
                )
        existing = sorted(i for i in mine if interface_exists(i))
        if existing:
            hint = "run inalab-clean" if leftovers else "left by another Mininet run? try mn -c"
            raise LeftoverRunError(f"interfaces {', '.join(existing)} already exist: {hint}")
        if self.kind == "bmv2" or os.environ.get("SWITCH") == "bmv2":
            impaired = [link.label for link in self.topo.links if link.profile.impaired]
            if impaired and not self.netem:
                raise EnvironmentProblem(
                    f"{impaired[0]}: impairments need tc netem or inalab-switch; "
                    "this kernel has no netem and bmv2 cannot impair links"
                )

    @property
    def netem(self) -> bool:
        if self._netem is None:
            self._netem = netem_available()
        return self._netem

    def _impairment_file(self, switch: str) -> Path | None:
        content = switch_impairment(self.topo, switch, self.seed, self.netem)
        if content is None:
            return None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        path = self.log_dir / f"{switch}.impairment.json"
        path.write_text(json.dumps(content, indent=1) + "\n")
        return path

    def build(self) -> Mininet:
        """Create nodes, links and tc set-up (switches not started); call preflight first."""
        from mininet.link import TCLink
        from mininet.net import Mininet

        from inalab.topologies.p4switch import P4Host, P4Switch

        net = Mininet(
            topo=None,
            build=False,
            controller=None,
            switch=P4Switch,
            host=P4Host,
            link=TCLink,
            autoSetMacs=False,
            autoStaticArp=False,
        )
        self.net = net
        self.record = new_record(self.topo.name, tuple(self.root_interfaces()), tuple(self.ports()))
        self.record.save()
        for h in self.topo.hosts:
            params: dict[str, Any] = {"ip": h.ip, "mac": h.mac}
            if h.gateway is not None:
                params |= {"gateway": h.gateway, "gateway_mac": h.gateway_mac}
            net.addHost(h.name, cls=P4Host, **params)
        for s in self.topo.switches:
            net.addSwitch(
                s.name,
                cls=P4Switch,
                device_id=s.device_id,
                grpc_port=s.grpc_port,
                thrift_port=self.thrift_port(s.name),
                json_path=self.json_for(s.program),
                kind=self.kind,
                log_dir=self.log_dir,
                pcap_dir=self.pcap_dir,
                cpu_port=s.cpu_port,
                impairment_file=self._impairment_file(s.name),
                seed=self.seed,
                start_timeout=self.start_timeout,
                extra_args=self.switch_args.get(s.name, ()),
            )
        for link in self.topo.links:
            tc: dict[str, Any] = {"txo": False, "rxo": False}
            if link.bw_mbit:
                tc["bw"] = link.bw_mbit
            net.addLink(link.a, link.b, port1=link.port_a, port2=link.port_b, **tc)
        net.build()
        self._apply_tc()
        self._static_arp()
        return net

    def _apply_tc(self) -> None:
        assert self.net is not None
        for link in self.topo.links:
            for end in (link.a, link.b):
                node = self.net.get(end)
                intf = self.topo.interface_name(end, link.port_of(end))
                argv = child_qdisc_command(intf, link.profile, self.netem)
                if argv is None:
                    continue
                out = node.cmd(" ".join(argv))
                if out.strip():
                    raise EnvironmentProblem(
                        f"{link.label}: {' '.join(argv)} failed: {out.strip()}"
                    )

    def _static_arp(self) -> None:
        assert self.net is not None
        for a in self.topo.hosts:
            for b in self.topo.hosts:
                if a is not b and b.network == a.network:
                    node = self.net.get(a.name)
                    node.cmd(
                        f"ip neigh replace {b.address} lladdr {b.mac} "
                        f"dev {node.defaultIntf()} nud permanent"
                    )

    # ------------------------------------------------------------------ run
    def start(self) -> InaNetwork:
        """Build, start every switch (each waits for its gRPC port), record the run."""
        self.preflight()
        try:
            net = self.build()
            net.start()
        except BaseException:
            self.stop()
            raise
        self._record_processes()
        return self

    def _record_processes(self) -> None:
        assert self.net is not None and self.record is not None
        procs = [
            RunProcess(sw.switch_pid, sw.executable, f"switch {sw.name}")
            for sw in self.switches()
            if sw.switch_pid is not None
        ]
        procs += [
            RunProcess(h.shell.pid, "bash", f"host {h.name}")
            for h in self.net.hosts
            if h.shell is not None
        ]
        self.record = dataclasses.replace(self.record, processes=tuple(procs))
        self.record.save()

    def stop(self) -> None:
        """Stop switches first (so no process sees its ports vanish), then Mininet."""
        if self.net is not None:
            for sw in self.switches():
                sw.stop_process()
            self.net.stop()
            self.net = None
        if self.record is not None:
            self.record.remove()
            self.record = None

    def __enter__(self) -> InaNetwork:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ access
    def _mn(self) -> Mininet:
        if self.net is None:
            raise TopologiesError(f"network {self.topo.name} is not running")
        return self.net

    def host(self, name: str) -> P4Host:
        self.topo.host(name)
        return self._mn().get(name)

    def switch(self, name: str) -> P4Switch:
        self.topo.switch(name)
        return self._mn().get(name)

    def switches(self) -> list[P4Switch]:
        return list(self._mn().switches) if self.net is not None else []

    def ping(self, src: str, dst: str, count: int = 1, timeout_s: int = 2) -> bool:
        """Whether ``src`` gets ``count`` replies from ``dst``'s address."""
        out = self.host(src).cmd(f"ping -c {count} -W {timeout_s} {self.topo.host(dst).address}")
        return f"{count} received" in out
