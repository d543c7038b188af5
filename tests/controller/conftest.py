"""Fixtures of the controller tests: the INA program compiled once (small register
arrays), real switch cores serving P4Runtime on free ports, one per switch of a
topology. Nothing is mocked: the controller speaks gRPC to the real server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from inalab.controller.fabric import Pipeline
from inalab.switch.core import Switch
from inalab.switch.p4runtime.server import P4RuntimeServer, start_server
from inalab.topologies.spec import Topology

from .helpers import compiled_pipeline

Transmit = Callable[[int, bytes], None]


@dataclass
class SwitchProc:
    """A switch core with its P4Runtime server (in-process, as a switch process has)."""

    name: str
    device_id: int
    switch: Switch
    server: P4RuntimeServer
    address: str

    def restart(self) -> None:
        """A switch restart: everything (pipeline, entries, registers) is gone."""
        self.server.stop()
        self.switch.stop()
        self.switch = Switch(priority_queues=8)
        self.switch.start()
        self.server = start_server(self.switch, self.address, device_id=self.device_id)


@dataclass
class Network:
    topo: Topology
    procs: dict[str, SwitchProc] = field(default_factory=dict)

    @property
    def addresses(self) -> dict[str, str]:
        return {n: p.address for n, p in self.procs.items()}

    def stop(self) -> None:
        for p in self.procs.values():
            p.server.stop()
            p.switch.stop()


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    return compiled_pipeline()


@pytest.fixture
def network() -> Iterator[Callable[[Topology], Network]]:
    made: list[Network] = []

    def make(topo: Topology) -> Network:
        net = Network(topo)
        for sw in topo.switches:
            switch = Switch(priority_queues=8)
            switch.start()
            server = start_server(switch, "127.0.0.1:0", device_id=sw.device_id)
            addr = f"127.0.0.1:{server.port}"
            net.procs[sw.name] = SwitchProc(sw.name, sw.device_id, switch, server, addr)
        made.append(net)
        return net

    yield make
    for net in made:
        net.stop()
