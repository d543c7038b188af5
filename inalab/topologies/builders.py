"""Ready-made topologies: single rack, leaf-spine, multi-rack.

Addressing plan (only inside Mininet's namespaces; docs/topologies.md):

- rack ``r`` (1, 2, ...) is the subnet ``10.0.r.0/24``; rack 0 (``10.0.0.0/24``)
  is the core of a multi-rack network, where its parameter server sits;
- worker ``i`` (1, 2, ...) of rack ``r``: ``10.0.r.i``, MAC ``02:00:00:00:rr:ii``;
- the parameter server of a rack: ``10.0.r.100``, MAC ``02:00:00:00:rr:64``;
- the gateway of rack ``r`` (its top-of-rack / leaf switch, as an L3 router):
  ``10.0.r.254``, MAC ``02:00:00:00:rr:fe``; spines / cores get router MACs
  ``02:00:00:01:00:<device id>``.
- switch ``k`` (in the order listed) has device id ``k`` and gRPC port
  ``50051 + k``, as p4lang/tutorials number them.

Worker ranks run 0, 1, ... across racks in rack order. ``02`` as the first
MAC byte marks the addresses as locally administered unicast.
"""

from __future__ import annotations

from inalab.topologies.errors import TopologyError
from inalab.topologies.spec import HostSpec, Link, LinkProfile, SwitchSpec, Topology

GRPC_BASE_PORT = 50051
PS_HOST_INDEX = 100
NO_IMPAIRMENT = LinkProfile()
GATEWAY_HOST_INDEX = 254


def host_ip(rack: int, index: int) -> str:
    """``10.0.<rack>.<index>/24``."""
    _check_range("rack", rack, 0, 255)
    _check_range("host index", index, 1, 254)
    return f"10.0.{rack}.{index}/24"


def host_mac(rack: int, index: int) -> str:
    """``02:00:00:00:<rack>:<index>`` in hex."""
    _check_range("rack", rack, 0, 255)
    _check_range("host index", index, 0, 255)
    return f"02:00:00:00:{rack:02x}:{index:02x}"


def gateway_ip(rack: int) -> str:
    return f"10.0.{rack}.{GATEWAY_HOST_INDEX}"


def gateway_mac(rack: int) -> str:
    return host_mac(rack, GATEWAY_HOST_INDEX)


def fabric_mac(device_id: int) -> str:
    """Router MAC of a switch that serves no rack (spine, core)."""
    _check_range("device id", device_id, 0, 255)
    return f"02:00:00:01:00:{device_id:02x}"


def _check_range(what: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise TopologyError(f"{what} must be an integer {low}..{high}, not {value!r}")


def _rack_hosts(
    rack: int, workers: int, first_rank: int, with_ps: bool, gateway: bool, prefix: str
) -> list[HostSpec]:
    gw = gateway_ip(rack) if gateway else None
    gw_mac = gateway_mac(rack) if gateway else None
    hosts = [
        HostSpec(
            f"{prefix}{i}",
            host_ip(rack, i),
            host_mac(rack, i),
            "worker",
            first_rank + i - 1,
            gw,
            gw_mac,
        )
        for i in range(1, workers + 1)
    ]
    if with_ps:
        hosts.append(
            HostSpec(
                "ps",
                host_ip(rack, PS_HOST_INDEX),
                host_mac(rack, PS_HOST_INDEX),
                "ps",
                None,
                gw,
                gw_mac,
            )
        )
    return hosts


def single_rack(
    workers: int = 4,
    *,
    program: str | None = "ina",
    host_link: LinkProfile = NO_IMPAIRMENT,
    with_ps: bool = True,
    grpc_base_port: int = GRPC_BASE_PORT,
    name: str = "single-rack",
) -> Topology:
    """One switch ``s1``; workers ``h1..hN`` on ports 1..N, then ``ps``.

    All hosts share ``10.0.1.0/24`` (no gateway needed: the network sets
    static ARP entries between hosts of one subnet)."""
    _check_range("workers", workers, 1, 99)
    switch = SwitchSpec("s1", 0, grpc_base_port, program, router_mac=gateway_mac(1))
    hosts = _rack_hosts(1, workers, 0, with_ps, gateway=False, prefix="h")
    links = [Link.between(h.name, "s1", host_link, port_b=i) for i, h in enumerate(hosts, 1)]
    return Topology(
        name,
        tuple(hosts),
        (switch,),
        tuple(links),
        f"one switch, {workers} workers" + (", a parameter server" if with_ps else ""),
    )


def leaf_spine(
    leaves: int = 2,
    workers_per_leaf: int = 2,
    *,
    spines: int = 2,
    program: str | None = "ina",
    host_link: LinkProfile = NO_IMPAIRMENT,
    fabric_link: LinkProfile = NO_IMPAIRMENT,
    with_ps: bool = True,
    grpc_base_port: int = GRPC_BASE_PORT,
    name: str = "leaf-spine",
) -> Topology:
    """``leaf1..leafL`` (tier 0, one rack each), ``spine1..spineS`` (tier 1),
    every leaf linked to every spine: S equal-cost paths between racks.

    Leaf ports: hosts first (1..), then spines in order; spine port ``l`` leads
    to leaf ``l``. Workers of rack ``r`` are ``r<r>h<i>``; the parameter
    server sits in the last rack."""
    _check_range("leaves", leaves, 2, 4)
    _check_range("spines", spines, 1, 4)
    _check_range("workers_per_leaf", workers_per_leaf, 1, 99)
    switches = [
        SwitchSpec(f"leaf{r}", r - 1, grpc_base_port + r - 1, program, router_mac=gateway_mac(r))
        for r in range(1, leaves + 1)
    ]
    for k in range(1, spines + 1):
        dev = leaves + k - 1
        switches.append(
            SwitchSpec(
                f"spine{k}", dev, grpc_base_port + dev, program, tier=1, router_mac=fabric_mac(dev)
            )
        )
    hosts: list[HostSpec] = []
    links: list[Link] = []
    for r in range(1, leaves + 1):
        rack = _rack_hosts(
            r,
            workers_per_leaf,
            (r - 1) * workers_per_leaf,
            with_ps and r == leaves,
            gateway=True,
            prefix=f"r{r}h",
        )
        hosts += rack
        links += [
            Link.between(h.name, f"leaf{r}", host_link, port_b=i) for i, h in enumerate(rack, 1)
        ]
    for r in range(1, leaves + 1):
        first_uplink = workers_per_leaf + (1 if with_ps and r == leaves else 0) + 1
        for k in range(1, spines + 1):
            links.append(
                Link.between(f"leaf{r}", f"spine{k}", fabric_link, first_uplink + k - 1, r)
            )
    return Topology(
        name,
        tuple(hosts),
        tuple(switches),
        tuple(links),
        f"{leaves} leaves x {spines} spines, {workers_per_leaf} workers per leaf",
    )


def multi_rack(
    racks: int = 2,
    workers_per_rack: int = 2,
    *,
    program: str | None = "ina",
    host_link: LinkProfile = NO_IMPAIRMENT,
    fabric_link: LinkProfile = NO_IMPAIRMENT,
    with_ps: bool = True,
    grpc_base_port: int = GRPC_BASE_PORT,
    name: str = "multi-rack",
) -> Topology:
    """Two-level aggregation: ``tor1..torR`` (tier 0) each aggregate a rack and
    send one partial result up to ``core1`` (tier 1), which aggregates the racks.

    ToR ports: hosts 1..N, uplink N+1; core port ``r`` leads to ``tor<r>``; the
    parameter server ``ps`` (rack 0, ``10.0.0.100``) hangs off the core's port
    R+1."""
    _check_range("racks", racks, 2, 16)
    _check_range("workers_per_rack", workers_per_rack, 1, 99)
    switches = [
        SwitchSpec(f"tor{r}", r - 1, grpc_base_port + r - 1, program, router_mac=gateway_mac(r))
        for r in range(1, racks + 1)
    ]
    switches.append(
        SwitchSpec(
            "core1", racks, grpc_base_port + racks, program, tier=1, router_mac=gateway_mac(0)
        )
    )
    hosts: list[HostSpec] = []
    links: list[Link] = []
    for r in range(1, racks + 1):
        rack = _rack_hosts(
            r, workers_per_rack, (r - 1) * workers_per_rack, False, gateway=True, prefix=f"r{r}h"
        )
        hosts += rack
        links += [
            Link.between(h.name, f"tor{r}", host_link, port_b=i) for i, h in enumerate(rack, 1)
        ]
        links.append(Link.between(f"tor{r}", "core1", fabric_link, workers_per_rack + 1, r))
    if with_ps:
        ps = _rack_hosts(0, 0, 0, True, gateway=True, prefix="")[0]
        hosts.append(ps)
        links.append(Link.between(ps.name, "core1", host_link, port_b=racks + 1))
    return Topology(
        name,
        tuple(hosts),
        tuple(switches),
        tuple(links),
        f"{racks} racks x {workers_per_rack} workers under one core switch",
    )


BUILDERS = {"single-rack": single_rack, "leaf-spine": leaf_spine, "multi-rack": multi_rack}
