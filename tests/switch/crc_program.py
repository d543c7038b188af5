"""A program whose ingress writes two custom CRCs of the CRC catalogue's check
string "123456789" into the packet: ``h.c`` = crc16_custom (calculation
``calc16``), ``h.d`` = crc32_custom (calculation ``calc32``)."""

from __future__ import annotations

from typing import Any

from .bmv2json import Builder, field, hexv, prim

CHECK = b"123456789"


def crc_program() -> dict[str, Any]:
    b = Builder()
    b.j["header_types"][2]["fields"].append(["d", 32, False])
    check = {"type": "hexstr", "value": "0x" + CHECK.hex(), "bitwidth": 8 * len(CHECK)}
    b.j["calculations"] = [
        {"name": "calc16", "id": 0, "algo": "crc16_custom", "input": [check]},
        {"name": "calc32", "id": 1, "algo": "crc32_custom", "input": [check]},
        {"name": "plain", "id": 2, "algo": "crc16", "input": [check]},
    ]
    b.action("hash", [
        prim("modify_field_with_hash_based_offset", field("h", "c"), hexv(0), {"type": "calculation", "value": "calc16"}, hexv(1 << 16)),
        prim("modify_field_with_hash_based_offset", field("h", "d"), hexv(0), {"type": "calculation", "value": "calc32"}, hexv(1 << 32)),
    ])  # fmt: skip
    b.table("t", [], ["hash"], "hash")
    return b.build()
