"""The network part of every switch's desired state, from a topology spec: IPv4
routes (ECMP groups where a switch has several shortest next hops), proxy ARP,
result addressing per port, DSCP -> importance class and queue thresholds per
class with per-port overrides (ECN marking; the ingress early drop where the
queues' drain rate is known). Pure functions of the topology: the same topology always gives the
same entities (member and group ids included), so reconciliation is stable."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from p4.v1.p4runtime_pb2 import Entity

from inalab.controller.entities import Builder, MatchValue
from inalab.controller.errors import ConfigError
from inalab.controller.names import Action, ActionProfile, Key, Param, Table
from inalab.protocol import format as fmt
from inalab.topologies.errors import TopologyError
from inalab.topologies.paths import next_hops
from inalab.topologies.spec import Topology

# The aggregation address leaves send their partial results to (routed over ECMP
# towards the upper tier, absorbed by whichever spine gets the packet).
AGGREGATION_ADDRESS = "10.255.255.1"


# v1model egress ports are 9 bits; 511 is simple_switch's drop port.
MAX_PORT = 510


@dataclass(frozen=True)
class QueueThreshold:
    """Thresholds of one importance class, in packets waiting in the egress queue
    (``enq_qdepth``): ECN-CE marking in egress from ``ecn_qdepth``, early drop in
    ingress from ``drop_qdepth`` (p4src/include/queue_management.p4)."""

    ecn_qdepth: int
    drop_qdepth: int

    def __post_init__(self) -> None:
        if not 0 <= self.ecn_qdepth <= 0xFFFF or not 0 < self.drop_qdepth <= 0xFFFF:
            raise ConfigError(f"queue threshold {self}: ecn 0..65535, drop 1..65535")


def _default_thresholds() -> dict[int, QueueThreshold]:
    # low-importance packets are marked and dropped first (bmv2 queues hold 64)
    return {
        int(fmt.Importance.LOW): QueueThreshold(8, 16),
        int(fmt.Importance.NORMAL): QueueThreshold(16, 40),
        int(fmt.Importance.HIGH): QueueThreshold(24, 56),
        int(fmt.Importance.CRITICAL): QueueThreshold(32, 64),
    }


def _check_classes(thresholds: Mapping[int, QueueThreshold], where: str) -> None:
    known = {int(c) for c in fmt.Importance}
    for cls, th in thresholds.items():
        if cls not in known:
            raise ConfigError(f"{where}: queue threshold for unknown importance class {cls}")
        if not isinstance(th, QueueThreshold):
            raise ConfigError(f"{where}: class {cls}: {th!r} is not a QueueThreshold")


def _check_rate(rate: float | None, where: str) -> None:
    if rate is not None and not 0 < rate <= 1e6:
        raise ConfigError(f"{where}: queue rate {rate} packets/s out of (0, 1e6]")


@dataclass(frozen=True)
class PortQueue:
    """Per-(switch, port) queue settings overriding the network-wide ones: thresholds
    of some classes (the others keep the defaults) and the port's drain rate."""

    switch: str
    port: int
    thresholds: Mapping[int, QueueThreshold] = field(default_factory=dict)
    rate_pps: float | None = None

    def __post_init__(self) -> None:
        where = f"queue override {self.switch} port {self.port}"
        if not 0 <= self.port <= MAX_PORT:
            raise ConfigError(f"{where}: port out of 0..{MAX_PORT}")
        _check_classes(self.thresholds, where)
        _check_rate(self.rate_pps, where)


@dataclass(frozen=True)
class NetworkSettings:
    """``thresholds``: per class, every port. ``queue_rate_pps``: the rate every
    egress queue drains at (the switches' ``--queue-rate``); the ingress early
    drop needs it to keep its virtual queues, so without a rate (default) only
    ECN marking is programmed. ``ports``: per-(switch, port) overrides."""

    thresholds: Mapping[int, QueueThreshold] = field(default_factory=_default_thresholds)
    drop_probability: float = 0.0  # drop simulator on every INA packet (tests / experiments)
    queue_rate_pps: float | None = None
    ports: tuple[PortQueue, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.drop_probability <= 1.0:
            raise ConfigError(f"drop_probability {self.drop_probability} out of [0, 1]")
        _check_classes(self.thresholds, "network settings")
        _check_rate(self.queue_rate_pps, "network settings")
        object.__setattr__(self, "ports", tuple(self.ports))
        seen: set[tuple[str, int]] = set()
        for pq in self.ports:
            if not isinstance(pq, PortQueue):
                raise ConfigError(f"network settings: {pq!r} is not a PortQueue")
            if (pq.switch, pq.port) in seen:
                raise ConfigError(f"queue override {pq.switch} port {pq.port}: given twice")
            seen.add((pq.switch, pq.port))

    def port_queues(self, switch: str) -> dict[int, PortQueue]:
        return {pq.port: pq for pq in self.ports if pq.switch == switch}


def service_us(rate_pps: float) -> int:
    """Microseconds one packet takes to leave a queue draining at ``rate_pps``."""
    return max(1, round(1e6 / rate_pps))


def drop_wait_us(drop_qdepth: int, service: int) -> int:
    """queue_admission's drop_wait_us: a packet is dropped when the wait ahead of it
    (its virtual queue's backlog) exceeds ``drop_qdepth`` service times, i.e. when it
    would find ``drop_qdepth`` or more packets waiting besides the one leaving (the
    meaning of ``enq_qdepth >= drop_qdepth``)."""
    return drop_qdepth * service + 1


def queue_entities(
    topo: Topology, switch: str, b: Builder, settings: NetworkSettings
) -> list[Entity]:
    """ECN thresholds (egress, every class: wildcard port then per-port overrides) and
    early-drop entries (ingress, where a drain rate is known)."""
    ports = topo.switch_ports(switch)
    overrides = settings.port_queues(switch)
    for port in overrides:
        if port not in ports:
            raise ConfigError(
                f"queue override {switch} port {port}: the switch has no port {port} "
                f"(ports {sorted(ports)})"
            )
    out: list[Entity] = []
    default_service = (
        None if settings.queue_rate_pps is None else service_us(settings.queue_rate_pps)
    )

    def add(klass: int, th: QueueThreshold, port: int | None, service: int | None) -> None:
        prio = 1 if port is None else 2
        ecn_key: dict[str, MatchValue] = {Key.IMPORTANCE: klass}
        adm_key: dict[str, MatchValue] = {Key.IMPORTANCE: klass}
        if port is not None:
            ecn_key[Key.EGRESS_PORT] = (port, 0x1FF)
            adm_key[Key.QUEUE] = (port, 0xFFFF)
        out.append(
            b.table_entry(
                Table.ECN_THRESHOLD, ecn_key, Action.SET_ECN_THRESHOLD,
                {Param.ECN_QDEPTH: th.ecn_qdepth}, priority=prio,
            )
        )  # fmt: skip
        if service is not None:
            out.append(
                b.table_entry(
                    Table.QUEUE_ADMISSION, adm_key, Action.SET_QUEUE_ADMISSION,
                    {Param.SERVICE_US: service,
                     Param.DROP_WAIT_US: drop_wait_us(th.drop_qdepth, service)},
                    priority=prio,
                )
            )  # fmt: skip

    for klass, th in sorted(settings.thresholds.items()):
        add(klass, th, None, default_service)
    for port, pq in sorted(overrides.items()):
        service = default_service if pq.rate_pps is None else service_us(pq.rate_pps)
        merged = {**settings.thresholds, **pq.thresholds}
        for klass, th in sorted(merged.items()):
            add(klass, th, port, service)
    return out


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
    out.extend(queue_entities(topo, switch, b, settings))
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
