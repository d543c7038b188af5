"""Ethernet / IPv4 / UDP framing of INA payloads, and a transport that speaks frames.

A UDP socket lets the kernel do this; :class:`FrameTransport` does it itself, so a
worker can sit directly on a switch port of an in-process switch (or on any
frame-level link): ``inject(frame)`` carries the frames it sends, and whoever
owns the link calls :meth:`FrameTransport.deliver` with the frames for this host.
Lengths and constants come from :mod:`inalab.protocol.format`.
"""

from __future__ import annotations

import queue
import struct
from collections.abc import Callable
from dataclasses import dataclass

from inalab.hosts.errors import ConfigError
from inalab.hosts.transport import fold_ce
from inalab.protocol import format as fmt

_IP = struct.Struct("!BBHHHBBHII")
_UDP = struct.Struct("!HHHH")
_L3 = fmt.ETHERNET_BYTES
_L4 = fmt.ETHERNET_BYTES + fmt.IPV4_BYTES
_PAYLOAD = _L4 + fmt.UDP_BYTES


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def ip_to_int(text: str) -> int:
    try:
        parts = [int(x) for x in text.split(".")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not all(0 <= p <= 255 for p in parts):
        raise ConfigError(f"{text!r} is not an IPv4 address")
    return (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]


def mac_to_bytes(text: str) -> bytes:
    try:
        raw = bytes(int(x, 16) for x in text.split(":"))
    except ValueError:
        raw = b""
    if len(raw) != 6:
        raise ConfigError(f"{text!r} is not a MAC address (aa:bb:cc:dd:ee:ff)")
    return raw


@dataclass(frozen=True)
class HostAddress:
    """Where a host's frames come from and go to (the next hop is the switch)."""

    mac: str
    ip: str
    gateway_mac: str  # destination MAC of every frame: the switch port
    server_ip: str  # destination IP of contributions (the job's aggregation address)
    base_port: int = 50000  # UDP source port of path 0
    server_port: int = fmt.INA_UDP_PORT

    def __post_init__(self) -> None:
        mac_to_bytes(self.mac)
        mac_to_bytes(self.gateway_mac)
        ip_to_int(self.ip)
        ip_to_int(self.server_ip)
        if not 0 < self.base_port < 65536 or not 0 < self.server_port < 65536:
            raise ConfigError("UDP ports must be 1..65535")


def ipv4_udp_frame(
    src_mac: str,
    dst_mac: str,
    src_ip: str,
    dst_ip: str,
    sport: int,
    dport: int,
    payload: bytes,
    tos: int = 0,
    ident: int = 0,
) -> bytes:
    """Ethernet + IPv4 (no options, DF clear, TTL 64) + UDP (checksum 0) around ``payload``."""
    udp = _UDP.pack(sport, dport, fmt.UDP_BYTES + len(payload), 0)
    total = fmt.IPV4_BYTES + len(udp) + len(payload)
    src, dst = ip_to_int(src_ip), ip_to_int(dst_ip)
    hdr = _IP.pack(0x45, tos, total, ident & 0xFFFF, 0, 64, fmt.IP_PROTO_UDP, 0, src, dst)
    hdr = hdr[:10] + _checksum(hdr).to_bytes(2, "big") + hdr[12:]
    eth = mac_to_bytes(dst_mac) + mac_to_bytes(src_mac) + fmt.ETHERTYPE_IPV4.to_bytes(2, "big")
    return eth + hdr + udp + payload


def build_frame(addr: HostAddress, payload: bytes, tos: int, sport: int, ident: int = 0) -> bytes:
    """A host's INA payload to the aggregation address, as a frame for the switch."""
    return ipv4_udp_frame(
        addr.mac, addr.gateway_mac, addr.ip, addr.server_ip, sport, addr.server_port,
        payload, tos, ident,
    )  # fmt: skip


@dataclass(frozen=True)
class Datagram:
    """The UDP view of a received frame."""

    src_ip: str
    src_port: int
    dst_ip: str
    dst_port: int
    tos: int
    payload: bytes


def _ip_text(raw: bytes) -> str:
    return ".".join(str(b) for b in raw)


def parse_datagram(frame: bytes) -> Datagram | None:
    """An IPv4 (no options) / UDP frame's addresses and payload; None for anything else."""
    if len(frame) < _PAYLOAD or frame[12:14] != fmt.ETHERTYPE_IPV4.to_bytes(2, "big"):
        return None
    if frame[_L3] != 0x45 or frame[_L3 + 9] != fmt.IP_PROTO_UDP:
        return None
    sport, dport, ulen, _ = _UDP.unpack_from(frame, _L4)
    if ulen < fmt.UDP_BYTES or _L4 + ulen > len(frame):
        return None
    return Datagram(
        src_ip=_ip_text(frame[_L3 + 12 : _L3 + 16]),
        src_port=sport,
        dst_ip=_ip_text(frame[_L3 + 16 : _L3 + 20]),
        dst_port=dport,
        tos=frame[_L3 + 1],
        payload=frame[_PAYLOAD : _L4 + ulen],
    )


def udp_payload(frame: bytes) -> tuple[bytes, int] | None:
    """(UDP payload, IPv4 TOS) of an IPv4/UDP frame without options; None for anything else."""
    d = parse_datagram(frame)
    return None if d is None else (d.payload, d.tos)


class FrameTransport:
    """A worker's transport over frames: sends through ``inject``, receives what
    :meth:`deliver` is given (non-INA/UDP frames are counted and dropped)."""

    def __init__(self, inject: Callable[[bytes], None], addr: HostAddress, paths: int = 1) -> None:
        if not 1 <= paths <= 65536 - addr.base_port:
            raise ConfigError(f"paths {paths} out of range for base port {addr.base_port}")
        self._inject = inject
        self.addr = addr
        self._paths = paths
        self._inbox: queue.Queue[bytes] = queue.Queue()
        self._ident = 0
        self.not_udp = 0

    @property
    def paths(self) -> int:
        return self._paths

    def deliver(self, frame: bytes) -> None:
        """A frame arrived for this host (thread-safe)."""
        got = udp_payload(frame)
        if got is None:
            self.not_udp += 1
            return
        self._inbox.put(fold_ce(*got))

    def send(self, payload: bytes, tos: int, path: int) -> None:
        self._ident += 1
        sport = self.addr.base_port + path % self._paths
        self._inject(build_frame(self.addr, payload, tos, sport, self._ident))

    def recv(self, timeout: float) -> bytes | None:
        try:
            if timeout <= 0:
                return self._inbox.get_nowait()
            return self._inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        pass
