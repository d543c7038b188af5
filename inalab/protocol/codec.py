"""Vectorised numpy codec for INA payloads (the UDP payload: header + K int32 values).

Everything about the layout comes from :mod:`inalab.protocol.format`: a packed,
big-endian numpy structured dtype is built from ``INA_FIELDS`` (wire order and
widths) followed by ``K`` big-endian int32 lanes, so encoding a batch of N
packets is one array fill and ``tobytes()``, and decoding is ``frombuffer``.

Single packets are :class:`InaMessage` (a frozen, self-validating dataclass);
batches are numpy record arrays of :func:`payload_dtype`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import numpy.typing as npt

from inalab.protocol import format as fmt


class CodecError(ValueError):
    """A payload that is not a well-formed INA packet, or a message that cannot be encoded."""


@cache
def header_dtype() -> np.dtype:
    """The INA header as a packed big-endian structured dtype (field order from format.py)."""
    return np.dtype([(f.name, f">u{f.bytes}") for f in fmt.INA_FIELDS])


@cache
def payload_dtype(lanes: int) -> np.dtype:
    """Header followed by ``lanes`` big-endian int32 values, under the field name ``values``."""
    fmt.check_lanes(lanes)
    fields: list[tuple[str, str] | tuple[str, str, tuple[int]]] = [
        (f.name, f">u{f.bytes}") for f in fmt.INA_FIELDS
    ]
    fields.append(("values", f">i{fmt.VALUE_BYTES}", (lanes,)))
    dt = np.dtype(fields)
    if dt.itemsize != fmt.payload_bytes(lanes):
        raise CodecError(f"dtype size {dt.itemsize} != format payload {fmt.payload_bytes(lanes)}")
    return dt


HEADER_FIELDS: tuple[str, ...] = tuple(f.name for f in fmt.INA_FIELDS)
_STRUCT_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}

#: The header as a ``struct`` (big-endian, fields in wire order): the fast path for
#: reading one header, ``HEADER_STRUCT.unpack_from(payload)`` -> a tuple in
#: ``HEADER_FIELDS`` order. :data:`FIELD_INDEX` names the tuple positions.
HEADER_STRUCT = struct.Struct(">" + "".join(_STRUCT_CODES[f.bytes] for f in fmt.INA_FIELDS))
FIELD_INDEX: dict[str, int] = {n: i for i, n in enumerate(HEADER_FIELDS)}
if HEADER_STRUCT.size != fmt.HEADER_BYTES:
    raise CodecError(f"header struct {HEADER_STRUCT.size} bytes != {fmt.HEADER_BYTES}")
VALUES_DTYPE = np.dtype(f">i{fmt.VALUE_BYTES}")


def values_of(payload: bytes | memoryview, lanes: int) -> npt.NDArray:
    """The K big-endian int32 values after the header (a read-only view)."""
    return np.frombuffer(payload, dtype=VALUES_DTYPE, count=lanes, offset=fmt.HEADER_BYTES)


@dataclass(frozen=True)
class InaMessage:
    """One INA packet payload. Unknown header fields default to zero."""

    msg_type: int
    flags: int = 0
    job_id: int = 0
    slot_id: int = 0
    worker_id: int = 0
    block_exp: int = 0
    seq: int = 0
    bitmap: int = 0
    contrib_count: int = 0
    value_count: int = 0
    reserved: int = 0
    values: npt.NDArray[np.int32] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int32), compare=False
    )

    def __post_init__(self) -> None:
        for f in fmt.INA_FIELDS:
            v = getattr(self, f.name)
            if not isinstance(v, int | np.integer) or not 0 <= int(v) <= f.max_value:
                raise CodecError(f"field {f.name}={v!r} does not fit {f.bits} unsigned bits")
        vals = np.asarray(self.values)
        if vals.ndim != 1 or vals.dtype != np.int32:
            raise CodecError(f"values must be a 1-D int32 array, got {vals.dtype} {vals.shape}")
        if vals.size != self.value_count:
            raise CodecError(f"value_count={self.value_count} but {vals.size} values given")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InaMessage):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in HEADER_FIELDS) and bool(
            np.array_equal(self.values, other.values)
        )

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, n) for n in HEADER_FIELDS))

    def header(self) -> dict[str, int]:
        return {n: int(getattr(self, n)) for n in HEADER_FIELDS}


def lanes_of(payload: bytes | memoryview) -> int:
    """K of a payload from its length (raises :class:`CodecError` if it fits no K)."""
    n = len(payload)
    for k in fmt.LANE_CHOICES:
        if n == fmt.payload_bytes(k):
            return k
    raise CodecError(
        f"payload of {n} bytes is not an INA packet (expected "
        + " or ".join(str(fmt.payload_bytes(k)) for k in fmt.LANE_CHOICES)
        + ")"
    )


def encode(msg: InaMessage) -> bytes:
    """One message to its wire bytes. ``value_count`` must be a supported K."""
    rec = np.zeros(1, dtype=payload_dtype(msg.value_count))
    for n in HEADER_FIELDS:
        rec[n] = getattr(msg, n)
    rec["values"][0] = msg.values
    return rec.tobytes()


def decode(payload: bytes | memoryview) -> InaMessage:
    """Wire bytes to a message; raises :class:`CodecError` for anything malformed."""
    k = lanes_of(payload)
    rec = np.frombuffer(payload, dtype=payload_dtype(k))[0]
    hdr = {n: int(rec[n]) for n in HEADER_FIELDS}
    if hdr["value_count"] != k:
        raise CodecError(f"value_count={hdr['value_count']} but payload carries {k} values")
    if hdr["msg_type"] not in {int(t) for t in fmt.MsgType}:
        raise CodecError(f"unknown msg_type {hdr['msg_type']}")
    return InaMessage(**hdr, values=rec["values"].astype(np.int32))


def new_batch(count: int, lanes: int) -> np.ndarray:
    """A zeroed batch of ``count`` payload records with ``value_count`` preset to K."""
    batch = np.zeros(count, dtype=payload_dtype(lanes))
    batch["value_count"] = lanes
    return batch


def encode_batch(batch: np.ndarray) -> list[bytes]:
    """A batch of records to one ``bytes`` per packet (one copy for the whole batch)."""
    size = batch.dtype.itemsize
    raw = batch.tobytes()
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def decode_batch(payloads: list[bytes], lanes: int) -> np.ndarray:
    """Many payloads of the same K to a record array (raises on any wrong length)."""
    size = fmt.payload_bytes(lanes)
    for i, p in enumerate(payloads):
        if len(p) != size:
            raise CodecError(f"payload {i}: {len(p)} bytes, expected {size} for K={lanes}")
    return np.frombuffer(b"".join(payloads), dtype=payload_dtype(lanes))
