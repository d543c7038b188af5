"""Fixtures of the Mininet tests: a compiled L3 program and static routes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from inalab.compiler import compile_file
from inalab.topologies.net import InaNetwork
from inalab.topologies.paths import next_hops

L3FWD_SOURCE = Path(__file__).with_name("l3fwd.p4")


@pytest.fixture
def l3fwd_build(tmp_path: Path) -> Path:
    """A build directory holding l3fwd.json / l3fwd.p4info.txtpb, compiled now."""
    build = tmp_path / "build"
    build.mkdir()
    compile_file(L3FWD_SOURCE).write(build / "l3fwd.json", build / "l3fwd.p4info.txtpb")
    return build


def route_commands(net: InaNetwork, switch: str) -> list[str]:
    """One /32 route per host: the host's own port on its switch, else one of
    the equal-cost ports towards it, picked by the host's position so that
    different destinations use different paths."""
    topo = net.topo
    lines = []
    for index, host in enumerate(topo.hosts):
        ports = next_hops(topo, switch, host.name)
        port = ports[index % len(ports)]
        peer = topo.switch_ports(switch)[port]
        mac = host.mac if peer.node == host.name else topo.switch(peer.node).router_mac
        lines.append(
            f"table_add L3Ingress.ipv4_routes L3Ingress.route {host.address}/32 => {mac} {port}"
        )
    return lines


def _install(net: InaNetwork) -> None:
    for sw in net.topo.switches:
        commands = "\n".join(route_commands(net, sw.name)) + "\n"
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "inalab.switch.runtime_cli",
                "--thrift-port",
                str(net.thrift_port(sw.name)),
            ],
            input=commands,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert r.returncode == 0, f"{sw.name}: {r.stdout}{r.stderr}"


@pytest.fixture
def install_routes() -> Callable[[InaNetwork], None]:
    """Program every switch of a running network with static host routes."""
    return _install
