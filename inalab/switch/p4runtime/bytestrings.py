"""P4Runtime bytestrings (spec section "Bytestrings").

Values travel as big-endian byte strings. The server accepts any length as long
as the value fits in the field's bitwidth (leading zero bytes are tolerated,
as the spec allows for 1.x clients that pad to the full width) and rejects a
value wider than the bitwidth with INVALID_ARGUMENT. What the server sends is
canonical: the shortest string holding the value, one byte for zero.
"""

from __future__ import annotations

from inalab.switch.p4runtime.errors import invalid


def decode(data: bytes, bitwidth: int, what: str) -> int:
    """The unsigned value of ``data``; INVALID_ARGUMENT if empty or wider than ``bitwidth``."""
    if not data:
        raise invalid(f"{what}: empty bytestring")
    value = int.from_bytes(data, "big")
    if value >> bitwidth:
        raise invalid(
            f"{what}: bytestring 0x{data.hex()} does not fit in {bitwidth} bit"
            f"{'s' if bitwidth != 1 else ''}"
        )
    return value


def encode(value: int) -> bytes:
    """The canonical bytestring of an unsigned value."""
    if value < 0:
        raise ValueError(f"negative value {value} has no bytestring")
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def pack_fields(fields: list[tuple[int, int]]) -> bytes:
    """Bit-pack ``(value, bitwidth)`` pairs, first field in the most significant bits,
    padded with zero bits at the end to a whole number of bytes (a P4 header)."""
    total = sum(width for _, width in fields)
    acc = 0
    for value, width in fields:
        acc = (acc << width) | (value & ((1 << width) - 1))
    nbytes = (total + 7) // 8
    acc <<= nbytes * 8 - total
    return acc.to_bytes(nbytes, "big") if nbytes else b""


def unpack_fields(data: bytes, widths: list[int]) -> list[int]:
    """Inverse of :func:`pack_fields` on the first ``ceil(sum(widths)/8)`` bytes of ``data``."""
    total = sum(widths)
    nbytes = (total + 7) // 8
    if len(data) < nbytes:
        raise invalid(f"packet of {len(data)} bytes is shorter than its {nbytes}-byte header")
    acc = int.from_bytes(data[:nbytes], "big") >> (nbytes * 8 - total)
    values = []
    shift = total
    for width in widths:
        shift -= width
        values.append((acc >> shift) & ((1 << width) - 1))
    return values
