"""Calculation inputs concatenated by the generated code: runs of static-width items
in one expression, variable-width ones (headers, payload) after them, in order."""

from __future__ import annotations

from inalab.switch.loader import Program
from inalab.switch.packet import Packet

from .bmv2json import Builder, field


def calc_of(inputs: list[dict[str, object]], algo: str) -> Program:
    b = Builder()
    b.j["calculations"] = [{"name": "c", "id": 0, "algo": algo, "input": inputs}]
    return Program(b.build())


def run(prog: Program, data: bytes) -> int:
    p = Packet([0] * prog.nslots, prog.v_template[:], [0] * prog.nstacks, data, 1)
    st = prog.parse_init
    while st is not None:
        st = st(p)
    return int(prog.ns["calc_0"](p))


def const(v: int, w: int) -> dict[str, object]:
    return {"type": "hexstr", "value": hex(v), "bitwidth": w}


def test_mixed_inputs_concatenate_in_order() -> None:
    inputs = [
        field("h", "a"),  # 8 bits
        const(0x5, 4),
        field("h", "$valid$"),  # 1 bit
        const(0x3, 3),
        field("h", "c"),  # 16 bits
        {"type": "header", "value": "h"},  # 32 bits (valid)
        const(0xAB, 8),
    ]
    data = bytes([0x12, 0x34, 0x56, 0x78])
    whole = int.from_bytes(data, "big")
    parts = [f"{0x12:08b}", f"{0x5:04b}", "1", f"{0x3:03b}", f"{0x5678:016b}", f"{whole:032b}"]
    bits = "".join([*parts, f"{0xAB:08b}"])
    # identity: the first 8 bytes of the (byte-padded) buffer
    want = int(bits[:64], 2)
    assert run(calc_of(inputs, "identity"), data) == want


def test_payload_after_static_fields() -> None:
    prog = calc_of([field("h", "b"), {"type": "payload", "value": None}], "identity")
    assert run(prog, bytes([1, 2, 3, 4, 9, 8, 7])) == int.from_bytes(bytes([2, 9, 8, 7]), "big")


def test_csum16_of_static_fields() -> None:
    prog = calc_of([field("h", "a"), field("h", "b"), field("h", "c")], "csum16")
    data = bytes([0x45, 0x00, 0x00, 0x54])
    s = 0x4500 + 0x0054
    assert run(prog, data) == (~s) & 0xFFFF
