"""Value bounds of expressions (ExprCompiler.bound): a mask no narrower than what it
masks is dropped from the generated code, any other stays, and results do not change."""

from __future__ import annotations

from inalab.switch.core import Switch
from inalab.switch.expressions import ExprCompiler
from inalab.switch.loader import Program

from .bmv2json import Builder, assign, expr, field, hexv

SM = "standard_metadata"


def lay() -> ExprCompiler:
    return ExprCompiler(Program(Builder().build()).layout)


def test_bounds() -> None:
    ex = lay()
    a, c = field("h", "a"), field("h", "c")  # 8 and 16 bits
    assert ex.bound(a) == 8
    assert ex.bound(hexv(0xFF)) == 8
    assert ex.bound(expr("+", a, c)) == 17
    assert ex.bound(expr("*", a, hexv(16))) == 13
    assert ex.bound(expr("<<", c, hexv(4))) == 20
    assert ex.bound(expr(">>", c, hexv(4))) == 12
    assert ex.bound(expr("&", expr("-", a, c), hexv(0xFFFF))) == 16  # a mask bounds a difference
    assert ex.bound(expr("-", a, c)) is None  # may be negative
    assert ex.bound(expr("==", a, c)) == 1
    assert ex.bound(field("h", "$valid$")) == 1


def mask_program() -> Builder:
    b = Builder()
    b.action("go", [
        # h.c = (h.a * 16) & 0xFFFF: 12 bits, the mask goes; h.b = (h.c + h.a) & 0xFF stays
        assign(field("h", "b"), expr("&", expr("+", field("h", "c"), field("h", "a")), hexv(0xFF))),
        assign(field("h", "c"), expr("&", expr("*", field("h", "a"), hexv(16)), hexv(0xFFFF))),
    ])  # fmt: skip
    b.table("t", [], ["go"], "go", const_default=True)
    return b


def test_masks_dropped_only_when_no_op() -> None:
    src = Program(mask_program().build()).source
    body = src[src.index("def act_0(") : src.index("def ", src.index("def act_0(") + 1)]
    assert "& 65535" not in body  # (h.a * 16) fits in 16 bits
    assert "& 255" in body  # h.c + h.a does not fit in 8
    sw = Switch()
    sw.load_program(mask_program().build())
    out: list[str] = []
    sw.set_transmit_handler(lambda _port, d: out.append(d.hex()))
    for x in ("ff00ffff", "0f000102", "00000000"):
        sw.receive(0, bytes.fromhex(x))
    # b = (c + a) & 0xFF with the old c; then c = a * 16
    assert out == ["fffe0ff0", "0f1100f0", "00000000"]
