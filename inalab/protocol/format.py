"""The INA packet format, defined once.

Everything else follows this module: the P4 header (``p4src/include/ina_header.p4``
is generated from it by ``python -m inalab.protocol.gen_p4``), the host codec and
scapy layer (``inalab.protocol.codec`` / ``scapy_layer``), the STF test helpers and
``docs/protocol.md``.

On the wire::

    Ethernet | IPv4 (DSCP = importance class, ECN) | UDP (dport INA_UDP_PORT)
             | INA header (INA_FIELDS, HEADER_BYTES bytes) | K x int32 values

All fields are big-endian (network order) and byte-aligned; the values are
two's-complement int32 that the switch adds with 32-bit wrap-around.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CONST_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class FormatError(ValueError):
    """The format definition itself is inconsistent (a bug in this module)."""


@dataclass(frozen=True)
class Field:
    """One INA header field: P4 / Python name, width in bits, meaning."""

    name: str
    bits: int
    meaning: str
    p4_type: str  # the typedef the P4 header uses for it

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise FormatError(f"field name {self.name!r} is not snake_case")
        if self.bits <= 0 or self.bits % 8:
            raise FormatError(
                f"field {self.name}: width {self.bits} is not a positive multiple of 8"
            )
        if not self.meaning:
            raise FormatError(f"field {self.name}: meaning missing")
        if not _NAME.match(self.p4_type) or not self.p4_type.endswith("_t"):
            raise FormatError(f"field {self.name}: p4 type {self.p4_type!r} must be name_t")

    @property
    def bytes(self) -> int:
        return self.bits // 8

    @property
    def max_value(self) -> int:
        return (1 << self.bits) - 1


@dataclass(frozen=True)
class Constant:
    """A protocol constant with the width the P4 program gives it and why it has its value."""

    name: str
    value: int
    bits: int
    reason: str

    def __post_init__(self) -> None:
        if not _CONST_NAME.match(self.name):
            raise FormatError(f"constant name {self.name!r} is not UPPER_CASE")
        if not 0 < self.bits <= 64:
            raise FormatError(f"constant {self.name}: width {self.bits} out of 1..64")
        if not 0 <= self.value < (1 << self.bits):
            raise FormatError(f"constant {self.name}: {self.value} does not fit {self.bits} bits")
        if not self.reason:
            raise FormatError(f"constant {self.name}: reason missing")


# --------------------------------------------------------------------------- header fields
# Order is wire order. Typedef names are what the P4 program uses for each width.
INA_FIELDS: tuple[Field, ...] = (
    Field("msg_type", 8, "message type (MsgType): contribution or result", "ina_msg_type_t"),
    Field("flags", 8, "flag bits (Flag): shadow set, resend, unicast result, ...", "ina_flags_t"),
    Field("job_id", 16, "training job; keys the switch's job and membership tables", "job_id_t"),
    Field(
        "slot_id",
        16,
        "aggregator slot, relative to the job's region (the switch adds the region base)",
        "slot_id_t",
    ),
    Field(
        "worker_id",
        8,
        "sender's rank (0..31); informative: the switch takes the worker bit from its membership table",
        "worker_id_t",
    ),
    Field(
        "block_exp",
        8,
        "block exponent of the quantized values (unsigned; the switch keeps the maximum)",
        "block_exp_t",
    ),
    Field(
        "seq",
        32,
        "job-wide packet id mod 2^32 (every worker of a job numbers its packets alike from 0 "
        "across rounds; slot = id mod slots): the slot's round tag (a newer seq starts the cell's "
        "next round, an older one is dropped), best-effort slot hash and owner tag",
        "ina_seq_t",
    ),
    Field(
        "bitmap",
        32,
        "contributor bitmap: which worker bits a result (or a leaf's partial) sums; 0 from a worker",
        "worker_bitmap_t",
    ),
    Field(
        "contrib_count",
        8,
        "workers whose values are summed: 1 from a worker, a rack from a leaf, all in a result; "
        "0 from a worker is a flush: close the slot and send its partial to every worker",
        "contrib_count_t",
    ),
    Field(
        "value_count", 8, "number of int32 values that follow (the program's K)", "value_count_t"
    ),
    Field("reserved", 16, "zero on send, ignored on receive", "ina_reserved_t"),
)

_BY_NAME = {f.name: f for f in INA_FIELDS}
if len(_BY_NAME) != len(INA_FIELDS):
    raise FormatError("duplicate INA field name")

HEADER_BITS: int = sum(f.bits for f in INA_FIELDS)
HEADER_BYTES: int = HEADER_BITS // 8

VALUE_BITS = 32
VALUE_BYTES = VALUE_BITS // 8
LANE_CHOICES: tuple[int, ...] = (32, 64)
DEFAULT_LANES = 32
MAX_WORKERS = _BY_NAME["bitmap"].bits

ETHERNET_BYTES = 14
IPV4_BYTES = 20  # no options: the parser does not accept IPv4 options on INA traffic
UDP_BYTES = 8
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
IP_PROTO_UDP = 17
IP_PROTO_ICMP = 1


def field(name: str) -> Field:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no INA header field {name!r}") from None


def offset(name: str) -> int:
    """Byte offset of a field from the start of the INA header."""
    pos = 0
    for f in INA_FIELDS:
        if f.name == name:
            return pos
        pos += f.bytes
    raise KeyError(f"no INA header field {name!r}")


def payload_bytes(lanes: int) -> int:
    """Bytes of INA header plus ``lanes`` values."""
    check_lanes(lanes)
    return HEADER_BYTES + lanes * VALUE_BYTES


def udp_length(lanes: int) -> int:
    return UDP_BYTES + payload_bytes(lanes)


def ipv4_total_length(lanes: int) -> int:
    return IPV4_BYTES + udp_length(lanes)


def frame_bytes(lanes: int) -> int:
    """Ethernet frame length (no FCS) of one INA packet."""
    return ETHERNET_BYTES + ipv4_total_length(lanes)


def check_lanes(lanes: int) -> None:
    if lanes not in LANE_CHOICES:
        raise ValueError(
            f"K={lanes} values per packet is not supported (choose from {LANE_CHOICES})"
        )


# --------------------------------------------------------------------------- enumerations
class MsgType(enum.IntEnum):
    """``msg_type`` values. 0 is invalid so an all-zero header is never mistaken for data."""

    CONTRIB = 1  # worker (or lower-level switch) -> switch: a contribution for a slot
    RESULT = 2  # switch -> workers: the aggregate of a completed slot


class Flag(enum.IntFlag):
    """``flags`` bits."""

    SHADOW = 0x01  # which of the slot's two copies (shadow sets) this packet uses
    RESEND = 0x02  # the sender retransmits (timer expired); informative for the switch
    UNICAST = 0x04  # a result returned by unicast to one retransmitting worker
    ECN_ECHO = 0x08  # a contribution of this slot arrived ECN-CE marked: sender slow down
    COLLISION = 0x10  # best-effort slot owned by another job/block: forwarded to the PS raw
    UPSTREAM = 0x20  # a partial aggregate a leaf switch forwards up as one contribution


class Importance(enum.IntEnum):
    """Importance classes; the class is the switch's ``standard_metadata.priority``
    (bmv2: higher priority value is served first)."""

    LOW = 0
    NORMAL = 1
    HIGH = 2
    CRITICAL = 3


# DSCP code point that marks each class (RFC 4594 names): hosts set these, the
# controller installs dscp -> class in the switch's ``importance_class`` table.
IMPORTANCE_DSCP: dict[Importance, int] = {
    Importance.LOW: 8,  # CS1, "lower effort"
    Importance.NORMAL: 0,  # default forwarding
    Importance.HIGH: 26,  # AF31
    Importance.CRITICAL: 46,  # EF
}

ECN_NOT_ECT = 0
ECN_ECT1 = 1
ECN_ECT0 = 2
ECN_CE = 3

# --------------------------------------------------------------------------- P4 constants
CONSTANTS: tuple[Constant, ...] = (
    Constant(
        "INA_UDP_PORT",
        0xEF00,
        16,
        "61184: IANA dynamic range, above Linux's default ephemeral ports (32768-60999) "
        "so no host socket picks it by chance",
    ),
    Constant(
        "INA_PS_UDP_PORT",
        0xEF01,
        16,
        "61185: fallback traffic to the parameter server (collisions, jobs without "
        "aggregator); a different port so no switch on the way aggregates it again",
    ),
    Constant("INA_MSG_CONTRIB", MsgType.CONTRIB, 8, "a contribution to a slot"),
    Constant("INA_MSG_RESULT", MsgType.RESULT, 8, "the aggregate of a completed slot"),
    Constant("INA_FLAG_SHADOW", Flag.SHADOW, 8, "bit 0: shadow set (slot copy) used"),
    Constant("INA_FLAG_RESEND", Flag.RESEND, 8, "bit 1: sender retransmission"),
    Constant("INA_FLAG_UNICAST", Flag.UNICAST, 8, "bit 2: result unicast to one retransmitter"),
    Constant("INA_FLAG_ECN_ECHO", Flag.ECN_ECHO, 8, "bit 3: some contribution was ECN-CE"),
    Constant("INA_FLAG_COLLISION", Flag.COLLISION, 8, "bit 4: best-effort collision, sent to PS"),
    Constant("INA_FLAG_UPSTREAM", Flag.UPSTREAM, 8, "bit 5: partial aggregate from a leaf switch"),
    Constant("INA_MAX_WORKERS", MAX_WORKERS, 8, "one bit per contributor in the 32-bit bitmap"),
    Constant("INA_HEADER_BYTES", HEADER_BYTES, 16, "sum of the INA field widths"),
    Constant("IMPORTANCE_LOW", Importance.LOW, 3, "class 0 (priority queue 0): dropped first"),
    Constant("IMPORTANCE_NORMAL", Importance.NORMAL, 3, "class 1"),
    Constant("IMPORTANCE_HIGH", Importance.HIGH, 3, "class 2"),
    Constant("IMPORTANCE_CRITICAL", Importance.CRITICAL, 3, "class 3: dropped last"),
    Constant("ECN_CE", ECN_CE, 2, "RFC 3168 congestion experienced"),
    Constant("ETHERTYPE_IPV4", ETHERTYPE_IPV4, 16, "IEEE"),
    Constant("ETHERTYPE_ARP", ETHERTYPE_ARP, 16, "IEEE"),
    Constant("IP_PROTO_UDP", IP_PROTO_UDP, 8, "IANA"),
    Constant("IP_PROTO_ICMP", IP_PROTO_ICMP, 8, "IANA"),
)

INA_UDP_PORT: int = CONSTANTS[0].value
INA_PS_UDP_PORT: int = CONSTANTS[1].value


def constant(name: str) -> int:
    for c in CONSTANTS:
        if c.name == name:
            return c.value
    raise KeyError(f"no INA constant {name!r}")


def markdown_field_table() -> str:
    """The header table of docs/protocol.md (a test keeps the doc in step)."""
    rows = ["| byte offset | field | bits | meaning |", "|---:|---|---:|---|"]
    for f in INA_FIELDS:
        rows.append(f"| {offset(f.name)} | `{f.name}` | {f.bits} | {f.meaning} |")
    rows.append(
        f"| {HEADER_BYTES} | `value[0..K-1]` | K x {VALUE_BITS} | "
        "two's-complement int32 values, K = 32 or 64 |"
    )
    return "\n".join(rows)
