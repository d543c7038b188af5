"""The network part of every switch's desired state, from a topology spec: IPv4
routes (ECMP groups where a switch has several shortest next hops), proxy ARP,
result addressing per port, DSCP -> importance class and per-class queue
thresholds. Pure functions of the topology: the same topology always gives the
same entities (member and group ids included), so reconciliation is stable."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from p4.v1.p4runtime_pb2 import Entity

from inalab.controller.entities import Builder
from inalab.controller.errors import ConfigError
from inalab.controller.names import Action, ActionProfile, Key, Param, Table
from inalab.protocol import format as fmt
from inalab.topologies.errors import TopologyError
from inalab.topologies.paths import next_hops
from inalab.topologies.spec import Topology

# The aggregation address leaves send their partial results to (routed over ECMP
# towards the upper tier, absorbed by whichever spine gets the packet).
AGGREGATION_ADDRESS = "10.255.255.1"


@dataclass(frozen=True)
class QueueThreshold:
    """Egress thresholds of one importance class, in packets of ``enq_qdepth``."""

    ecn_qdepth: int
    drop_qdepth: int

    def __post_init__(self) -> None:
        if not 0 <= self.ecn_qdepth <= 0xFFFF or not 0 < self.drop_qdepth <= 0xFFFF:
            raise ConfigError(f"queue threshold {self}: out of 0..65535")


def _default_thresholds() -> dict[int, QueueThreshold]:
    # low-importance packets are marked and dropped first (bmv2 queues hold 64)
    return {
        int(fmt.Importance.LOW): QueueThreshold(8, 16),
        int(fmt.Importance.NORMAL): QueueThreshold(16, 40),
        int(fmt.Importance.HIGH): QueueThreshold(24, 56),
        int(fmt.Importance.CRITICAL): QueueThreshold(32, 64),
    }


@dataclass(frozen=True)
class NetworkSettings:
    thresholds: Mapping[int, QueueThreshold] = field(default_factory=_default_thresholds)
    drop_probability: float = 0.0  # drop simulator on every INA packet (tests / experiments)

    def __post_init__(self) -> None:
        if not 0.0 <= self.drop_probability <= 1.0:
            raise ConfigError(f"drop_probability {self.drop_probability} out of [0, 1]")
        for cls in self.thresholds:
            if cls not in {int(c) for c in fmt.Importance}:
                raise ConfigError(f"queue threshold for unknown importance class {cls}")


def mac_int(mac: str) -> int:
    return int(mac.replace(":", ""), 16)


def ip_int(ip: str) -> int:
    return int(ipaddress.IPv4Address(ip))


def router_mac(topo: Topology, switch: str) -> str:
    sw = topo.switch(switch)
    return sw.router_mac or f"02:00:00:01:00:{sw.device_id & 0xFF:02x}"


def switch_address(topo: Topology, switch: str) -> str:
    """The address a switch answers as: its hosts' gateway, or .254 of their subnet,
    or (no hosts) the aggregation address."""
    hosts = [h for h in topo.hosts if topo.attachment(h.name)[0] == switch]
    for h in hosts:
        if h.gateway:
            return h.gateway
    if hosts:
        return str(hosts[0].network.broadcast_address - 1)
    return AGGREGATION_ADDRESS


def upstream_ports(topo: Topology, switch: str) -> tuple[int, ...]:
    """Ports towards switches of a higher tier (a leaf's spine uplinks)."""
    tier = topo.switch(switch).tier
    tiers = {s.name: s.tier for s in topo.switches}
    return tuple(
        sorted(
            p for p, peer in topo.switch_ports(switch).items() if tiers.get(peer.node, -1) > tier
        )
    )


def _peer_mac(topo: Topology, switch: str, port: int) -> str:
    peer = topo.switch_ports(switch)[port]
    if peer.node in {h.name for h in topo.hosts}:
        return topo.host(peer.node).mac
    return router_mac(topo, peer.node)


def network_entities(
    topo: Topology, switch: str, b: Builder, settings: NetworkSettings | None = None
) -> list[Entity]:
    """Everything but the jobs, for one switch."""
    settings = settings or NetworkSettings()
    smac = mac_int(router_mac(topo, switch))
    routes: list[tuple[str, tuple[int, ...]]] = []
    try:
        for h in topo.hosts:
            routes.append((h.address, next_hops(topo, switch, h.name)))
    except TopologyError as e:
        raise ConfigError(str(e)) from None
    up = upstream_ports(topo, switch)
    if up:
        routes.append((AGGREGATION_ADDRESS, up))
    members = {hop: i for i, hop in enumerate(sorted({p for _, ports in routes for p in ports}), 1)}
    groups = {ports: i for i, ports in enumerate(sorted({p for _, p in routes if len(p) > 1}), 1)}
    out: list[Entity] = []
    for port, mid in members.items():
        params = {
            Param.PORT: port,
            Param.SRC_MAC: smac,
            Param.DST_MAC: mac_int(_peer_mac(topo, switch, port)),
        }
        out.append(b.member(ActionProfile.ECMP_SELECTOR, mid, Action.SET_NEXTHOP, params))
    for ports, gid in groups.items():
        out.append(b.group(ActionProfile.ECMP_SELECTOR, gid, [members[p] for p in ports]))
    for addr, ports in routes:
        match = {Key.DST_ADDR: (ip_int(addr), 32)}
        if len(ports) == 1:
            out.append(b.table_entry(Table.IPV4_LPM, match, member=members[ports[0]]))
        else:
            out.append(b.table_entry(Table.IPV4_LPM, match, group=groups[ports]))
    # proxy ARP: the switch's own address and every host (hosts ask for peers and gateways)
    arp = {switch_address(topo, switch): router_mac(topo, switch)}
    for h in topo.hosts:
        arp[h.address] = h.mac
        if h.gateway and h.gateway_mac and topo.attachment(h.name)[0] == switch:
            arp[h.gateway] = h.gateway_mac
    for addr, mac in sorted(arp.items()):
        out.append(
            b.table_entry(
                Table.ARP_PROXY,
                {Key.TARGET_IP: ip_int(addr)},
                Action.ARP_REPLY,
                {Param.MAC: mac_int(mac)},
            )
        )
    # results leaving each port are addressed to what is there
    hosts = {h.name: h for h in topo.hosts}
    for port, peer in sorted(topo.switch_ports(switch).items()):
        if peer.node in hosts:
            mac, ip = hosts[peer.node].mac, hosts[peer.node].address
        else:
            mac, ip = router_mac(topo, peer.node), switch_address(topo, peer.node)
        out.append(
            b.table_entry(
                Table.RESULT_DESTINATION,
                {Key.EGRESS_PORT: port},
                Action.SET_RESULT_DESTINATION,
                {Param.DST_MAC: mac_int(mac), Param.DST_ADDR: ip_int(ip)},
            )
        )
    for cls, dscp in sorted(fmt.IMPORTANCE_DSCP.items()):
        out.append(
            b.table_entry(
                Table.IMPORTANCE_CLASS,
                {Key.DSCP: dscp},
                Action.SET_IMPORTANCE_CLASS,
                {Param.IMPORTANCE: int(cls)},
            )
        )
    for klass, th in sorted(settings.thresholds.items()):
        out.append(
            b.table_entry(
                Table.QUEUE_THRESHOLD,
                {Key.IMPORTANCE: klass},
                Action.SET_QUEUE_THRESHOLD,
                {Param.ECN_QDEPTH: th.ecn_qdepth, Param.DROP_QDEPTH: th.drop_qdepth},
            )
        )
    if settings.drop_probability > 0:
        out.append(
            b.table_entry(
                Table.DROP_SIMULATOR,
                {},
                Action.SET_DROP_PROBABILITY,
                {Param.THRESHOLD: round(settings.drop_probability * 65536)},
                priority=1,
            )
        )
    return out
