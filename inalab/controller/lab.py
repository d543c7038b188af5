"""An in-process lab: one real switch core with its P4Runtime server per switch of
a topology, links and hosts carried in Python (host-agent transports, the PS
Aggregator), and a helper that runs a job's allreduce rounds with workers that
the controller configures. For tests, benchmarks and demos without Mininet;
the controller talks gRPC to the servers exactly as to switch processes."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from inalab.controller.client import ControllerClient, ManagedWorker
from inalab.controller.network import router_mac
from inalab.hosts.config import JobConfig
from inalab.hosts.frames import FrameTransport, HostAddress, ipv4_udp_frame, parse_datagram
from inalab.hosts.ps import Aggregator, PsJob
from inalab.protocol import format as fmt
from inalab.switch.core import Switch
from inalab.switch.p4runtime.server import P4RuntimeServer, start_server
from inalab.topologies.spec import Topology

PS_MAC = "02:00:00:00:00:99"


@dataclass
class SwitchProc:
    """A switch core with its P4Runtime server."""

    name: str
    device_id: int
    switch: Switch
    server: P4RuntimeServer
    address: str

    @classmethod
    def start(cls, name: str, device_id: int, address: str = "127.0.0.1:0") -> SwitchProc:
        switch = Switch(priority_queues=8)
        switch.start()
        server = start_server(switch, address, device_id=device_id)
        return cls(name, device_id, switch, server, f"127.0.0.1:{server.port}")

    def stop(self) -> None:
        self.server.stop()
        self.switch.stop()

    def restart(self) -> None:
        """A switch restart: pipeline, entries and registers are gone."""
        self.stop()
        self.switch = Switch(priority_queues=8)
        self.switch.start()
        self.server = start_server(self.switch, self.address, device_id=self.device_id)


@dataclass
class Lab:
    topo: Topology
    procs: dict[str, SwitchProc] = field(default_factory=dict)
    transports: dict[str, FrameTransport] = field(default_factory=dict)
    ps: Aggregator = field(default_factory=lambda: Aggregator.for_jobs([]))

    @classmethod
    def start(cls, topo: Topology) -> Lab:
        lab = cls(topo)
        for sw in topo.switches:
            lab.procs[sw.name] = SwitchProc.start(sw.name, sw.device_id)
        lab.attach()
        return lab

    def __post_init__(self) -> None:
        self._ps_lock = threading.Lock()
        self._switches = {s.name for s in self.topo.switches}

    @property
    def addresses(self) -> dict[str, str]:
        return {n: p.address for n, p in self.procs.items()}

    def stop(self) -> None:
        for p in self.procs.values():
            p.stop()

    def ps_jobs(self, jobs: Sequence[PsJob]) -> None:
        """Jobs the parameter-server host aggregates (fallback and collisions)."""
        self.ps = Aggregator.for_jobs(list(jobs))

    def attach(self) -> None:
        """(Re)wire every switch core (again after a restart)."""
        for name, proc in self.procs.items():
            proc.switch.set_transmit_handler(functools.partial(self._tx, name))

    def _tx(self, sw: str, port: int, data: bytes) -> None:
        data = bytes(data)
        peer = self.topo.switch_ports(sw).get(port)
        if peer is None:
            return
        if peer.node in self._switches:
            # straight into the peer: a core calls its transmit handler with its lock
            # released, and chained cores deliver without deadlock (Switch._deliver)
            proc = self.procs.get(peer.node)
            if proc is not None:
                proc.switch.receive(peer.peer_port, data)
            return
        host = self.topo.host(peer.node)
        if host.role == "ps":
            self._ps(host.address, data)
        elif host.name in self.transports:
            self.transports[host.name].deliver(data)

    def _ps(self, ps_ip: str, frame: bytes) -> None:
        d = parse_datagram(frame)
        if d is None:
            return
        by_ip = {self.topo.host(h).address: (h, t) for h, t in self.transports.items()}
        with self._ps_lock:
            replies = self.ps.handle(d.payload, (d.src_ip, d.src_port))
        for (dst_ip, dst_port), payload in replies:  # the PS answers workers directly
            if dst_ip in by_ip:
                host, t = by_ip[dst_ip]
                mac = self.topo.host(host).mac
                t.deliver(
                    ipv4_udp_frame(
                        PS_MAC, mac, ps_ip, dst_ip, fmt.INA_PS_UDP_PORT, dst_port, payload
                    )
                )

    def transport_for(self, host: str) -> Callable[[JobConfig], FrameTransport]:
        """A factory of the host's NIC for a given job config (ManagedWorker)."""

        def make(cfg: JobConfig) -> FrameTransport:
            sw, port = self.topo.attachment(host)
            h = self.topo.host(host)
            server_ip, server_port = cfg.server_address
            addr = HostAddress(
                h.mac, h.address, router_mac(self.topo, sw), server_ip, server_port=server_port
            )
            t = FrameTransport(
                lambda f: self.procs[sw].switch.receive(port, f), addr, paths=cfg.paths
            )
            self.transports[host] = t
            return t

        return make

    def run_job(
        self,
        client: ControllerClient,
        job_id: int,
        members: Sequence[str],
        rounds: int,
        size: int,
        seed: int,
        between: Callable[[int], None] | None = None,
    ) -> list[BaseException | None]:
        """Every member runs ``rounds`` int32 allreduces of ``size`` values and checks
        them exact; returns the error per rank (None = all exact). ``between(r)``
        runs in rank 0 after round r."""
        rng = np.random.default_rng(seed)
        data = rng.integers(-(2**26), 2**26, size=(rounds, len(members), size), dtype=np.int32)
        want = data.astype(np.int64).sum(axis=1).astype(np.int32)
        errors: list[BaseException | None] = [None] * len(members)

        def worker(rank: int) -> None:
            try:
                with ManagedWorker(
                    client, job_id, rank, self.transport_for(members[rank]), wait_timeout=60
                ) as mw:
                    for r in range(rounds):
                        got: npt.NDArray = mw.allreduce(data[r, rank])
                        if not np.array_equal(got, want[r]):
                            bad = int(np.count_nonzero(got != want[r]))
                            raise AssertionError(f"round {r}: {bad} of {size} values wrong")
                        if between is not None and rank == 0:
                            between(r)
            except BaseException as e:  # reported to the caller
                errors[rank] = e

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(members))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        return errors
