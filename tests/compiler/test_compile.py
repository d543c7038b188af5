"""Compiler API: the JSON and P4Info produced for a corpus program, and error reporting."""

from __future__ import annotations

from pathlib import Path

import pytest

from inalab.compiler import CompileError, compile_file, compile_source
from inalab.compiler.p4info import name_hash

HEAD = "#include <core.p4>\n#include <v1model.p4>\n"


def test_basic_fwd_json_shapes(repo_root: Path) -> None:
    prog = compile_file(repo_root / "tests/p4/basic_fwd.p4")
    j = prog.bmv2_json
    assert j["__meta__"]["version"] == [2, 23]
    assert [h["name"] for h in j["headers"]][:4] == [
        "scalars",
        "standard_metadata",
        "ethernet",
        "ipv4",
    ]
    sm = next(t for t in j["header_types"] if t["name"] == "standard_metadata")
    assert sm["fields"][-1] == ["_padding", 3, False]
    ingress = j["pipelines"][0]
    lpm = next(t for t in ingress["tables"] if t["name"] == "MyIngress.ipv4_lpm")
    assert lpm["key"] == [
        {
            "match_type": "lpm",
            "name": "hdr.ipv4.dstAddr",
            "target": ["ipv4", "dstAddr"],
            "mask": None,
        }
    ]
    assert lpm["actions"] == ["MyIngress.ipv4_forward", "MyIngress.drop", "NoAction"]
    cond = ingress["conditionals"][0]
    assert cond["expression"]["value"]["op"] == "d2b"
    assert cond["true_next"] == "MyIngress.ipv4_lpm"
    ops = {p["op"] for a in j["actions"] for p in a["primitives"]}
    assert {"assign", "mark_to_drop", "count", "register_read", "register_write"} <= ops
    assert j["checksums"][0]["target"] == ["ipv4", "hdrChecksum"]
    assert j["calculations"][0]["algo"] == "csum16"


def test_basic_fwd_p4info_golden(repo_root: Path) -> None:
    info = compile_file(repo_root / "tests/p4/basic_fwd.p4").p4info
    assert info.pkg_info.arch == "v1model"
    t = info.tables[0]
    # ids of the p4lang tutorials' basic.p4, as real p4c assigns them
    assert (t.preamble.name, t.preamble.id, t.preamble.alias) == (
        "MyIngress.ipv4_lpm",
        37375156,
        "ipv4_lpm",
    )
    assert {a.preamble.name: a.preamble.id for a in info.actions} == {
        "MyIngress.ipv4_forward": 28792405,
        "MyIngress.drop": 25652968,
        "NoAction": 21257015,
    }
    assert t.match_fields[0].bitwidth == 32
    assert [p.bitwidth for p in info.actions[0].params] == [48, 9]
    assert info.counters[0].size == 64 and info.registers[0].size == 1024


def test_ids_match_real_p4c(conformance_dir: Path) -> None:
    checked = 0
    for f in sorted(conformance_dir.glob("*.p4info.txtpb")):
        from google.protobuf import text_format
        from p4.config.v1 import p4info_pb2

        info = text_format.Parse(f.read_text(), p4info_pb2.P4Info())
        for kind, objs in ((1, info.actions), (2, info.tables)):
            for o in objs:
                assert o.preamble.id == (kind << 24) | (name_hash(o.preamble.name) & 0xFFFFFF), (
                    f.name,
                    o.preamble.name,
                )
                checked += 1
    assert checked > 100


def test_macros_and_token_pasting() -> None:
    src = (
        HEAD
        + """
#define LANES 2
#define LANE(i) r_##i.read(v_##i, 0); r_##i.write(0, v_##i + 1);
header h_t { bit<8> a; }
struct H { h_t h; }
struct M { bit<32> v_0; bit<32> v_1; }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; }
}
control V(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    register<bit<32>>(16) r_0;
    register<bit<32>>(16) r_1;
    apply {
        bit<32> v_0; bit<32> v_1;
#if LANES == 2
        LANE(0)
        LANE(1)
#endif
    }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply {} }
control C(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
"""
    )
    j = compile_source(src).bmv2_json
    regs = [r["name"] for r in j["register_arrays"]]
    assert regs == ["I.r_0", "I.r_1"]
    ops = [p["op"] for a in j["actions"] for p in a["primitives"]]
    assert ops.count("register_read") == 2 and ops.count("register_write") == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("apply { s.egress_spec = 8w1; }", "width mismatch"),
        ("apply { s.egress_spec = nosuch; }", "nosuch: declaration not found"),
        ("apply { s.egress_spec = ; }", "syntax error"),
        ("apply { bit<8> x; x = x |+| 1; }", "saturating"),
    ],
)
def test_errors_have_location(body: str, message: str) -> None:
    src = (
        HEAD
        + """
struct H { }
struct M { }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { transition accept; } }
control V(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    BODY
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply {} }
control C(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
""".replace("BODY", body)
    )
    with pytest.raises(CompileError) as ei:
        compile_source(src, filename="prog.p4")
    err = ei.value
    assert message in err.message
    assert err.file == "prog.p4" and err.line == 10 and err.col > 0
    assert str(err).startswith(f"prog.p4:10:{err.col}: error: ")
