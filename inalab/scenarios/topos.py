"""The scenarios' topologies: the ready-made builders by name, optionally with
every node renamed by a prefix so that a scenario can run beside another
network of the same shape (interface names ``<node>-eth<port>`` are global).
"""

from __future__ import annotations

from typing import Any

from inalab.scenarios.errors import ScenarioError
from inalab.topologies.builders import leaf_spine, multi_rack, single_rack
from inalab.topologies.loader import topology_from_dict, topology_to_dict
from inalab.topologies.spec import LinkProfile, Topology

KINDS = ("single-rack", "leaf-spine", "multi-rack")


def prefixed(topo: Topology, prefix: str) -> Topology:
    """The same topology with every node name prefixed (``s1`` -> ``xs1``)."""
    if not prefix:
        return topo
    d: dict[str, Any] = topology_to_dict(topo)
    for item in (*d["switches"], *d["hosts"]):
        item["name"] = prefix + item["name"]
    for link in d["links"]:
        link["a"] = prefix + link["a"]
        link["b"] = prefix + link["b"]
    try:
        return topology_from_dict(d)
    except Exception as e:
        raise ScenarioError(f"prefix {prefix!r}: {e}") from None


def make_topology(
    kind: str,
    *,
    workers: int = 4,
    racks: int = 2,
    prefix: str = "",
    grpc_base_port: int = 50051,
    host_link: LinkProfile | None = None,
) -> Topology:
    """``single-rack`` (``workers`` hosts), ``leaf-spine``/``multi-rack``
    (``racks`` racks of ``workers // racks`` workers)."""
    link = host_link or LinkProfile()
    if kind == "single-rack":
        topo = single_rack(workers, host_link=link, grpc_base_port=grpc_base_port)
    elif kind == "leaf-spine":
        topo = leaf_spine(
            racks, max(1, workers // racks), host_link=link, grpc_base_port=grpc_base_port
        )
    elif kind == "multi-rack":
        topo = multi_rack(
            racks, max(1, workers // racks), host_link=link, grpc_base_port=grpc_base_port
        )
    else:
        raise ScenarioError(f"unknown topology {kind!r} (one of {', '.join(KINDS)})")
    return prefixed(topo, prefix)


def worker_names(topo: Topology) -> tuple[str, ...]:
    """Worker hosts in rank order."""
    ws = sorted((h for h in topo.hosts if h.role == "worker"), key=lambda h: h.rank or 0)
    return tuple(h.name for h in ws)


def ps_name(topo: Topology) -> str:
    for h in topo.hosts:
        if h.role == "ps":
            return h.name
    raise ScenarioError(f"topology {topo.name} has no parameter server")
