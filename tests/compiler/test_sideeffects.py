"""Calls in expression positions, in p4c's order (SideEffectOrdering): an apply block's if
condition or switch value that calls a function is computed first by a synthesized
action; ``&&``/``||``/``?:`` keep their short circuit with bmv2 jumps inside actions;
parser states take calls left to right and refuse what would need a jump."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inalab.compiler import CompileError, compile_source
from inalab.compiler import ast as A
from inalab.compiler.sideeffects import has_side_calls
from inalab.stf.runner import run_stf

HEAD = """#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; bit<8> b; bit<8> r; }
struct H { h_t h; }
struct M { }
bit<8> bump(inout bit<8> x) { x = x + 1; return x; }
bool odd(in bit<8> x) { return x[0:0] == 1; }
control V(inout H h, inout M m) { apply { } }
control E(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }
control C(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h); } }
"""

PARSER = """
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start { pk.extract(h.h); transition accept; }
}
"""

TAIL = "V1Switch(P(), V(), I(), E(), C(), D()) main;\n"


def _compile(ingress: str, parser: str = PARSER) -> dict[str, Any]:
    return compile_source(HEAD + parser + ingress + TAIL).bmv2_json


def _ops(j: dict[str, Any], name: str) -> list[str]:
    (a,) = [a for a in j["actions"] if a["name"] == name]
    return [p["op"] for p in a["primitives"]]


def test_has_side_calls() -> None:
    f = A.Call(A.NameExpr("f"), ())
    valid = A.Call(A.Member(A.Member(A.NameExpr("h"), "h"), "isValid"), ())
    assert has_side_calls(A.Binary("&&", A.BoolLit(True), A.Unary("!", f)))
    assert not has_side_calls(A.Binary("&&", valid, A.BoolLit(True)))
    assert has_side_calls(A.Ternary(valid, A.IntLit(1), A.Binary("+", f, A.IntLit(1))))


def test_if_condition_with_a_call_is_computed_by_a_keyless_table_first() -> None:
    j = _compile("""
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    apply { if (bump(h.h.a) == 2) { h.h.r = 1; } }
}
""")
    pl = j["pipelines"][0]
    first = next(t for t in pl["tables"] if t["name"] == pl["init_table"])
    (cond,) = pl["conditionals"]
    assert first["key"] == [] and first["base_default_next"] == cond["name"]
    (action,) = first["actions"]
    assert _ops(j, action) == ["assign", "assign", "assign"]  # a = a + 1, retval, tmp
    tmp = j["actions"][first["action_ids"][0]]["primitives"][-1]["parameters"][0]
    assert cond["expression"]["value"]["op"] == "d2b"
    assert cond["expression"]["value"]["right"] == tmp


def test_and_in_an_action_jumps_over_the_right_operand() -> None:
    j = _compile("""
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    action go() { h.h.r = (h.h.b == 1 && odd(bump(h.h.a))) ? 8w1 : 8w2; }
    apply { go(); }
}
""")
    (a,) = [a for a in j["actions"] if a["name"] == "I.go"]
    prims = a["primitives"]
    ops = [p["op"] for p in prims]
    jz = ops.index("_jump_if_zero")
    assert ops[:jz] == ["assign"]  # tmp = h.b == 1, nothing of bump before the test
    target = int(prims[jz]["parameters"][1]["value"], 16)
    skipped = prims[jz + 1 : target]
    assert any(p["parameters"][0] == {"type": "field", "value": ["h", "a"]} for p in skipped)
    assert ops[-1] == "assign" and target == len(prims) - 1


def test_or_jumps_when_the_left_operand_is_true() -> None:
    j = _compile("""
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    action go() { if (h.h.b == 1 || odd(bump(h.h.a))) { h.h.r = 1; } }
    apply { go(); }
}
""")
    (a,) = [a for a in j["actions"] if a["name"] == "I.go"]
    test = a["primitives"][1]
    assert test["op"] == "_jump_if_zero"
    assert '"op": "not"' in json.dumps(test["parameters"][0])  # jump when tmp is true


def test_switch_on_a_function_result() -> None:
    j = _compile("""
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    apply { switch (bump(h.h.a)) { 1: { h.h.r = 1; } default: { } } }
}
""")
    pl = j["pipelines"][0]
    first = next(t for t in pl["tables"] if t["name"] == pl["init_table"])
    ops = _ops(j, first["actions"][0])
    assert ops == ["assign", "assign", "assign"]  # a = a + 1, retval, switch_0_key
    assert any(t["name"] == "switch_0_table" for t in pl["tables"])


def test_parser_condition_calls_become_parser_ops() -> None:
    j = _compile(
        "control I(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }\n",
        parser="""
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start {
        pk.extract(h.h);
        if (bump(h.h.a) == 3) { h.h.r = 1; }
        transition accept;
    }
}
""",
    )
    start = j["parsers"][0]["parse_states"][0]
    assert [op["op"] for op in start["parser_ops"]] == ["extract", "set", "set", "set"]


@pytest.mark.parametrize(
    ("stmt", "message"),
    [
        ("if (h.h.b == 0 && odd(h.h.a)) { h.h.r = 1; }", "right operand of &&"),
        ("h.h.r = h.h.b == 0 ? bump(h.h.a) : 8w0;", "in a branch of ?: in a parser"),
        ("h.h.r = odd2(h.h.a);", "if statement inside a function called in a parser"),
    ],
)
def test_parser_refuses_what_needs_a_jump(stmt: str, message: str) -> None:
    parser = f"""
bit<8> odd2(in bit<8> x) {{ if (x[0:0] == 1) {{ return 1; }} return 0; }}
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {{
    state start {{
        pk.extract(h.h);
        {stmt}
        transition accept;
    }}
}}
"""
    with pytest.raises(CompileError) as ei:
        _compile(
            "control I(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }\n",
            parser=parser,
        )
    assert message in ei.value.message
    assert ei.value.line > 0


def test_select_key_and_verify_calls_become_parser_ops() -> None:
    j = _compile(
        "control I(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }\n",
        parser="""
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start {
        pk.extract(h.h);
        verify(odd(h.h.a), error.NoMatch);
        transition select(bump(h.h.b)) { 1: accept; default: reject; }
    }
}
""",
    )
    start = j["parsers"][0]["parse_states"][0]
    ops = [op["op"] for op in start["parser_ops"]]
    assert ops == ["extract", "set", "set", "verify", "set", "set"]
    # h.b = h.b + 1, then the key is the function's result, read after it
    assert start["parser_ops"][4]["parameters"][0] == {"type": "field", "value": ["h", "b"]}
    (key,) = start["transition_key"]
    assert key["value"] == start["parser_ops"][5]["parameters"][0]["value"]


def test_mux_branch_typed_by_the_other_branchs_function(tmp_path: Path) -> None:
    j = _compile("""
bit<8> low2(in bit<8> x) { return x & 3; }
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    apply {
        if ((h.h.a == 1 ? 1 : low2(h.h.a)) == 2) { h.h.r = 0x80; }
        sm.egress_spec = 1;
    }
}
""")
    stf = tmp_path / "mux.stf"
    stf.write_text(
        "packet 0 01 00 00\nexpect 1 01 00 00\n"
        "packet 0 02 00 00\nexpect 1 02 00 80\n"
        "packet 0 06 00 00\nexpect 1 06 00 80\n"
        "packet 0 05 00 00\nexpect 1 05 00 00\n"
    )
    result = run_stf(j, stf)
    assert result.passed, "\n".join(result.errors)
