"""Our p4include/v1model.p4 follows V1MODEL_VERSION as real p4c's does, with p4c's default
(20180101): register<T> / counter / meter with bit<32> indices and no PortId_t; 20200408
declares register<T, I>, counter<I>, meter<I> and PortId_t. Extern call arguments are
checked against those declarations as p4c's type checker checks them."""

from __future__ import annotations

from pathlib import Path

import pytest

from inalab.compiler import CompileError, compile_file, compile_source

PROGRAM = """#include <core.p4>
VERSION
#include <v1model.p4>
header h_t { bit<8> a; bit<16> b; }
struct H { h_t h; }
struct M { }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; }
}
control VC(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    DECLS
    apply {
        BODY
    }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply {} }
control CC(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""
NEW = "#define V1MODEL_VERSION 20200408"
REG = "register<bit<8>>(16) r;"
REG_I = "register<bit<8>, bit<16>>(16) r;"


def _compile(decls: str, body: str, version: str = "") -> dict:  # type: ignore[type-arg]
    text = PROGRAM.replace("VERSION", version).replace("DECLS", decls).replace("BODY", body)
    return compile_source(text, filename="v1.p4").bmv2_json


def _error(decls: str, body: str, version: str = "") -> str:
    with pytest.raises(CompileError) as e:
        _compile(decls, body, version)
    return str(e.value).splitlines()[0]


def test_default_is_p4cs_20180101_with_bit32_indices() -> None:
    assert _error(REG, "r.read(h.h.a, h.h.b);") == (
        "v1.p4:14:23: error: r.read: Type of argument 'h.h.b' (bit<16>) does not match "
        "type of parameter 'index' (bit<32>)"
    )
    assert _error(REG, "r.write(h.h.b, h.h.a);") == (
        "v1.p4:14:17: error: r.write: Type of argument 'h.h.b' (bit<16>) does not match "
        "type of parameter 'index' (bit<32>)"
    )
    counter = "counter(16, CounterType.packets) c;"
    assert _error(counter, "c.count(h.h.b);").startswith(
        "v1.p4:14:17: error: c.count: Type of argument 'h.h.b' (bit<16>) does not match"
    )
    meter = "meter(16, MeterType.packets) mt;"
    assert "parameter 'index' (bit<32>)" in _error(meter, "mt.execute_meter(h.h.b, h.h.a);")
    # a cast, a bit<32> value or an integer literal (an implicit cast, as p4c's issue1097)
    j = _compile(REG, "r.read(h.h.a, (bit<32>)h.h.b); r.write(0, h.h.a); r.read(h.h.a, 32w3);")
    ops = [p["op"] for a in j["actions"] for p in a["primitives"]]
    assert ops.count("register_read") == 2 and ops.count("register_write") == 1
    _compile(counter + meter, "c.count(3); mt.execute_meter(32w1, h.h.a);")


def test_result_and_value_types_must_match_the_register() -> None:
    """p4c: 'Type of argument ... does not match type of parameter 'result' (bit<32>)'."""
    assert _error(REG, "r.read(h.h.b, 0);") == (
        "v1.p4:14:16: error: r.read: Type of argument 'h.h.b' (bit<16>) does not match "
        "type of parameter 'result' (bit<8>)"
    )
    assert "parameter 'value' (bit<8>)" in _error(REG, "r.write(0, h.h.b);")
    _compile(REG, "r.write(0, 7);")  # a literal converts to T


def test_type_arguments_follow_the_version() -> None:
    assert _error(REG_I, "") == (
        "v1.p4:12:5: error: register: Type register has 1 type parameter(s), but it is "
        "specialized with 2"
    )
    assert _error(REG, "", NEW) == (
        "v1.p4:12:5: error: register: Type register has 2 type parameter(s), but it is "
        "specialized with 1"
    )
    assert "Type counter has 0 type parameter(s)" in _error(
        "counter<bit<16>>(16, CounterType.packets) c;", ""
    )
    # an undeclared type name is an identifier: a syntax error, as p4c's parser gives
    assert _error("", "PortId_t p = 1; s.egress_spec = p;") == (
        "v1.p4:14:18: error: syntax error, unexpected 'p'"
    )


def test_20200408_takes_the_programs_index_type() -> None:
    decls = (
        f"{REG_I} counter<bit<16>>(16, CounterType.packets) c; "
        "meter<bit<16>>(16, MeterType.packets) mt;"
    )
    body = (
        "PortId_t p = 2; s.egress_spec = p; r.read(h.h.a, h.h.b); r.write(h.h.b, h.h.a); "
        "c.count(h.h.b); mt.execute_meter(h.h.b, h.h.a);"
    )
    j = _compile(decls, body, NEW)
    prims = [p for a in j["actions"] for p in a["primitives"]]
    read = next(p for p in prims if p["op"] == "register_read")
    assert read["parameters"][2] == {"type": "field", "value": ["h", "b"]}
    # now a bit<32> index is the one that does not fit
    assert "parameter 'index' (bit<16>)" in _error(REG_I, "r.read(h.h.a, 32w1);", NEW)


def test_register_read_returns_no_value_in_v1model() -> None:
    """v1model declares only read(out T result, in index); p4c refuses x = r.read(i)."""
    assert _error(REG, "h.h.a = r.read(0);") == (
        "v1.p4:14:17: error: r.read: register.read returns no value; "
        "use read(out T result, in index)"
    )


def test_deprecated_externs_warn_as_p4c() -> None:
    text = (
        PROGRAM.replace("VERSION", "")
        .replace("DECLS", "")
        .replace(
            "BODY",
            "mark_to_drop(); clone3(CloneType.I2E, 5, h.h); resubmit(h.h); recirculate(h.h);",
        )
    )
    ws = compile_source(text, filename="v1.p4").warnings
    assert [(w.kind, w.loc.col, w.message) for w in ws] == [
        (
            "deprecated",
            9,
            "mark_to_drop: Using deprecated feature mark_to_drop. "
            "Please use mark_to_drop(standard_metadata) instead.",
        ),
        (
            "deprecated",
            25,
            "clone3: Using deprecated feature clone3. "
            "Please use 'clone_preserving_field_list' instead",
        ),
        (
            "deprecated",
            56,
            "resubmit: Using deprecated feature resubmit. "
            "Please use 'resubmit_preserving_field_list' instead",
        ),
        (
            "deprecated",
            71,
            "recirculate: Using deprecated feature recirculate. "
            "Please use 'recirculate_preserving_field_list' instead",
        ),
    ]


def test_corpus_is_written_for_the_default(repo_root: Path) -> None:
    """Every corpus program compiles to the same JSON and P4Info with V1MODEL_VERSION
    20180101 given explicitly: the default is p4c's."""
    for path in sorted((repo_root / "tests/p4").glob("*.p4")):
        a = compile_file(path)
        b = compile_file(path, defines={"V1MODEL_VERSION": "20180101"})
        assert a.json_text() == b.json_text(), path.name
        assert a.p4info_text() == b.p4info_text(), path.name
