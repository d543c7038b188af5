"""Select keysets -> bmv2 transitions: range expansion (as p4c's ReplaceSelectRange), cross
products of tuple cases, value/mask strings; and their lowering in parser states."""

from __future__ import annotations

import itertools

import pytest

from inalab.compiler import CompileError, compile_source
from inalab.compiler.selectcases import (
    KeyMatch,
    cross_product,
    range_to_masks,
    signed_value,
    transition_value,
)


def _pairs(ms: list[KeyMatch]) -> list[tuple[int, int]]:
    return [(m.value, m.mask) for m in ms]


def _covered(ms: list[KeyMatch], width: int) -> list[int]:
    return [k for k in range(1 << width) if any(k & m.mask == m.value for m in ms)]


def test_range_expansion_is_p4cs() -> None:
    # p4c's pvs-struct-3-bmv2 midend: 5-bit 10..20 -> 10&&&30, 12&&&28, 16&&&28, 20
    ms = range_to_masks(10, 20, 5)
    assert _pairs(ms) == [(10, 30), (12, 28), (16, 28), (20, 31)]
    assert [m.exact for m in ms] == [False, False, False, True]
    assert _pairs(range_to_masks(1, 8, 8)) == [(1, 0xFF), (2, 0xFE), (4, 0xFC), (8, 0xFF)]
    assert _pairs(range_to_masks(0, 8, 8)) == [(0, 0xF8), (8, 0xFF)]
    assert _pairs(range_to_masks(0x40, 0x7F, 8)) == [(0x40, 0xC0)]


def test_every_unsigned_range_is_covered_exactly_by_disjoint_blocks() -> None:
    width = 5
    for lo, hi in itertools.product(range(1 << width), repeat=2):
        ms = range_to_masks(lo, hi, width)
        if hi < lo:
            assert ms == []
            continue
        assert _covered(ms, width) == list(range(lo, hi + 1))
        # disjoint: the block sizes add up to the range size
        assert sum(1 << (width - bin(m.mask).count("1")) for m in ms) == hi - lo + 1
        # ascending: first match wins does not depend on their order, but p4c's does this
        assert [m.value for m in ms] == sorted(m.value for m in ms)


def test_every_signed_range_is_covered_exactly() -> None:
    width = 4
    values = range(-8, 8)
    for lo, hi in itertools.product(values, repeat=2):
        ms = range_to_masks(lo, hi, width, signed=True)
        want = sorted(v & 0xF for v in range(lo, hi + 1))
        assert sorted(_covered(ms, width)) == want
    # crossing zero: the negative part first, then 0.., as p4c splits it
    assert _pairs(range_to_masks(-3, 2, 8, signed=True)) == [
        (0xFD, 0xFF),
        (0xFE, 0xFE),
        (0x00, 0xFE),
        (0x02, 0xFF),
    ]


def test_full_and_empty_ranges_and_bad_bounds() -> None:
    assert _pairs(range_to_masks(0, 255, 8)) == [(0, 0)]
    assert _pairs(range_to_masks(-128, 127, 8, signed=True)) == [(0x80, 0x80), (0, 0x80)]
    assert range_to_masks(9, 3, 8) == []
    assert range_to_masks(2, -2, 8, signed=True) == []
    with pytest.raises(ValueError, match="does not fit"):
        range_to_masks(0, 256, 8)
    with pytest.raises(ValueError, match="does not fit"):
        range_to_masks(-129, 0, 8, signed=True)
    with pytest.raises(ValueError, match="positive"):
        range_to_masks(0, 0, 0)


def test_key_match_validates_itself() -> None:
    assert KeyMatch.masked(0x13, 0xF0, 8) == KeyMatch(0x10, 0xF0, 8)
    assert KeyMatch.exactly(0x1FF, 8) == KeyMatch(0xFF, 0xFF, 8, exact=True)
    with pytest.raises(ValueError, match="outside mask"):
        KeyMatch(0x13, 0xF0, 8)
    with pytest.raises(ValueError, match="does not fit"):
        KeyMatch(0, 0x100, 8)
    with pytest.raises(ValueError, match="full mask"):
        KeyMatch(0, 0xF0, 8, exact=True)
    assert signed_value(0xFD, 8) == -3 and signed_value(0x7F, 8) == 127


def test_cross_product_order_and_empty_components() -> None:
    a = [KeyMatch(1, 0xFF, 8), KeyMatch(2, 0xFE, 8)]
    b = [KeyMatch(7, 0xF, 4), KeyMatch(8, 0xF, 4)]
    assert cross_product([a, b]) == [(a[0], b[0]), (a[0], b[1]), (a[1], b[0]), (a[1], b[1])]
    assert cross_product([a, []]) == []


def test_transition_values() -> None:
    # byte-padded concatenation: a 12-bit and a 2-bit key give 3 bytes (bmv2 JSON_format.md)
    assert transition_value([KeyMatch.exactly(0xABA, 12), KeyMatch.exactly(3, 2)]) == (
        "0x0aba03",
        None,
    )
    assert transition_value([KeyMatch.exactly(0x20, 8), KeyMatch.anything(8)]) == (
        "0x2000",
        "0xff00",
    )
    # a case that matches everything is a default transition
    assert transition_value([KeyMatch.anything(8), KeyMatch(0, 0, 3)]) is None
    # a masked keyset keeps its mask even when it is full (p4c keeps the syntax's mask)
    assert transition_value([KeyMatch.masked(5, 0xFF, 8)]) == ("0x05", "0xff")


PROG = """#include <core.p4>
#include <v1model.p4>
header h_t {{ bit<8> a; bit<4> b; int<8> s; }}
struct H {{ h_t h; }}
struct M {{ }}
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {{
    state start {{
        pk.extract(h.h);
        transition select({keys}) {{
            {cases}
        }}
    }}
    state x {{ transition accept; }}
    state y {{ transition accept; }}
}}
control V(inout H h, inout M m) {{ apply {{ }} }}
control I(inout H h, inout M m, inout standard_metadata_t sm) {{ apply {{ }} }}
control E(inout H h, inout M m, inout standard_metadata_t sm) {{ apply {{ }} }}
control C(inout H h, inout M m) {{ apply {{ }} }}
control D(packet_out p, in H h) {{ apply {{ p.emit(h); }} }}
V1Switch(P(), V(), I(), E(), C(), D()) main;
"""


def _transitions(keys: str, cases: str) -> list[tuple[str, str | None, str | None, str | None]]:
    j = compile_source(PROG.format(keys=keys, cases=cases), filename="t.p4").bmv2_json
    start = j["parsers"][0]["parse_states"][0]
    return [(t["type"], t["value"], t["mask"], t["next_state"]) for t in start["transitions"]]


def test_lowered_single_key_ranges_keep_case_order() -> None:
    got = _transitions("h.h.a", "8w1 .. 8w3: x; 8w2 .. 8w2: y; 8w7 .. 8w6: y; default: y;")
    assert got == [
        ("hexstr", "0x01", None, "x"),
        ("hexstr", "0x02", "0xfe", "x"),
        ("hexstr", "0x02", None, "y"),
        ("default", None, None, "y"),
    ]


def test_lowered_tuple_with_range_is_a_cross_product() -> None:
    got = _transitions("h.h.a, h.h.b", "(8w4 .. 8w9, 4w1 .. 4w2): x; (_, _): y;")
    assert got == [
        ("hexstr", "0x0401", "0xfc0f", "x"),
        ("hexstr", "0x0402", "0xfc0f", "x"),
        ("hexstr", "0x0801", "0xfe0f", "x"),
        ("hexstr", "0x0802", "0xfe0f", "x"),
        ("default", None, None, "y"),
    ]


def test_lowered_signed_range() -> None:
    got = _transitions("h.h.s", "-2 .. 1: x;")
    assert got == [("hexstr", "0xfe", "0xfe", "x"), ("hexstr", "0x00", "0xfe", "x")]


def test_range_bounds_must_be_constants() -> None:
    with pytest.raises(CompileError, match="must be constants") as ei:
        _transitions("h.h.a", "8w1 .. h.h.a: x; default: y;")
    assert (ei.value.line, ei.value.col) == (10, 20)


def test_zero_width_select_key_is_an_error() -> None:
    src = PROG.replace("struct M {{ }}", "struct M {{ bit<0> z; }}")
    with pytest.raises(CompileError, match="at least one bit") as ei:
        compile_source(src.format(keys="m.z", cases="0: x; default: y;"), filename="t.p4")
    assert ei.value.line == 9
