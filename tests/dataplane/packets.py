"""Build and read INA frames for data-plane tests, from inalab.protocol.format only
(independent of the host codec, so the tests check the format, not a copy of it)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from inalab.protocol import format as fmt

HOST_MAC = 0x02_00_00_00_00_00
SWITCH_MAC = 0x02_AA_00_00_00_01


def ip(text: str) -> int:
    a, b, c, d = (int(x) for x in text.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def host_mac(n: int) -> int:
    return HOST_MAC | n


def host_ip(n: int) -> int:
    return ip("10.0.0.0") | n


def ipv4_checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def ethernet(dst: int, src: int, ether_type: int) -> bytes:
    return dst.to_bytes(6, "big") + src.to_bytes(6, "big") + ether_type.to_bytes(2, "big")


def ipv4(
    src: int,
    dst: int,
    proto: int,
    payload_len: int,
    dscp: int = 0,
    ecn: int = fmt.ECN_ECT0,
    ttl: int = 64,
    ident: int = 0,
) -> bytes:
    hdr = struct.pack(
        "!BBHHHBBHII",
        0x45,
        (dscp << 2) | ecn,
        fmt.IPV4_BYTES + payload_len,
        ident,
        0,
        ttl,
        proto,
        0,
        src,
        dst,
    )
    csum = ipv4_checksum(hdr)
    return hdr[:10] + csum.to_bytes(2, "big") + hdr[12:]


def udp(sport: int, dport: int, payload: bytes, checksum: int = 0) -> bytes:
    return struct.pack("!HHHH", sport, dport, fmt.UDP_BYTES + len(payload), checksum) + payload


@dataclass(frozen=True)
class Ina:
    """An INA packet's header fields and values (a view of format.INA_FIELDS)."""

    msg_type: int = fmt.MsgType.CONTRIB
    flags: int = 0
    job_id: int = 1
    slot_id: int = 0
    worker_id: int = 0
    block_exp: int = 0
    seq: int = 0
    bitmap: int = 0
    contrib_count: int = 1
    value_count: int = fmt.DEFAULT_LANES
    reserved: int = 0
    values: tuple[int, ...] = field(default_factory=tuple)

    def header_bytes(self) -> bytes:
        out = b""
        for f in fmt.INA_FIELDS:
            out += int(getattr(self, f.name)).to_bytes(f.bytes, "big")
        return out

    def payload(self) -> bytes:
        vals = np.asarray(self.values, dtype=np.int64).astype(np.int32)
        if len(vals) != self.value_count:
            raise ValueError(f"{len(vals)} values for value_count {self.value_count}")
        return self.header_bytes() + vals.astype(">i4").tobytes()

    def with_(self, **changes: object) -> Ina:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Frame:
    """Addresses around an INA payload."""

    src_n: int = 1
    dst_ip: int = ip("10.0.0.100")
    dst_mac: int = SWITCH_MAC
    dscp: int = 0
    ecn: int = fmt.ECN_ECT0
    sport: int = 50000
    dport: int = fmt.INA_UDP_PORT
    ttl: int = 64
    src_ip: int | None = None  # default: host_ip(src_n)
    src_mac: int | None = None  # default: host_mac(src_n)


def ina_frame(ina: Ina, frame: Frame = Frame()) -> bytes:
    payload = udp(frame.sport, frame.dport, ina.payload())
    return (
        ethernet(
            frame.dst_mac,
            host_mac(frame.src_n) if frame.src_mac is None else frame.src_mac,
            fmt.ETHERTYPE_IPV4,
        )
        + ipv4(
            host_ip(frame.src_n) if frame.src_ip is None else frame.src_ip,
            frame.dst_ip,
            fmt.IP_PROTO_UDP,
            len(payload),
            frame.dscp,
            frame.ecn,
            frame.ttl,
        )
        + payload
    )


def contribution(
    worker: int,
    values: npt.ArrayLike,
    *,
    job: int = 1,
    slot: int = 0,
    seq: int = 0,
    exp: int = 0,
    flags: int = 0,
    lanes: int = fmt.DEFAULT_LANES,
    frame: Frame | None = None,
    contrib: int = 1,
) -> bytes:
    vals = tuple(int(v) for v in np.asarray(values, dtype=np.int64).reshape(-1))
    ina = Ina(
        contrib_count=contrib,
        job_id=job,
        slot_id=slot,
        worker_id=worker,
        block_exp=exp,
        seq=seq,
        flags=flags,
        value_count=lanes,
        values=vals,
    )
    return ina_frame(ina, frame or Frame(src_n=worker + 1))


L2_L3_L4 = fmt.ETHERNET_BYTES + fmt.IPV4_BYTES + fmt.UDP_BYTES


@dataclass(frozen=True)
class Parsed:
    dst_mac: int
    src_mac: int
    dscp: int
    ecn: int
    ttl: int
    src_ip: int
    dst_ip: int
    sport: int
    dport: int
    udp_checksum: int
    ip_checksum_ok: bool
    ina: Ina
    values: npt.NDArray[np.int32]


def parse(data: bytes) -> Parsed:
    """Read an INA frame the switch sent (IPv4 without options)."""
    ip_hdr = data[14:34]
    tos = ip_hdr[1]
    off = L2_L3_L4
    kwargs: dict[str, int] = {}
    for f in fmt.INA_FIELDS:
        kwargs[f.name] = int.from_bytes(data[off : off + f.bytes], "big")
        off += f.bytes
    k = kwargs["value_count"]
    values = np.frombuffer(data[off : off + 4 * k], dtype=">i4").astype(np.int32)
    ina = Ina(values=tuple(int(v) for v in values), **kwargs)
    return Parsed(
        dst_mac=int.from_bytes(data[0:6], "big"),
        src_mac=int.from_bytes(data[6:12], "big"),
        dscp=tos >> 2,
        ecn=tos & 3,
        ttl=ip_hdr[8],
        src_ip=int.from_bytes(ip_hdr[12:16], "big"),
        dst_ip=int.from_bytes(ip_hdr[16:20], "big"),
        sport=int.from_bytes(data[34:36], "big"),
        dport=int.from_bytes(data[36:38], "big"),
        udp_checksum=int.from_bytes(data[40:42], "big"),
        ip_checksum_ok=ipv4_checksum(ip_hdr) == 0,
        ina=ina,
        values=values,
    )


def stf_hex(data: bytes) -> str:
    """A frame as STF packet/expect hex."""
    return data.hex().upper()
