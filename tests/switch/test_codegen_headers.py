"""Header layouts as struct chunks (parser.struct_plan): extraction gives each field
its bits, deparsing gives back the bytes, whatever the field widths."""

from __future__ import annotations

import logging
import random

import pytest

from inalab.switch.core import Switch
from inalab.switch.loader import Program
from inalab.switch.packet import Packet
from inalab.switch.parser import StructPlan, struct_plan
from inalab.switch.program import HeaderInfo

from .bmv2json import Builder, assign, field, hexv

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


def shared_state_program() -> Builder:
    """start selects on h.a: 1 -> s1, 2 -> s2 (both then -> common), else accept;
    ingress copies m.y into h.b and m.x into h.c."""
    b = Builder()

    def state(name: str, ops: list[dict[str, object]], key: list[dict[str, object]],
              trans: list[tuple[str | None, str | None]]) -> dict[str, object]:  # fmt: skip
        return {
            "name": name, "id": 0, "parser_ops": ops, "transition_key": key,
            "transitions": [
                {"type": "hexstr" if v else "default", "value": v, "mask": None, "next_state": n}
                for v, n in trans
            ],
        }  # fmt: skip

    def set_op(f: str, v: dict[str, object]) -> dict[str, object]:
        return {"op": "set", "parameters": [field("m", f), v]}

    extract = {"op": "extract", "parameters": [{"type": "regular", "value": "h"}]}
    plus1 = {"type": "expression", "value": {"op": "+", "left": field("h", "c"), "right": hexv(1)}}
    b.j["parsers"][0]["parse_states"] = [
        state(
            "start", [extract], [field("h", "a")], [("0x01", "s1"), ("0x02", "s2"), (None, None)]
        ),
        state("s1", [set_op("y", hexv(0x11))], [], [(None, "common")]),
        state("s2", [set_op("y", hexv(0x22))], [], [(None, "common")]),
        state("common", [set_op("x", plus1)], [], [(None, None)]),
    ]
    b.action(
        "copy", [assign(field("h", "b"), field("m", "y")), assign(field("h", "c"), field("m", "x"))]
    )
    b.table("t", [], ["copy"], "copy", const_default=True)
    return b


def test_fused_parser_matches_the_per_state_parser(caplog: pytest.LogCaptureFixture) -> None:
    pkts = ["01000010", "02000020", "03000030", "0100ffff"]

    def run() -> list[str]:
        sw = Switch()
        sw.load_program(shared_state_program().build())
        out: list[str] = []
        sw.set_transmit_handler(lambda _port, d: out.append(d.hex()))
        for x in pkts:
            sw.receive(0, bytes.fromhex(x))
        return out

    fast = run()
    with caplog.at_level(logging.DEBUG, logger="inalab.switch.trace"):
        slow = run()
    assert "Parser state common" in caplog.text
    assert fast == slow == ["01110011", "02220021", "03000000", "01110000"]
    src = Program(shared_state_program().build()).source
    assert "def pf_parser__common(p):" in src  # two predecessors: its own function
    assert "def pf_parser__s1(" not in src  # one predecessor: inlined
