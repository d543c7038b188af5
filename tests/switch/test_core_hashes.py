"""Hash algorithms against their standard check values (bmv2 uses the same parameters)."""

from __future__ import annotations

import os

import pytest

from inalab.switch.control import InvalidRequestError, UnknownNameError
from inalab.switch.core import Switch
from inalab.switch.hashes import (
    ALGORITHMS,
    CUSTOM_CRC_DEFAULTS,
    CrcConfig,
    csum16,
    csum16_int,
    identity,
    make_crc,
    xor16,
)

from .crc_program import crc_program

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


# --------------------------------------------------------------------------- custom CRCs
# CRC catalogue (reveng) check values of "123456789" for parameter sets a
# program's crc16_custom / crc32_custom can be set to (set_crc16/32_parameters).
CRC16_CATALOGUE = [
    # name, poly, init, xor_out, reflect data, reflect remainder, check
    ("ARC (bmv2 default)", 0x8005, 0x0000, 0x0000, True, True, 0xBB3D),
    ("CCITT-FALSE", 0x1021, 0xFFFF, 0x0000, False, False, 0x29B1),
    ("KERMIT", 0x1021, 0x0000, 0x0000, True, True, 0x2189),
    ("XMODEM", 0x1021, 0x0000, 0x0000, False, False, 0x31C3),
    ("MODBUS", 0x8005, 0xFFFF, 0x0000, True, True, 0x4B37),
    ("X-25", 0x1021, 0xFFFF, 0xFFFF, True, True, 0x906E),
    ("DNP", 0x3D65, 0x0000, 0xFFFF, True, True, 0xEA82),
]
CRC32_CATALOGUE = [
    ("CRC-32 (bmv2 default)", 0x04C11DB7, 0xFFFFFFFF, 0xFFFFFFFF, True, True, 0xCBF43926),
    ("BZIP2", 0x04C11DB7, 0xFFFFFFFF, 0xFFFFFFFF, False, False, 0xFC891918),
    ("MPEG-2", 0x04C11DB7, 0xFFFFFFFF, 0x00000000, False, False, 0x0376E6E7),
    ("ISCSI (CRC-32C)", 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, True, True, 0xE3069283),
    ("JAMCRC", 0x04C11DB7, 0xFFFFFFFF, 0x00000000, True, True, 0x340BC6D9),
    ("CKSUM (POSIX)", 0x04C11DB7, 0x00000000, 0xFFFFFFFF, False, False, 0x765E7680),
]


def _run(sw: Switch) -> tuple[int, int]:
    out: list[bytes] = []
    sw.set_transmit_handler(lambda port, data: out.append(data))
    sw.receive(0, bytes(8))
    (data,) = out
    return int.from_bytes(data[2:4], "big"), int.from_bytes(data[4:8], "big")


def test_custom_crcs_default_to_bmv2s_parameters() -> None:
    sw = Switch()
    sw.load_program(crc_program())
    assert _run(sw) == (0xBB3D, 0xCBF43926)
    assert sw.crc_parameters("calc16") == CUSTOM_CRC_DEFAULTS["crc16_custom"]
    assert sw.custom_crc_calculations() == {"calc16": "crc16_custom", "calc32": "crc32_custom"}


@pytest.mark.parametrize("case", CRC16_CATALOGUE, ids=[c[0] for c in CRC16_CATALOGUE])
def test_crc16_custom_parameters_give_catalogue_values(
    case: tuple[str, int, int, int, bool, bool, int],
) -> None:
    _, poly, init, xor_out, refin, refout, check = case
    sw = Switch()
    sw.load_program(crc_program())
    sw.set_crc_parameters("calc16", CrcConfig(16, poly, init, xor_out, refin, refout))
    assert _run(sw) == (check, 0xCBF43926)  # calc32 keeps its own parameters


@pytest.mark.parametrize("case", CRC32_CATALOGUE, ids=[c[0] for c in CRC32_CATALOGUE])
def test_crc32_custom_parameters_give_catalogue_values(
    case: tuple[str, int, int, int, bool, bool, int],
) -> None:
    _, poly, init, xor_out, refin, refout, check = case
    sw = Switch()
    sw.load_program(crc_program())
    sw.set_crc_parameters("calc32", CrcConfig(32, poly, init, xor_out, refin, refout))
    assert _run(sw) == (0xBB3D, check)


def test_crc_parameters_reset_with_a_new_program_and_reject_wrong_targets() -> None:
    sw = Switch()
    sw.load_program(crc_program())
    sw.set_crc_parameters("calc16", CrcConfig(16, 0x1021, 0xFFFF, 0, False, False))
    assert _run(sw)[0] == 0x29B1
    sw.load_program(crc_program())
    assert _run(sw)[0] == 0xBB3D
    with pytest.raises(InvalidRequestError, match="crc32 parameters do not apply"):
        sw.set_crc_parameters("calc16", CrcConfig(32, 0x04C11DB7, 0, 0, True, True))
    with pytest.raises(InvalidRequestError, match="not a custom CRC"):
        sw.set_crc_parameters("plain", CrcConfig(16, 0x1021, 0, 0, True, True))
    with pytest.raises(UnknownNameError, match="unknown calculation 'nope'"):
        sw.set_crc_parameters("nope", CrcConfig(16, 0x1021, 0, 0, True, True))
    with pytest.raises(ValueError, match="does not fit in 16 bits"):
        CrcConfig(16, 0x11021, 0, 0, True, True)


def test_mixed_reflection_matches_a_bitwise_reference() -> None:
    # refin != refout has no catalogue entry: check against a bit-at-a-time CRC
    def bitwise(data: bytes, width: int, poly: int, init: int, xo: int, ri: bool, ro: bool) -> int:
        top, mask, c = 1 << (width - 1), (1 << width) - 1, init
        for byte in data:
            if ri:
                byte = int(f"{byte:08b}"[::-1], 2)
            c ^= byte << (width - 8)
            for _ in range(8):
                c = ((c << 1) ^ poly) & mask if c & top else (c << 1) & mask
        if ro:
            c = int(f"{c:0{width}b}"[::-1], 2)
        return c ^ xo

    for ri, ro in ((True, False), (False, True)):
        for width, poly, init, xo in ((16, 0x8005, 0xFFFF, 0x1234), (32, 0x1EDC6F41, 0x1, 0xF)):
            want = bitwise(CHECK, width, poly, init, xo, ri, ro)
            assert CrcConfig(width, poly, init, xo, ri, ro).function()(CHECK) == want
