from __future__ import annotations

import grpc
import pytest

from inalab.switch.p4runtime import bytestrings
from inalab.switch.p4runtime.errors import P4RuntimeError


def test_encode_is_canonical() -> None:
    assert bytestrings.encode(0) == b"\x00"
    assert bytestrings.encode(1) == b"\x01"
    assert bytestrings.encode(0x1FF) == b"\x01\xff"
    assert bytestrings.encode(0x0A000001) == b"\x0a\x00\x00\x01"


def test_decode_accepts_canonical_and_padded() -> None:
    assert bytestrings.decode(b"\x01\xff", 9, "port") == 0x1FF
    assert bytestrings.decode(b"\x00\x00\x01", 9, "port") == 1
    assert bytestrings.decode(b"\x00\x00\x00\x00\x00\x01", 48, "mac") == 1


@pytest.mark.parametrize(("data", "width"), [(b"\x02\x00", 9), (b"\x01\x00", 8), (b"\x02", 1)])
def test_decode_rejects_values_wider_than_the_field(data: bytes, width: int) -> None:
    with pytest.raises(P4RuntimeError) as info:
        bytestrings.decode(data, width, "field x")
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "field x" in info.value.message and f"{width} bit" in info.value.message


def test_decode_rejects_empty() -> None:
    with pytest.raises(P4RuntimeError, match="empty"):
        bytestrings.decode(b"", 8, "f")


def test_pack_and_unpack_fields_round_trip() -> None:
    # 9-bit port then 7-bit padding: a typical packet_out header
    packed = bytestrings.pack_fields([(3, 9), (0, 7)])
    assert packed == bytes([0x01, 0x80])
    assert bytestrings.unpack_fields(packed + b"rest", [9, 7]) == [3, 0]
    odd = bytestrings.pack_fields([(1, 1), (0x1FF, 9)])
    assert len(odd) == 2
    assert bytestrings.unpack_fields(odd, [1, 9]) == [1, 0x1FF]


def test_unpack_rejects_short_frames() -> None:
    with pytest.raises(P4RuntimeError, match="shorter"):
        bytestrings.unpack_fields(b"\x01", [16])
