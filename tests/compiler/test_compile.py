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
    fwd = next(a for a in info.actions if a.preamble.name == "MyIngress.ipv4_forward")
    assert [p.bitwidth for p in fwd.params] == [48, 9]
    # declaration order, as p4c: NoAction (core.p4), drop, ipv4_forward
    assert [a.preamble.alias for a in info.actions] == ["NoAction", "drop", "ipv4_forward"]
    assert list(info.actions[0].preamble.annotations) == ['@noWarn("unused")']
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
        ("apply { bool x; x = x |+| true; }", "needs bit<W>/int<W> operands"),
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


PROGRAMS = Path(__file__).resolve().parent / "programs"
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.mark.parametrize(
    "path", [PROGRAMS / "features.p4", Path(__file__).resolve().parent.parent / "p4/basic_fwd.p4"]
)
def test_p4info_golden_files(path: Path) -> None:
    """Names, ids and every P4Info field stay stable (review a diff before regenerating)."""
    got = compile_file(path).p4info_text().decode()
    want = (GOLDEN / f"{path.stem}.p4info.txtpb").read_text()
    assert got == want


def test_control_plane_features() -> None:
    prog = compile_file(PROGRAMS / "features.p4")
    j, info = prog.bmv2_json, prog.p4info
    ingress = j["pipelines"][0]
    tables = {t["name"]: t for t in ingress["tables"]}
    ecmp = tables["FIngress.ecmp"]
    assert ecmp["type"] == "indirect_ws" and ecmp["action_profile"] == "FIngress.ecmp_selector"
    assert [k["target"] for k in ecmp["key"]] == [["ipv4", "dst"]]
    profile = next(p for p in ingress["action_profiles"] if p["name"] == "FIngress.ecmp_selector")
    assert profile["selector"] == {
        "algo": "crc16",
        "input": [
            {"type": "field", "value": ["ipv4", "src"]},
            {"type": "field", "value": ["ipv4", "protocol"]},
        ],
    }
    route = tables["FIngress.ipv4_route"]
    assert route["with_counters"] and route["direct_meters"] == "FIngress.route_meter"
    assert route["next_tables"]["__MISS__"] == "FIngress.ecmp"
    assert j["counter_arrays"] == [
        {
            "name": "FIngress.route_counter",
            "id": 0,
            "is_direct": True,
            "binding": "FIngress.ipv4_route",
        }
    ]
    direct_meter = next(m for m in j["meter_arrays"] if m["is_direct"])
    assert direct_meter["result_target"] == ["scalars", "meta_t.color"]
    assert j["learn_lists"][0]["name"] == "learn_t"
    assert j["parse_vsets"] == [
        {"name": "FParser.special_types", "id": 0, "compressed_bitwidth": 16}
    ]
    # P4Info
    assert {c.preamble.name for c in info.controller_packet_metadata} == {"packet_in", "packet_out"}
    set_nhop = next(a for a in info.actions if a.preamble.name == "FIngress.set_nhop")
    assert set_nhop.preamble.id == 0x01000123  # @id honoured
    ap = next(a for a in info.action_profiles if a.preamble.name == "FIngress.ecmp_selector")
    assert ap.with_selector and ap.size == 1024
    inline = next(a for a in info.action_profiles if a.preamble.name == "wcmp_selector")
    assert inline.with_selector and inline.size == 64  # inline, named by @name
    assert info.digests[0].type_spec.struct.name == "learn_t"
    assert "learn_t" in info.type_info.structs
    assert info.value_sets[0].size == 4
    t = next(t for t in info.tables if t.preamble.name == "FIngress.ipv4_route")
    assert len(t.direct_resource_ids) == 2 and t.size == 512


def test_error_inside_include_points_at_the_included_file(tmp_path: Path) -> None:
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "defs.p4").write_text("// defs\nheader h_t {\n    bit<8> a\n}\n")
    main = tmp_path / "main.p4"
    main.write_text(HEAD + '#include "defs.p4"\n')
    with pytest.raises(CompileError) as ei:
        compile_file(main, include_dirs=[tmp_path / "inc"])
    assert ei.value.file.endswith("defs.p4") and ei.value.line == 4
    assert "syntax error" in ei.value.message


def test_missing_include_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(CompileError, match=r"cannot find include file nothere\.p4"):
        compile_source('#include "nothere.p4"\n', filename="x.p4")
    with pytest.raises(CompileError, match="cannot read"):
        compile_file(tmp_path / "missing.p4")


@pytest.mark.parametrize(
    ("decl", "apply", "message"),
    [
        ("", "apply { s.egress_spec = (bit<9>)true; }", "cannot cast bool to bit<9>"),
        (
            "table t { actions = { NoAction; } } table t2 { actions = { NoAction; } }",
            "apply { t.apply(); t.apply(); }",
            "applied more than once",
        ),
        ("", "apply { if (s.egress_spec) { } }", "bool"),
        ("", "apply { s.egress_spec = s.ingress_port + 16w1; }", "width mismatch"),
        ("nosuch_t x;", "apply { }", "nosuch_t: unknown type"),
        (
            "table t { key = { s.ingress_port: fuzzy; } actions = { NoAction; } }",
            "apply { t.apply(); }",
            "fuzzy: unknown match kind",
        ),
        (
            "bit<9> f(in bit<9> x) { return f(x); }",
            "apply { s.egress_spec = f(s.ingress_port); }",
            "recursive function f",
        ),
    ],
)
def test_type_and_unsupported_errors(decl: str, apply: str, message: str) -> None:
    src = (
        HEAD
        + f"""
struct H {{ }}
struct M {{ }}
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {{
    state start {{ transition accept; }} }}
control V(inout H h, inout M m) {{ apply {{}} }}
control I(inout H h, inout M m, inout standard_metadata_t s) {{
    {decl}
    {apply}
}}
control E(inout H h, inout M m, inout standard_metadata_t s) {{ apply {{}} }}
control C(inout H h, inout M m) {{ apply {{}} }}
control D(packet_out p, in H h) {{ apply {{ }} }}
V1Switch(P(), V(), I(), E(), C(), D()) main;
"""
    )
    with pytest.raises(CompileError) as ei:
        compile_source(src, filename="t.p4")
    assert message in ei.value.message
    assert ei.value.line in (10, 11)


def test_mutated_programs_fail_only_with_compile_errors(repo_root: Path) -> None:
    """Deterministic token mutations of the corpus: any failure is a CompileError."""
    import random
    import re

    rng = random.Random(2026)
    programs = sorted((repo_root / "tests/p4").glob("*.p4"))
    replacements = ["0", "x", ";", "{", "}", "(", ")", "bit<8>", "true", ".", "8w300", "<", ">"]
    for _ in range(60):
        path = rng.choice(programs)
        toks = re.findall(r"\w+|[^\w\s]|\s+", path.read_text())
        i = rng.randrange(len(toks))
        if rng.random() < 0.5:
            del toks[i]
        else:
            toks[i] = rng.choice(replacements)
        try:
            compile_source("".join(toks), filename=path.name)
        except CompileError as e:
            assert e.line >= 0 and e.message
