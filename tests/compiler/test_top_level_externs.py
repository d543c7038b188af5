"""Extern instances declared at the top level of a program: p4c names them by their own
name (``@name`` too), without a control prefix, in the bmv2 JSON and the P4Info (its
samples issue696-bmv2 and issue1097-bmv2: registers ``debug``, ``reg``, ``r``); the bmv2
backend converts them after the controls' instances (``ConvertGlobals`` runs last), the
P4Info lists them before them (they are the top-level block's own children)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inalab.compiler import CompileError, compile_file, compile_source
from inalab.compiler.p4info import name_hash

HEAD = """#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; bit<32> v; }
struct H { h_t h; }
struct M { }
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start { pk.extract(h.h); transition accept; }
}
control V(inout H h, inout M m) { apply { } }
control C(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h); } }
"""

SHARED = (
    HEAD
    + """
register<bit<32>>(32w100) debug;
counter(8, CounterType.packets) hits;
meter(4, MeterType.bytes) rate;
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    register<bit<8>>(4) own;
    counter(2, CounterType.bytes) own_hits;
    apply {
        debug.read(h.h.v, 0);
        hits.count(0);
        own.write(0, h.h.a);
        own_hits.count(1);
        rate.execute_meter(0, h.h.a);
    }
}
control E(inout H h, inout M m, inout standard_metadata_t sm) {
    apply { debug.write(1, h.h.v); hits.count(1); }
}
V1Switch(P(), V(), I(), E(), C(), D()) main;
"""
)


def _names(objs: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(o["name"], o["id"]) for o in objs]


def test_json_names_have_no_prefix_and_come_after_the_controls_instances() -> None:
    j = compile_source(SHARED).bmv2_json
    assert _names(j["register_arrays"]) == [("I.own", 0), ("debug", 1)]
    assert _names(j["counter_arrays"]) == [("I.own_hits", 0), ("hits", 1)]
    assert _names(j["meter_arrays"]) == [("rate", 0)]
    assert j["register_arrays"][1]["size"] == 100 and j["register_arrays"][1]["bitwidth"] == 32
    # ingress and egress use the one object
    used = [
        p["parameters"][i]["value"]
        for a in j["actions"]
        for p in a["primitives"]
        for i in range(len(p["parameters"]))
        if p["parameters"][i]["type"] in ("register_array", "counter_array")
    ]
    assert used.count("debug") == 2 and used.count("hits") == 2


def test_p4info_names_ids_and_order_are_p4cs() -> None:
    info = compile_source(SHARED).p4info
    assert [(r.preamble.name, r.preamble.alias) for r in info.registers] == [
        ("debug", "debug"),
        ("I.own", "own"),
    ]
    assert [c.preamble.name for c in info.counters] == ["hits", "I.own_hits"]
    assert [m.preamble.name for m in info.meters] == ["rate"]
    # the id real p4c gives issue696-bmv2's top-level register "debug"
    assert info.registers[0].preamble.id == 383637836
    assert info.counters[0].preamble.id == (0x12 << 24) | (name_hash("hits") & 0xFFFFFF)
    assert info.registers[0].size == 100


def test_name_annotation_and_unused_instance() -> None:
    src = HEAD + (
        '@name(".renamed") register<bit<8>>(2) r;\n'
        "register<bit<8>>(3) spare;\n"
        "control I(inout H h, inout M m, inout standard_metadata_t sm) {\n"
        "    apply { r.write(0, h.h.a); }\n"
        "}\n"
        "control E(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }\n"
        "V1Switch(P(), V(), I(), E(), C(), D()) main;\n"
    )
    prog = compile_source(src)
    # p4c keeps an unused extern instance (it may matter to the control plane) and warns
    assert [r["name"] for r in prog.bmv2_json["register_arrays"]] == ["renamed", "spare"]
    assert [r.preamble.name for r in prog.p4info.registers] == ["renamed", "spare"]
    assert [w.message for w in prog.warnings] == ["spare: unused instance"]


def test_instance_passed_to_constructors_keeps_its_name() -> None:
    src = HEAD + (
        "register<bit<32>>(16) shared;\n"
        "control Keep(inout h_t x)(register<bit<32>> store) {\n"
        "    apply { store.write(0, x.v); }\n"
        "}\n"
        "control I(inout H h, inout M m, inout standard_metadata_t sm)"
        "(register<bit<32>> r) {\n"
        "    Keep(r) keep;\n"
        "    apply { keep.apply(h.h); }\n"
        "}\n"
        "control E(inout H h, inout M m, inout standard_metadata_t sm) {\n"
        "    register<bit<32>>(4) mine;\n"
        "    Keep(mine) keep;\n"
        "    apply { keep.apply(h.h); shared.read(h.h.v, 1); }\n"
        "}\n"
        "V1Switch(P(), V(), I(shared), E(), C(), D()) main;\n"
    )
    prog = compile_source(src)
    assert [r["name"] for r in prog.bmv2_json["register_arrays"]] == ["E.mine", "shared"]
    writes = [
        p["parameters"][0]["value"]
        for a in prog.bmv2_json["actions"]
        for p in a["primitives"]
        if p["op"] == "register_write"
    ]
    assert writes == ["shared", "E.mine"]
    assert prog.warnings == ()


@pytest.mark.parametrize(
    ("decl", "ctor", "message"),
    [
        ("counter(4, CounterType.packets) c;", "I(c)", "constructor parameter r of I needs a"),
        ("register<bit<8>>(4) c;", "I(c)", "constructor parameter r of I needs a"),
        ("register<bit<32>>(4) c;", "I(nothing)", "nothing: declaration not found"),
    ],
)
def test_wrong_constructor_arguments(decl: str, ctor: str, message: str) -> None:
    src = HEAD + (
        f"{decl}\n"
        "control I(inout H h, inout M m, inout standard_metadata_t sm)"
        "(register<bit<32>> r) {\n"
        "    apply { r.write(0, h.h.v); }\n"
        "}\n"
        "control E(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }\n"
        f"V1Switch(P(), V(), {ctor}, E(), C(), D()) main;\n"
    )
    with pytest.raises(CompileError, match=message) as e:
        compile_source(src)
    assert e.value.loc is not None and (e.value.loc.line, e.value.loc.col) == (17, 22)


def test_unsupported_top_level_extern_is_named() -> None:
    src = HEAD + (
        "Checksum16() ck;\n"
        "control I(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }\n"
        "control E(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }\n"
        "V1Switch(P(), V(), I(), E(), C(), D()) main;\n"
    )
    with pytest.raises(CompileError, match="top-level instantiation of Checksum16"):
        compile_source(src)


def test_corpus_program_names(repo_root: Path) -> None:
    prog = compile_file(repo_root / "tests/p4/top_level_externs.p4")
    j = prog.bmv2_json
    assert _names(j["register_arrays"]) == [("last_payload", 0), ("hop_marks", 1)]
    assert _names(j["counter_arrays"]) == [("visits", 0)]
    info = prog.p4info
    assert [r.preamble.name for r in info.registers] == ["last_payload", "hop_marks"]
    assert [c.preamble.name for c in info.counters] == ["visits"]
    assert prog.warnings == ()


def test_one_instance_given_to_ingress_and_egress_and_to_an_apply_parameter() -> None:
    src = HEAD + (
        "register<bit<32>>(4) acc;\n"
        "control Add(register<bit<32>> reg, in bit<32> i, in bit<32> x) {\n"
        "    apply { bit<32> cur; reg.read(cur, i); reg.write(i, cur + x); }\n"
        "}\n"
        "control I(inout H h, inout M m, inout standard_metadata_t sm)"
        "(register<bit<32>> r) {\n"
        "    Add() add;\n"
        "    apply { add.apply(r, 0, h.h.v); sm.egress_spec = 1; }\n"
        "}\n"
        "control E(inout H h, inout M m, inout standard_metadata_t sm)"
        "(register<bit<32>> r) {\n"
        "    apply { r.write(1, h.h.v); }\n"
        "}\n"
        "V1Switch(P(), V(), I(acc), E(acc), C(), D()) main;\n"
    )
    prog = compile_source(src)
    assert _names(prog.bmv2_json["register_arrays"]) == [("acc", 0)]
    ops = [
        (p["op"], p["parameters"][1 if p["op"] == "register_read" else 0]["value"])
        for a in prog.bmv2_json["actions"]
        for p in a["primitives"]
        if p["op"].startswith("register_")
    ]
    assert ops == [("register_read", "acc"), ("register_write", "acc"), ("register_write", "acc")]
    assert [r.preamble.name for r in prog.p4info.registers] == ["acc"]


def test_typedef_of_an_extern_type_and_non_extern_instances() -> None:
    body = (
        "control I(inout H h, inout M m, inout standard_metadata_t sm) {\n"
        "    apply { seen.write(1, h.h.v); }\n"
        "}\n"
        "control E(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }\n"
    )
    main = "V1Switch(P(), V(), I(), E(), C(), D()) main;\n"
    src = HEAD + "typedef register<bit<32>> reg_t;\nreg_t(4) seen;\n" + body + main
    assert _names(compile_source(src).bmv2_json["register_arrays"]) == [("seen", 0)]
    src = HEAD + "typedef bit<8> reg_t;\nreg_t(4) seen;\n" + body + main
    with pytest.raises(CompileError, match="seen: cannot instantiate bit<8>") as e:
        compile_source(src)
    assert e.value.loc is not None and e.value.loc.line == 13
    # a control instance at the top level is not an extern: main may name it (as p4c
    # accepts; tests/compiler/test_typesys.py), and it is no extern object
    src = HEAD + "register<bit<32>>(4) seen;\n" + body + "I() ig;\n" + main.replace("I()", "ig")
    assert _names(compile_source(src).bmv2_json["register_arrays"]) == [("seen", 0)]
    # an extern instance is not a block
    src = HEAD + "register<bit<32>>(4) seen;\n" + body + main.replace("I()", "seen")
    with pytest.raises(CompileError, match="V1Switch argument that is not a parser/control"):
        compile_source(src)
