"""Shortest paths over a topology's switches: which ports lead towards a host.

The controller's routing (and the tests' static routes) need, per switch and
destination host, the set of equal-cost next-hop ports; in a leaf-spine
fabric a leaf has one per spine towards any other rack. Hop counts only
(links have no weights here).
"""

from __future__ import annotations

from collections import deque

from inalab.topologies.errors import TopologyError
from inalab.topologies.spec import Topology


def switch_distances(topo: Topology, target: str) -> dict[str, int]:
    """Hops from every switch to switch ``target`` over switch-switch links."""
    topo.switch(target)
    switches = {s.name for s in topo.switches}
    dist = {target: 0}
    queue = deque([target])
    while queue:
        node = queue.popleft()
        for peer in topo.switch_ports(node).values():
            if peer.node in switches and peer.node not in dist:
                dist[peer.node] = dist[node] + 1
                queue.append(peer.node)
    return dist


def next_hops(topo: Topology, switch: str, host: str) -> tuple[int, ...]:
    """Ports of ``switch`` on a shortest path to ``host`` (sorted; one if the host
    is attached to it). Raises TopologyError if the host is unreachable."""
    edge, host_port = topo.attachment(host)
    if edge == switch:
        return (host_port,)
    dist = switch_distances(topo, edge)
    if switch not in dist:
        raise TopologyError(f"switch {switch}: no path to host {host} (via {edge})")
    ports = [
        port
        for port, peer in topo.switch_ports(switch).items()
        if peer.node in dist and dist[peer.node] == dist[switch] - 1
    ]
    return tuple(sorted(ports))
