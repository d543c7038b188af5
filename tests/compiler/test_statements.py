"""Statement lowering: functions with extern-typed parameters (SwitchML's
``check_first(register<bit<32>> bitmap, ...)``) are inlined with the parameter bound to
the caller's instance, as p4c's InlineFunctions does."""

from __future__ import annotations

from typing import Any

import pytest

from inalab.compiler import CompileError, compile_source

HEAD = """#include <core.p4>
#include <v1model.p4>
header h_t { bit<32> idx; bit<32> v; }
struct H { h_t h; }
struct M { }
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start { pk.extract(h.h); transition accept; }
}
control V(inout H h, inout M m) { apply { } }
control E(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }
control C(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
"""

SET_BIT = """
bit<32> set_bit(register<bit<32>> bitmap, in bit<32> idx) {
    bit<32> old;
    bitmap.read(old, idx);
    bitmap.write(idx, old | 1);
    return old;
}
"""


def _program(functions: str, ingress: str) -> str:
    return HEAD.replace("control V(", functions + ingress + "\ncontrol V(", 1)


def _ops(j: dict[str, Any], action: str) -> list[tuple[str, Any]]:
    (a,) = [a for a in j["actions"] if a["name"] == action]
    return [(p["op"], p["parameters"]) for p in a["primitives"]]


def _register_uses(j: dict[str, Any], action: str) -> list[tuple[str, str]]:
    out = []
    for op, params in _ops(j, action):
        for p in params:
            if isinstance(p, dict) and p.get("type") == "register_array":
                out.append((op, p["value"]))
    return out


def test_extern_parameter_binds_to_each_callers_instance() -> None:
    src = _program(
        SET_BIT,
        """
register<bit<32>>(8) top;
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    register<bit<32>>(8) a;
    register<bit<32>>(8) b;
    action use_a() { h.h.v = set_bit(a, h.h.idx); }
    action use_b_then_top() { h.h.v = set_bit(b, h.h.idx) + set_bit(top, 0); }
    apply { use_a(); use_b_then_top(); }
}""",
    )
    j = compile_source(src).bmv2_json
    assert _register_uses(j, "I.use_a") == [("register_read", "I.a"), ("register_write", "I.a")]
    assert _register_uses(j, "I.use_b_then_top") == [
        ("register_read", "I.b"),
        ("register_write", "I.b"),
        ("register_read", "top"),
        ("register_write", "top"),
    ]
    # the function is not an object: the registers are the three declared ones
    assert sorted(r["name"] for r in j["register_arrays"]) == ["I.a", "I.b", "top"]


def test_extern_parameter_passed_on_and_counter_parameter() -> None:
    src = _program(
        SET_BIT
        + """
bit<32> twice(register<bit<32>> r, counter c, in bit<32> i) {
    c.count(i);
    return set_bit(r, i) + set_bit(r, i + 1);
}
""",
        """
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    register<bit<32>>(8) a;
    counter(8, CounterType.packets) hits;
    apply { h.h.v = twice(a, hits, h.h.idx); }
}""",
    )
    j = compile_source(src).bmv2_json
    (synth,) = [a["name"] for a in j["actions"] if any(p["op"] == "count" for p in a["primitives"])]
    ops = _ops(j, synth)
    counts = [p for op, p in ops if op == "count"]
    assert counts and counts[0][0] == {"type": "counter_array", "value": "I.hits"}
    assert [r for _, r in _register_uses(j, synth)] == ["I.a"] * 4


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("hits", "set_bit: argument for parameter bitmap must be a register<bit<32>>, not counter"),
        ("small", "must be a register<bit<32>>, not register<bit<8>>"),
        ("h.h.idx", "must be a register<bit<32>>, not bit<32>"),
    ],
)
def test_wrong_extern_argument_is_refused_with_its_location(arg: str, message: str) -> None:
    src = _program(
        SET_BIT,
        f"""
control I(inout H h, inout M m, inout standard_metadata_t sm) {{
    counter(8, CounterType.packets) hits;
    register<bit<8>>(8) small;
    apply {{ h.h.v = set_bit({arg}, h.h.idx); }}
}}""",
    )
    with pytest.raises(CompileError) as ei:
        compile_source(src)
    assert message in ei.value.message
    assert (
        ei.value.line
        == src.splitlines().index(f"    apply {{ h.h.v = set_bit({arg}, h.h.idx); }}") + 1
    )
