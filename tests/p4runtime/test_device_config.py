from __future__ import annotations

import json

import grpc
import pytest

from inalab.switch.p4runtime.device_config import decode_device_config
from inalab.switch.p4runtime.errors import P4RuntimeError

PROGRAM = {"program": "x.p4", "__meta__": {"version": [2, 23]}}


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _wrapped(data: bytes, reassign: bool = True) -> bytes:
    """A p4.tmp.P4DeviceConfig on the wire: reassign=1, extras=2 (empty), device_data=3."""
    extras = b"\x0a\x03k=v"  # a nested field, skipped
    return (
        b"\x08" + _varint(int(reassign))
        + b"\x12" + _varint(len(extras)) + extras
        + b"\x1a" + _varint(len(data)) + data
    )  # fmt: skip


def test_raw_json_is_accepted() -> None:
    assert decode_device_config(json.dumps(PROGRAM).encode()) == PROGRAM
    assert decode_device_config(b"  \n" + json.dumps(PROGRAM).encode()) == PROGRAM


def test_p4_device_config_wrapper_is_unwrapped() -> None:
    big = dict(PROGRAM, pad="x" * 300)  # a multi-byte length varint
    assert decode_device_config(_wrapped(json.dumps(big).encode())) == big


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b"\x1a\x10{}", b"[1, 2]", _wrapped(b"{broken"), b"\x0f"],
)
def test_bad_device_configs_are_invalid_argument(data: bytes) -> None:
    with pytest.raises(P4RuntimeError) as info:
        decode_device_config(data)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
