"""Constructor arguments of parser/control instances (``LoweringState.bind_ctor_args``): what
is bound, how extern arguments are named, and the errors a user can cause."""

from __future__ import annotations

import pytest

from inalab.compiler import CompileError, compile_source
from inalab.compiler.errors import UnsupportedError

HEAD = "#include <core.p4>\n#include <v1model.p4>\n"


def _program(sub: str, locals_: str, apply: str, ingress_args: str = "") -> str:
    return (
        HEAD
        + f"""header h_t {{ bit<8> a; bit<8> b; }}
struct H {{ h_t h; }}
struct M {{ }}
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {{
    state start {{ pk.extract(h.h); transition accept; }}
}}
control V(inout H h, inout M m) {{ apply {{ }} }}
{sub}
control I(inout H h, inout M m, inout standard_metadata_t sm){"(bit<9> port)" if ingress_args else ""} {{
    {locals_}
    apply {{ {apply} }}
}}
control E(inout H h, inout M m, inout standard_metadata_t sm) {{ apply {{ }} }}
control C(inout H h, inout M m) {{ apply {{ }} }}
control D(packet_out p, in H h) {{ apply {{ p.emit(h); }} }}
V1Switch(P(), V(), I({ingress_args}), E(), C(), D()) main;
"""
    )


SUB = """control Add(inout bit<8> x)(bit<8> k, bit<8> j = 2) {
    apply { x = x + (k + j); }
}"""


def _assigned_constants(j: dict) -> list[str]:
    """The hexstr constants added to a field in the program's synthesized actions."""
    out = []
    for a in j["actions"]:
        for p in a["primitives"]:
            v = p["parameters"][1]
            while v.get("type") == "expression":
                v = v["value"]
                if "op" in v and v["op"] == "&":
                    v = v["left"]
                if "op" in v and v["op"] == "+":
                    out.append(v["right"]["value"])
                    break
    return out


def test_each_instance_gets_its_arguments_and_defaults() -> None:
    src = _program(SUB, "Add(8w5) a1; Add(8w7, 8w1) a2;", "a1.apply(h.h.a); a2.apply(h.h.b);")
    j = compile_source(src, filename="t.p4").bmv2_json
    # k + j folds to one constant per instance: 5 + 2 (default) and 7 + 1
    assert _assigned_constants(j) == ["0x07", "0x08"]


def test_top_level_constructor_argument() -> None:
    src = _program("", "", "sm.egress_spec = port;", ingress_args="9w4")
    j = compile_source(src, filename="t.p4").bmv2_json
    prims = [p for a in j["actions"] for p in a["primitives"]]
    assert prims[0]["parameters"] == [
        {"type": "field", "value": ["standard_metadata", "egress_spec"]},
        {"type": "hexstr", "value": "0x0004"},
    ]


def test_extern_constructor_argument_is_named_after_the_parameter() -> None:
    sub = """control Cnt(in bit<8> i)(counter c) {
    apply { c.count((bit<32>)i); }
}"""
    src = _program(
        sub,
        "Cnt(counter(32w8, CounterType.packets)) k1; Cnt(counter(32w4, CounterType.bytes)) k2;",
        "k1.apply(h.h.a); k2.apply(h.h.b);",
    )
    prog = compile_source(src, filename="t.p4")
    arrays = prog.bmv2_json["counter_arrays"]
    assert [(c["name"], c["size"]) for c in arrays] == [("I.k1.c", 8), ("I.k2.c", 4)]
    assert [c.preamble.name for c in prog.p4info.counters] == ["I.k1.c", "I.k2.c"]


@pytest.mark.parametrize(
    ("locals_", "message"),
    [
        ("Add(8w1, 8w2, 8w3) a1;", "Add takes 2 constructor argument(s), not 3"),
        ("Add() a1;", "Add: no value for constructor parameter k"),
        ("Add(true) a1;", "type mismatch: cannot use bool as bit<8>"),
        ("Add(8w300) a1;", ""),
    ],
)
def test_bad_constructor_arguments(locals_: str, message: str) -> None:
    src = _program(SUB, locals_, "a1.apply(h.h.a);")
    if not message:  # an out-of-range literal is truncated, as p4c does (with a warning)
        compile_source(src, filename="t.p4")
        return
    with pytest.raises(CompileError) as ei:
        compile_source(src, filename="t.p4")
    assert message in ei.value.message
    assert ei.value.line == 14


def test_non_constant_constructor_argument_is_unsupported() -> None:
    sub = """control Outer(inout bit<8> x)(bit<8> k) {
    bit<8> v;
    Add(v) inner;
    apply { inner.apply(x); }
}
""" + SUB.replace("control Add", "control Add0")
    src = _program(sub.replace("Add(v)", "Add0(v)"), "Outer(8w1) o;", "o.apply(h.h.a);")
    with pytest.raises(UnsupportedError, match="not a compile-time constant") as ei:
        compile_source(src, filename="t.p4")
    assert ei.value.line == 12


def test_extern_parameter_needs_a_counter() -> None:
    sub = """control Cnt(in bit<8> i)(counter c) {
    apply { c.count((bit<32>)i); }
}"""
    src = _program(sub, "Cnt(8w1) k1;", "k1.apply(h.h.a);")
    # neither a counter instantiation nor a counter instance (top level or local)
    with pytest.raises(CompileError, match="parameter c of Cnt needs a counter"):
        compile_source(src, filename="t.p4")
    src = _program(sub, "Cnt(meter(32w1, MeterType.packets)) k1;", "k1.apply(h.h.a);")
    with pytest.raises(CompileError, match="parameter c of Cnt needs a counter"):
        compile_source(src, filename="t.p4")
