"""Hosts and links in one process: frames a switch core transmits are carried to
the peer switch (topology links) or to the host's transport, and the PS host
runs the host agents' Aggregator. Switch cores and their P4Runtime servers are
real; only the wires are Python."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from inalab.controller.client import ControllerClient, ManagedWorker
from inalab.controller.network import router_mac
from inalab.hosts.config import JobConfig
from inalab.hosts.frames import FrameTransport, HostAddress, ipv4_udp_frame, parse_datagram
from inalab.hosts.ps import Aggregator, PsJob
from inalab.protocol import format as fmt

from .conftest import Network


class Wiring:
    def __init__(self, net: Network, ps_jobs: Sequence[PsJob] = ()) -> None:
        self.net = net
        self.topo = net.topo
        self.switch_names = {s.name for s in self.topo.switches}
        self.transports: dict[str, FrameTransport] = {}
        self.ps = Aggregator.for_jobs(list(ps_jobs))
        self.ps_lock = threading.Lock()
        self.attach()

    def attach(self) -> None:
        """(Re)wire every switch core (call again after a switch restart)."""
        for name, proc in self.net.procs.items():
            proc.switch.set_transmit_handler(functools.partial(self._tx, name))

    def _tx(self, sw: str, port: int, data: bytes) -> None:
        data = bytes(data)
        peer = self.topo.switch_ports(sw).get(port)
        if peer is None:
            return
        if peer.node in self.switch_names:
            self.net.procs[peer.node].switch.receive(peer.peer_port, data)
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
        with self.ps_lock:
            replies = self.ps.handle(d.payload, (d.src_ip, d.src_port))
        for (dst_ip, dst_port), payload in replies:  # the PS answers workers directly
            if dst_ip in by_ip:
                host, t = by_ip[dst_ip]
                mac = self.topo.host(host).mac
                t.deliver(
                    ipv4_udp_frame(
                        "02:00:00:00:00:99", mac, ps_ip, dst_ip, fmt.INA_PS_UDP_PORT,
                        dst_port, payload,
                    )
                )  # fmt: skip

    def transport_for(self, host: str) -> Callable[[JobConfig], FrameTransport]:
        def make(cfg: JobConfig) -> FrameTransport:
            sw, port = self.topo.attachment(host)
            h = self.topo.host(host)
            server_ip, server_port = cfg.server_address
            addr = HostAddress(
                h.mac, h.address, router_mac(self.topo, sw), server_ip, server_port=server_port
            )
            t = FrameTransport(
                lambda f: self.net.procs[sw].switch.receive(port, f), addr, paths=cfg.paths
            )
            self.transports[host] = t
            return t

        return make


def run_job(
    client: ControllerClient,
    wiring: Wiring,
    job_id: int,
    members: Sequence[str],
    rounds: int,
    size: int,
    seed: int,
    between: Callable[[int], None] | None = None,
) -> list[BaseException | None]:
    """Every member runs ``rounds`` int32 allreduces (ManagedWorker); returns the
    errors per rank (None = every round exact). ``between(r)`` runs in rank 0
    after round r."""
    rng = np.random.default_rng(seed)
    data = rng.integers(-(2**26), 2**26, size=(rounds, len(members), size), dtype=np.int32)
    want = data.astype(np.int64).sum(axis=1).astype(np.int32)
    errors: list[BaseException | None] = [None] * len(members)

    def worker(rank: int) -> None:
        try:
            with ManagedWorker(
                client, job_id, rank, wiring.transport_for(members[rank]), wait_timeout=60
            ) as mw:
                for r in range(rounds):
                    got: npt.NDArray = mw.allreduce(data[r, rank])
                    np.testing.assert_array_equal(got, want[r])
                    if between is not None and rank == 0:
                        between(r)
        except BaseException as e:
            errors[rank] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(members))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors
