"""Static /32 host routes for the Mininet tests' L3 program (tests/topologies/l3fwd.p4)."""

from __future__ import annotations

from inalab.topologies.net import InaNetwork
from inalab.topologies.paths import next_hops


def host_routes(net: InaNetwork, switch: str) -> list[tuple[str, str, int]]:
    """(host address, next-hop MAC, port) per host: the host's own port on its
    switch, else one of the equal-cost ports towards it, picked by the host's
    position so that different destinations use different paths."""
    topo = net.topo
    routes = []
    for index, host in enumerate(topo.hosts):
        ports = next_hops(topo, switch, host.name)
        port = ports[index % len(ports)]
        peer = topo.switch_ports(switch)[port]
        mac = host.mac if peer.node == host.name else topo.switch(peer.node).router_mac
        assert mac is not None
        routes.append((host.address, mac, port))
    return routes


def route_commands(net: InaNetwork, switch: str) -> list[str]:
    """The routes as runtime CLI commands (simple_switch_CLI syntax)."""
    return [
        f"table_add L3Ingress.ipv4_routes L3Ingress.route {address}/32 => {mac} {port}"
        for address, mac, port in host_routes(net, switch)
    ]
