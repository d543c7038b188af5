"""The ``p4_device_config`` bytes of a ForwardingPipelineConfig, decoded to bmv2 JSON.

Two encodings reach a bmv2 target: the raw JSON file (what p4runtime-shell
sends) and the legacy ``p4.tmp.P4DeviceConfig`` wrapper of the p4lang
tutorials (``reassign = 1`` bool, ``extras = 2`` message, ``device_data = 3``
bytes holding the JSON). The wrapper is not in the p4runtime 1.4.1 package, so
its three fields are read from the protobuf wire format here.
"""

from __future__ import annotations

import json

from inalab.switch.p4runtime.errors import invalid

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise invalid("p4_device_config: truncated varint in P4DeviceConfig")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def unwrap_p4_device_config(data: bytes) -> bytes:
    """``device_data`` of a serialized ``p4.tmp.P4DeviceConfig``; INVALID_ARGUMENT if malformed."""
    pos = 0
    device_data = b""
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            _, pos = _varint(data, pos)
        elif wire == _LEN:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise invalid("p4_device_config: truncated field in P4DeviceConfig")
            if number == 3:
                device_data = data[pos : pos + length]
            pos += length
        elif wire == _I64:
            pos += 8
        elif wire == _I32:
            pos += 4
        else:
            raise invalid(f"p4_device_config: bad wire type {wire} in P4DeviceConfig")
        if pos > len(data):
            raise invalid("p4_device_config: truncated P4DeviceConfig")
    return device_data


def decode_device_config(data: bytes) -> dict[str, object]:
    """The bmv2 JSON program carried by ``data`` (raw JSON or P4DeviceConfig-wrapped)."""
    if not data:
        raise invalid("p4_device_config is empty: expected bmv2 JSON")
    payload = data if data.lstrip()[:1] == b"{" else unwrap_p4_device_config(data)
    try:
        program = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise invalid(f"p4_device_config is not bmv2 JSON: {e}") from None
    if not isinstance(program, dict):
        raise invalid("p4_device_config: bmv2 JSON must be an object")
    return program
