"""Topologies as data: frozen dataclasses that validate themselves.

A :class:`Topology` is a set of :class:`HostSpec`, :class:`SwitchSpec` and
:class:`Link` values. Every problem raises :class:`TopologyError` naming the
node or link (``link s1-h1: jitter requires delay``). Switch port numbers are
part of the data: a link may give them (``port_a``/``port_b``), otherwise the
topology numbers each switch's ports 1, 2, ... in link order (hosts get 0), so
the controller can know which port leads where without asking Mininet.

Link impairments: ``bw_mbit`` and ``queue_pkts`` become tc (htb + pfifo) on
both ends; delay, jitter, loss, duplication and reordering are applied by tc
netem where the kernel has it and by the switch's per-port impairment
otherwise (see :mod:`inalab.topologies.impairment`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from inalab.topologies.errors import TopologyError

ROLES = ("worker", "ps")
BMV2_DROP_PORT = 511
MAX_PORT = 510  # bmv2 ports are 9 bits; 511 is the drop port
DEFAULT_CPU_PORT = 255

# Linux interface names are at most 15 characters; Mininet names them
# "<node>-eth<port>", so a node name of 10 characters leaves room for 3 digits.
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,9}$")
_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def _check_name(kind: str, name: str) -> None:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise TopologyError(
            f"{kind} {name!r}: name must be a letter then up to 9 letters, digits or '_' "
            "(Linux interface names are at most 15 characters)"
        )


def _check_mac(label: str, mac: str) -> None:
    if not isinstance(mac, str) or not _MAC_RE.match(mac):
        raise TopologyError(f"{label}: bad MAC {mac!r} (want lower-case aa:bb:cc:dd:ee:ff)")
    if int(mac[:2], 16) & 1:
        raise TopologyError(f"{label}: MAC {mac} is a multicast address")


def _check_number(label: str, what: str, value: float | None, low: float, high: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TopologyError(f"{label}: {what} must be a number, not {value!r}")
    if not low <= value <= high:
        raise TopologyError(f"{label}: {what} {value} is outside {low}..{high}")


@dataclass(frozen=True)
class LinkProfile:
    """The properties of a link, without its ends: what builders take."""

    bw_mbit: float | None = None
    delay_ms: float | None = None
    jitter_ms: float | None = None
    loss_pct: float | None = None
    queue_pkts: int | None = None
    duplicate_pct: float | None = None
    reorder_pct: float | None = None

    def __post_init__(self) -> None:
        _check_profile("link profile", self)

    @property
    def impaired(self) -> bool:
        """True when the link delays, loses, duplicates or reorders packets."""
        return any(
            v is not None and v > 0
            for v in (
                self.delay_ms,
                self.jitter_ms,
                self.loss_pct,
                self.duplicate_pct,
                self.reorder_pct,
            )
        )


def _check_profile(label: str, p: LinkProfile | Link) -> None:
    # Mininet's TCIntf takes at most 1000 Mbit/s with htb.
    _check_number(label, "bw_mbit", p.bw_mbit, 0.001, 1000)
    _check_number(label, "delay_ms", p.delay_ms, 0, 60_000)
    _check_number(label, "jitter_ms", p.jitter_ms, 0, 60_000)
    _check_number(label, "loss_pct", p.loss_pct, 0, 100)
    _check_number(label, "duplicate_pct", p.duplicate_pct, 0, 100)
    _check_number(label, "reorder_pct", p.reorder_pct, 0, 100)
    if p.queue_pkts is not None and (
        isinstance(p.queue_pkts, bool) or not isinstance(p.queue_pkts, int) or p.queue_pkts < 1
    ):
        raise TopologyError(f"{label}: queue_pkts must be a positive integer, not {p.queue_pkts!r}")
    if p.jitter_ms and not p.delay_ms:
        raise TopologyError(f"{label}: jitter requires delay")
    if p.jitter_ms and p.delay_ms and p.jitter_ms > p.delay_ms:
        raise TopologyError(f"{label}: jitter {p.jitter_ms} ms exceeds delay {p.delay_ms} ms")
    if p.reorder_pct and not p.delay_ms:
        # As in netem: a packet can only overtake another that is being delayed.
        raise TopologyError(f"{label}: reorder requires delay")


@dataclass(frozen=True)
class Link:
    """A link between two nodes (host-switch or switch-switch)."""

    a: str
    b: str
    bw_mbit: float | None = None
    delay_ms: float | None = None
    jitter_ms: float | None = None
    loss_pct: float | None = None
    queue_pkts: int | None = None
    duplicate_pct: float | None = None
    reorder_pct: float | None = None
    port_a: int | None = None
    port_b: int | None = None

    def __post_init__(self) -> None:
        label = self.label
        for end in (self.a, self.b):
            if not isinstance(end, str) or not end:
                raise TopologyError(f"{label}: ends must be node names, not {end!r}")
        if self.a == self.b:
            raise TopologyError(f"{label}: a link needs two different nodes")
        for what, port in (("port_a", self.port_a), ("port_b", self.port_b)):
            if port is not None and (
                isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= MAX_PORT
            ):
                raise TopologyError(
                    f"{label}: {what} must be an integer 0..{MAX_PORT}, not {port!r}"
                )
        _check_profile(label, self)

    @property
    def label(self) -> str:
        return f"link {self.a}-{self.b}"

    @property
    def profile(self) -> LinkProfile:
        return LinkProfile(
            self.bw_mbit,
            self.delay_ms,
            self.jitter_ms,
            self.loss_pct,
            self.queue_pkts,
            self.duplicate_pct,
            self.reorder_pct,
        )

    @classmethod
    def between(
        cls,
        a: str,
        b: str,
        profile: LinkProfile,
        port_a: int | None = None,
        port_b: int | None = None,
    ) -> Link:
        return cls(
            a,
            b,
            profile.bw_mbit,
            profile.delay_ms,
            profile.jitter_ms,
            profile.loss_pct,
            profile.queue_pkts,
            profile.duplicate_pct,
            profile.reorder_pct,
            port_a,
            port_b,
        )

    def port_of(self, node: str) -> int:
        port = self.port_a if node == self.a else self.port_b if node == self.b else None
        if port is None:
            raise TopologyError(f"{self.label}: no port numbered for {node}")
        return port

    def peer_of(self, node: str) -> str:
        if node == self.a:
            return self.b
        if node == self.b:
            return self.a
        raise TopologyError(f"{self.label}: {node} is not an end of this link")


@dataclass(frozen=True)
class HostSpec:
    """A Mininet host: one interface, an IPv4 address with prefix, a MAC, a role.

    ``gateway``/``gateway_mac`` (both or neither): the default route and its
    static ARP entry, for hosts that talk across subnets through an L3 switch.
    """

    name: str
    ip: str
    mac: str
    role: str = "worker"
    rank: int | None = None
    gateway: str | None = None
    gateway_mac: str | None = None

    def __post_init__(self) -> None:
        _check_name("host", self.name)
        label = f"host {self.name}"
        try:
            iface = ipaddress.IPv4Interface(self.ip)
        except (ipaddress.AddressValueError, ipaddress.NetmaskValueError, ValueError) as e:
            raise TopologyError(f"{label}: bad ip {self.ip!r} (want e.g. 10.0.1.1/24): {e}") from e
        if "/" not in self.ip:
            raise TopologyError(f"{label}: ip {self.ip!r} needs a prefix length (10.0.1.1/24)")
        if iface.ip in (iface.network.network_address, iface.network.broadcast_address) and (
            iface.network.prefixlen < 31
        ):
            raise TopologyError(f"{label}: ip {self.ip} is the network or broadcast address")
        _check_mac(label, self.mac)
        if self.role not in ROLES:
            raise TopologyError(f"{label}: role {self.role!r} is not one of {', '.join(ROLES)}")
        if self.rank is not None and (
            isinstance(self.rank, bool) or not isinstance(self.rank, int) or self.rank < 0
        ):
            raise TopologyError(f"{label}: rank must be a non-negative integer, not {self.rank!r}")
        if self.role == "ps" and self.rank is not None:
            raise TopologyError(f"{label}: a parameter server has no worker rank")
        if (self.gateway is None) != (self.gateway_mac is None):
            raise TopologyError(f"{label}: gateway and gateway_mac go together")
        if self.gateway is not None and self.gateway_mac is not None:
            try:
                gw = ipaddress.IPv4Address(self.gateway)
            except ValueError as e:
                raise TopologyError(f"{label}: bad gateway {self.gateway!r}") from e
            if gw not in iface.network:
                raise TopologyError(f"{label}: gateway {gw} is outside {iface.network}")
            if gw == iface.ip:
                raise TopologyError(f"{label}: gateway {gw} is the host's own address")
            _check_mac(f"{label} gateway", self.gateway_mac)

    @property
    def address(self) -> str:
        """The IPv4 address without prefix length."""
        return str(ipaddress.IPv4Interface(self.ip).ip)

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Interface(self.ip).network


@dataclass(frozen=True)
class SwitchSpec:
    """A P4 switch: its program (``build/<program>.json``; None = ``--no-p4``),
    P4Runtime device id and gRPC port, CPU port (None = none), tier (0 = top
    of rack / leaf, 1 = spine / core) and the MAC it answers as a gateway."""

    name: str
    device_id: int
    grpc_port: int
    program: str | None = "ina"
    cpu_port: int | None = DEFAULT_CPU_PORT
    tier: int = 0
    router_mac: str | None = None

    def __post_init__(self) -> None:
        _check_name("switch", self.name)
        label = f"switch {self.name}"
        if isinstance(self.device_id, bool) or not isinstance(self.device_id, int):
            raise TopologyError(f"{label}: device_id must be an integer, not {self.device_id!r}")
        if not 0 <= self.device_id < 2**64:
            raise TopologyError(f"{label}: device_id {self.device_id} is outside 0..2^64-1")
        if (
            isinstance(self.grpc_port, bool)
            or not isinstance(self.grpc_port, int)
            or not 1024 <= self.grpc_port <= 65535
        ):
            raise TopologyError(f"{label}: grpc_port must be an integer 1024..65535")
        if self.program is not None and (
            not isinstance(self.program, str) or not re.match(r"^[A-Za-z0-9_.-]+$", self.program)
        ):
            raise TopologyError(f"{label}: program {self.program!r} is not a file stem in build/")
        if self.cpu_port is not None and (
            isinstance(self.cpu_port, bool)
            or not isinstance(self.cpu_port, int)
            or not 0 <= self.cpu_port <= MAX_PORT
        ):
            raise TopologyError(f"{label}: cpu_port must be an integer 0..{MAX_PORT}")
        if isinstance(self.tier, bool) or not isinstance(self.tier, int) or self.tier < 0:
            raise TopologyError(f"{label}: tier must be a non-negative integer")
        if self.router_mac is not None:
            _check_mac(label, self.router_mac)


@dataclass(frozen=True)
class PortPeer:
    """What is at the other end of a switch port."""

    port: int
    node: str
    peer_port: int
    link: Link


@dataclass(frozen=True)
class Topology:
    """A whole network. Link ports left None are numbered at construction."""

    name: str
    hosts: tuple[HostSpec, ...]
    switches: tuple[SwitchSpec, ...]
    links: tuple[Link, ...]
    description: str = ""
    _ports: dict[str, dict[int, PortPeer]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TopologyError("topology: name must be a non-empty string")
        object.__setattr__(self, "hosts", tuple(self.hosts))
        object.__setattr__(self, "switches", tuple(self.switches))
        object.__setattr__(self, "links", tuple(self.links))
        self._check_nodes()
        object.__setattr__(self, "links", self._number_ports())
        self._check_links()

    # ------------------------------------------------------------------ checks
    def _check_nodes(self) -> None:
        if not self.switches:
            raise TopologyError(f"topology {self.name}: no switches")
        seen: dict[str, str] = {}
        for kind, name in [("host", h.name) for h in self.hosts] + [
            ("switch", s.name) for s in self.switches
        ]:
            if name in seen:
                raise TopologyError(f"{kind} {name}: name already used by a {seen[name]}")
            seen[name] = kind
        for attr in ("ip", "mac"):
            owners: dict[str, str] = {}
            for h in self.hosts:
                key = h.address if attr == "ip" else h.mac
                if key in owners:
                    raise TopologyError(
                        f"host {h.name}: {attr} {key} already used by {owners[key]}"
                    )
                owners[key] = h.name
        for attr in ("device_id", "grpc_port"):
            sw_owners: dict[int, str] = {}
            for s in self.switches:
                value = getattr(s, attr)
                if value in sw_owners:
                    raise TopologyError(
                        f"switch {s.name}: {attr} {value} already used by {sw_owners[value]}"
                    )
                sw_owners[value] = s.name
        ranks: dict[int, str] = {}
        for h in self.hosts:
            if h.rank is not None:
                if h.rank in ranks:
                    raise TopologyError(
                        f"host {h.name}: rank {h.rank} already used by {ranks[h.rank]}"
                    )
                ranks[h.rank] = h.name

    def _number_ports(self) -> tuple[Link, ...]:
        nodes = {h.name for h in self.hosts} | {s.name for s in self.switches}
        used: dict[str, set[int]] = {n: set() for n in nodes}
        for link in self.links:
            for end in (link.a, link.b):
                if end not in nodes:
                    raise TopologyError(f"{link.label}: no node named {end}")
            for end, port in ((link.a, link.port_a), (link.b, link.port_b)):
                if port is None:
                    continue
                if port in used[end]:
                    raise TopologyError(f"{link.label}: port {port} of {end} is used twice")
                used[end].add(port)
        hosts = {h.name for h in self.hosts}
        numbered = []
        for link in self.links:
            ports = []
            for end, port in ((link.a, link.port_a), (link.b, link.port_b)):
                if port is None:
                    port = 0 if end in hosts else 1
                    while port in used[end]:
                        port += 1
                    used[end].add(port)
                ports.append(port)
            numbered.append(replace(link, port_a=ports[0], port_b=ports[1]))
        return tuple(numbered)

    def _check_links(self) -> None:
        hosts = {h.name for h in self.hosts}
        switches = {s.name: s for s in self.switches}
        host_links: dict[str, int] = dict.fromkeys(hosts, 0)
        ports: dict[str, dict[int, PortPeer]] = {name: {} for name in switches}
        for link in self.links:
            if link.a in hosts and link.b in hosts:
                raise TopologyError(f"{link.label}: hosts connect to switches, not to each other")
            for end in (link.a, link.b):
                if end in hosts:
                    host_links[end] += 1
                else:
                    port = link.port_of(end)
                    sw = switches[end]
                    if port == sw.cpu_port:
                        raise TopologyError(f"{link.label}: port {port} is {end}'s CPU port")
                    peer = link.peer_of(end)
                    ports[end][port] = PortPeer(port, peer, link.port_of(peer), link)
        for name, count in host_links.items():
            if count != 1:
                raise TopologyError(f"host {name}: needs exactly one link, has {count}")
        object.__setattr__(self, "_ports", ports)

    # ------------------------------------------------------------------ queries
    def node_names(self) -> Iterator[str]:
        yield from (h.name for h in self.hosts)
        yield from (s.name for s in self.switches)

    def host(self, name: str) -> HostSpec:
        for h in self.hosts:
            if h.name == name:
                return h
        raise TopologyError(f"topology {self.name}: no host named {name}")

    def switch(self, name: str) -> SwitchSpec:
        for s in self.switches:
            if s.name == name:
                return s
        raise TopologyError(f"topology {self.name}: no switch named {name}")

    @property
    def workers(self) -> tuple[HostSpec, ...]:
        """Worker hosts in rank order (unranked ones last, by name)."""
        ws = [h for h in self.hosts if h.role == "worker"]
        return tuple(sorted(ws, key=lambda h: (h.rank is None, h.rank or 0, h.name)))

    @property
    def parameter_servers(self) -> tuple[HostSpec, ...]:
        return tuple(h for h in self.hosts if h.role == "ps")

    def switch_ports(self, switch: str) -> dict[int, PortPeer]:
        """Port number -> what it connects to, for one switch."""
        self.switch(switch)
        return dict(self._ports[switch])

    def port_towards(self, switch: str, node: str) -> int:
        """The (lowest) port of ``switch`` whose link leads directly to ``node``."""
        for port, peer in sorted(self.switch_ports(switch).items()):
            if peer.node == node:
                return port
        raise TopologyError(f"switch {switch}: no link to {node}")

    def attachment(self, host: str) -> tuple[str, int]:
        """(switch, port) a host is plugged into."""
        self.host(host)
        for link in self.links:
            if host in (link.a, link.b):
                peer = link.peer_of(host)
                return peer, link.port_of(peer)
        raise TopologyError(f"host {host}: not linked")  # unreachable after validation

    def interface_name(self, node: str, port: int) -> str:
        """Mininet's name for a node's interface: ``<node>-eth<port>``."""
        return f"{node}-eth{port}"
