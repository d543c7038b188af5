"""Hash and checksum algorithms bmv2 offers to ``calculations`` (bytes in, int out)."""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass

HashFn = Callable[[bytes], int]


def _reflect(v: int, width: int) -> int:
    return int(f"{v:0{width}b}"[::-1], 2)


def make_crc(width: int, poly: int, init: int, xor_out: int, refin: bool, refout: bool) -> HashFn:
    """A table-driven CRC of ``width`` bits with the Rocksoft parameters."""
    top = 1 << (width - 1)
    mask = (1 << width) - 1
    table = []
    for b in range(256):
        c = b << (width - 8) if width >= 8 else b
        for _ in range(8):
            c = ((c << 1) ^ poly) if c & top else (c << 1)
        table.append(c & mask)
    rtable = [_reflect(table[_reflect(b, 8)], width) for b in range(256)] if refin else []
    rpoly_init = _reflect(init, width) if refin else init

    def crc(data: bytes) -> int:
        if refin:
            c = rpoly_init
            for byte in data:
                c = (c >> 8) ^ rtable[(c ^ byte) & 0xFF]
            if not refout:
                c = _reflect(c, width)
        else:
            c = init
            shift = width - 8
            for byte in data:
                c = ((c << 8) & mask) ^ table[((c >> shift) ^ byte) & 0xFF]
            if refout:
                c = _reflect(c, width)
        return (c ^ xor_out) & mask

    return crc


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


crc16 = make_crc(16, 0x8005, 0x0000, 0x0000, True, True)  # CRC-16/ARC, bmv2 "crc16"
crc32_custom_default = crc32
crc16_custom_default = crc16


@dataclass(frozen=True)
class CrcConfig:
    """The parameters of bmv2's ``crc16_custom`` / ``crc32_custom`` (Rocksoft model),
    as ``set_crc16_parameters`` / ``set_crc32_parameters`` take them."""

    width: int
    polynomial: int
    initial_remainder: int
    final_xor_value: int
    data_reflected: bool
    remainder_reflected: bool

    def __post_init__(self) -> None:
        if self.width not in (16, 32):
            raise ValueError(f"custom CRC width must be 16 or 32, got {self.width}")
        for what in ("polynomial", "initial_remainder", "final_xor_value"):
            v = getattr(self, what)
            if not 0 <= v < (1 << self.width):
                raise ValueError(f"{what} {v:#x} does not fit in {self.width} bits")

    def function(self) -> HashFn:
        return make_crc(
            self.width,
            self.polynomial,
            self.initial_remainder,
            self.final_xor_value,
            self.data_reflected,
            self.remainder_reflected,
        )


# bmv2's defaults (src/bm_sim/calculations.cpp): CRC-16/ARC and CRC-32
CUSTOM_CRC_DEFAULTS: dict[str, CrcConfig] = {
    "crc16_custom": CrcConfig(16, 0x8005, 0x0000, 0x0000, True, True),
    "crc32_custom": CrcConfig(32, 0x04C11DB7, 0xFFFFFFFF, 0xFFFFFFFF, True, True),
}


def custom_crc_key(calculation: str) -> str:
    """Where a program's namespace holds the configured CRC of a named calculation."""
    return f"CRC_CUSTOM:{calculation}"


crcCCITT = make_crc(16, 0x1021, 0xFFFF, 0x0000, False, False)


def csum16(data: bytes) -> int:
    """Internet checksum (ones' complement of the ones' complement sum)."""
    if len(data) % 2:
        data += b"\x00"
    s = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def csum16_int(x: int) -> int:
    """csum16 of a big-endian buffer already read as an int (16-bit aligned).

    2**16 = 1 (mod 0xFFFF), so the ones' complement sum of the 16-bit words is
    ``x mod 0xFFFF`` (0xFFFF instead of 0 for non-zero data)."""
    r = x % 0xFFFF
    if r == 0 and x:
        r = 0xFFFF
    return (~r) & 0xFFFF


def xor16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    r = 0
    for i in range(0, len(data), 2):
        r ^= int.from_bytes(data[i : i + 2], "big")
    return r


def identity(data: bytes) -> int:
    """The first (up to) 8 bytes, big-endian, as bmv2's ``identity``."""
    return int.from_bytes(data[:8], "big")


def rand_hash(data: bytes) -> int:
    return random.getrandbits(32)


def cksum16(data: bytes) -> int:
    return csum16(data)


ALGORITHMS: dict[str, HashFn] = {
    "crc32": crc32,
    "crc16": crc16,
    "crc32_custom": crc32,
    "crc16_custom": crc16,
    "crcCCITT": crcCCITT,
    "csum16": csum16,
    "cksum16": cksum16,
    "xor16": xor16,
    "identity": identity,
    "random": rand_hash,
}
