"""Runs of register primitives on one index (p4c's unrolled per-lane updates) get a
fast path in the generated action; it must behave as the primitive-by-primitive code,
an index out of range of any register of the run included."""

from __future__ import annotations

import pytest

from inalab.switch.actions import RunOp, _forward
from inalab.switch.core import Switch
from inalab.switch.loader import Program

from .bmv2json import Builder, assign, expr, field, hexv, prim

R0, R1, R2 = ({"type": "register_array", "value": n} for n in ("r0", "r1", "r2"))
A = field("h", "a")


def lanes_program() -> Builder:
    b = Builder()
    b.j["register_arrays"] = [
        {"name": "r0", "id": 0, "size": 4, "bitwidth": 16},
        {"name": "r1", "id": 1, "size": 4, "bitwidth": 16},
        {"name": "r2", "id": 2, "size": 2, "bitwidth": 16},
    ]
    b.action("agg", [
        prim("register_read", field("m", "x"), R0, A),
        assign(field("h", "c"), expr("&", expr("+", field("m", "x"), field("h", "c")), hexv(0xFFFF))),
        prim("register_write", R0, A, field("h", "c")),
        prim("register_read", field("m", "x"), R1, A),
        assign(field("h", "b"), expr("+", field("m", "x"), field("h", "b"))),  # masked to 8 bits
        prim("register_write", R1, A, field("h", "b")),
        prim("register_read", field("m", "y"), R2, A),  # 16-bit cell into an 8-bit field
        prim("register_write", R2, A, field("h", "c")),
        assign(A, expr("&", expr("+", A, hexv(1)), hexv(0xFF))),  # the index changes
        prim("register_write", R0, A, field("m", "y")),
        prim("register_write", R1, A, field("m", "x")),
    ])  # fmt: skip
    b.table("t", [], ["agg"], "agg", const_default=True)
    return b


class Model:
    """The action, primitive by primitive, as bmv2 runs it."""

    def __init__(self) -> None:
        self.r = {"r0": [0] * 4, "r1": [0] * 4, "r2": [0] * 2}

    def rd(self, n: str, i: int) -> int:
        return self.r[n][i] if 0 <= i < len(self.r[n]) else 0

    def wr(self, n: str, i: int, v: int) -> None:
        if 0 <= i < len(self.r[n]):
            self.r[n][i] = v & 0xFFFF

    def packet(self, a: int, b: int, c: int) -> str:
        x = self.rd("r0", a)
        c = (x + c) & 0xFFFF
        self.wr("r0", a, c)
        x = self.rd("r1", a)
        b = (x + b) & 0xFF
        self.wr("r1", a, b)
        y = self.rd("r2", a) & 0xFF
        self.wr("r2", a, c)
        a = (a + 1) & 0xFF
        self.wr("r0", a, y)
        self.wr("r1", a, x)
        return f"{a:02x}{b:02x}{c:04x}"


PACKETS = [(0, 1, 0x100), (1, 0xF0, 0xFFF0), (0, 0x20, 7), (2, 3, 4), (3, 9, 9), (5, 1, 1)]
PACKETS += [(1, 0x80, 0x8000), (0, 0xFF, 0xFFFF), (2, 0, 0), (3, 1, 2)]


def test_register_run_matches_the_primitive_semantics() -> None:
    sw = Switch()
    sw.load_program(lanes_program().build())
    model = Model()
    for n, vals in (("r0", [5, 6, 0xFFFF, 8]), ("r1", [0x1FF, 2, 3, 4]), ("r2", [0x1234, 9])):
        for i, v in enumerate(vals):
            sw.register_write(n, i, v)
            model.r[n][i] = v
    out: list[str] = []
    sw.set_transmit_handler(lambda _port, d: out.append(d.hex()))
    want = []
    for a, b, c in PACKETS:
        sw.receive(0, bytes([a, b]) + c.to_bytes(2, "big"))
        want.append(model.packet(a, b, c))
    assert out == want
    for n, cells in model.r.items():
        assert [sw.register_read(n, i) for i in range(len(cells))] == cells


def test_the_run_checks_its_bounds_once_against_the_smallest_register() -> None:
    src = Program(lanes_program().build()).source
    body = src[src.index("def act_0(") :]
    assert body.count("if 0 <= _i < 2:\n") == 1  # r0, r1, r2 on one index
    assert body.count("_i = F[") >= 3  # fast path, fallback, and the second run


def test_a_run_step_validates_itself() -> None:
    with pytest.raises(ValueError):
        RunOp("jump", 1, "", "", 0, "")
    with pytest.raises(ValueError):
        RunOp("write", 3, "F[1]", "REG_0", 4, "F[2]")


def test_counts_inline_and_after_a_reset() -> None:
    b = Builder()
    b.j["counter_arrays"] = [{"name": "cnt", "id": 0, "size": 4, "is_direct": False}]
    b.action("go", [prim("count", {"type": "counter_array", "value": "cnt"}, A)])
    b.table("t", [], ["go"], "go", const_default=True)
    sw = Switch()
    sw.load_program(b.build())
    sw.set_transmit_handler(lambda _port, _d: None)
    for a in (1, 1, 3, 9):  # 9: out of range, not counted
        sw.receive(0, bytes([a, 0, 0, 0, 0xEE]))
    assert [sw.counter_read("cnt", i) for i in range(4)] == [(0, 0), (2, 10), (0, 0), (1, 5)]
    sw.counter_reset("cnt")
    sw.receive(0, bytes([1, 0, 0, 0]))
    assert [sw.counter_read("cnt", i) for i in range(4)] == [(0, 0), (1, 4), (0, 0), (0, 0)]


def test_copy_propagation_only_for_a_value_the_next_statement_alone_reads() -> None:
    forwarded = _forward([("f1", "R[_i]"), ("f2", "f1 + 1"), ("f1", "Q[_i]")])
    assert forwarded == [("f2", "(R[_i]) + 1"), ("f1", "Q[_i]")]
    final = [("f1", "R[_i]"), ("f2", "f1 + 1")]  # f1 is stored at the run's end
    assert _forward(final) == final
    twice = [("f1", "R[_i]"), ("f2", "f1 + f1"), ("f1", "Q[_i]")]
    assert _forward(twice) == twice
    later = [("f1", "R[_i]"), ("f2", "f1"), ("f3", "f1"), ("f1", "Q[_i]")]
    assert _forward(later) == later
    assert _forward([("f1", "R[_i]"), ("f1", "f1 + 1")]) == [("f1", "(R[_i]) + 1")]
