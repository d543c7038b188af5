"""Hash algorithms against their standard check values (bmv2 uses the same parameters)."""

from __future__ import annotations

import os

from inalab.switch.hashes import ALGORITHMS, csum16, csum16_int, identity, make_crc, xor16

CHECK = b"123456789"


def test_crc_check_values() -> None:
    assert ALGORITHMS["crc16"](CHECK) == 0xBB3D  # CRC-16/ARC, bmv2 "crc16"
    assert ALGORITHMS["crc32"](CHECK) == 0xCBF43926  # CRC-32, bmv2 "crc32"
    assert ALGORITHMS["crcCCITT"](CHECK) == 0x29B1  # CRC-16/CCITT-FALSE
    assert make_crc(16, 0x1021, 0, 0, True, True)(CHECK) == 0x2189  # KERMIT: reflected path


def test_internet_checksum() -> None:
    # RFC 1071 example words 0001 f203 f4f5 f6f7 -> sum 0xddf2, checksum 0x220d
    assert csum16(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D
    assert csum16(b"\x00\x00") == 0xFFFF
    for n in (2, 4, 20, 21):
        d = os.urandom(n)
        padded = d + b"\x00" * (n % 2)
        assert csum16_int(int.from_bytes(padded, "big")) == csum16(d)


def test_identity_and_xor16() -> None:
    assert identity(bytes(range(1, 11))) == 0x0102030405060708  # first 8 bytes, as bmv2
    assert identity(b"") == 0
    assert xor16(bytes.fromhex("12345678")) == 0x1234 ^ 0x5678
