"""Header layouts as struct chunks (parser.struct_plan): extraction gives each field
its bits, deparsing gives back the bytes, whatever the field widths."""

from __future__ import annotations

import random

import pytest

from inalab.switch.core import Switch
from inalab.switch.loader import Program
from inalab.switch.packet import Packet
from inalab.switch.parser import StructPlan, struct_plan
from inalab.switch.program import HeaderInfo

from .bmv2json import Builder

LAYOUTS = [
    [48, 48, 16],  # Ethernet: 48-bit fields span a 32- and a 16-bit chunk
    [4, 4, 6, 2, 16, 16, 3, 13, 8, 8, 16, 32, 32],  # IPv4
    [8, 24, 128, 1, 7],  # a 24- and a 128-bit field on their own, 1 + 7 in a byte
    [4, 68, 8],  # no chunking: the whole header as one integer
    [12, 12, 8, 16],  # 12 + 12 + 8 share a 32-bit chunk
]


def program(widths: list[int]) -> Builder:
    b = Builder()
    b.j["header_types"][2]["fields"] = [[f"f{i}", w, False] for i, w in enumerate(widths)]
    return b


def fields_of(data: bytes, widths: list[int]) -> list[int]:
    x, left, out = int.from_bytes(data, "big"), len(data) * 8, []
    for w in widths:
        left -= w
        out.append((x >> left) & ((1 << w) - 1))
    return out


@pytest.mark.parametrize("widths", LAYOUTS)
def test_extract_and_deparse_round_trip(widths: list[int]) -> None:
    prog = Program(program(widths).build())
    base = prog.layout.header("h", "h").base
    rng = random.Random(sum(widths))
    sw = Switch()
    sw.load_program(program(widths).build())
    out: list[bytes] = []
    sw.set_transmit_handler(lambda _port, d: out.append(d))
    for _ in range(20):
        data = rng.randbytes(sum(widths) // 8) + b"payload"
        p = Packet([0] * prog.nslots, prog.v_template[:], [0] * prog.nstacks, data, 1)
        st = prog.parse_init
        while st is not None:
            st = st(p)
        assert p.F[base : base + len(widths)] == fields_of(data, widths)
        assert prog.deparse(p) == data
        sw.receive(0, data)
    assert len(out) == 20 and all(len(d) == sum(widths) // 8 + 7 for d in out)


def test_plans() -> None:
    def plan(widths: list[int]) -> StructPlan | None:
        fields = [(f"f{i}", w, False) for i, w in enumerate(widths)]
        return struct_plan(HeaderInfo("h", 2, "h_t", False, 0, fields))

    eth = plan([48, 48, 16])
    assert eth is not None and eth.fmt == ">IHIHH"
    assert eth.fields[0] == ((0, 0, 32), (1, 0, 16))
    ip = plan([4, 4, 8])
    assert (
        ip is not None
        and ip.fmt == ">BB"
        and ip.fields == (((0, 4, 4),), ((0, 0, 4),), ((1, 0, 8),))
    )
    assert plan([4, 68, 8]) is None
    assert plan([4, 4, 0]) is None  # varbit
    with pytest.raises(ValueError):
        StructPlan("BB", ((),))
