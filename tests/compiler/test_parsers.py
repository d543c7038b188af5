"""Sub-parser instances: several instances of one parser type, one instance applied from
several states, constructor parameters of sub-parsers."""

from __future__ import annotations

from pathlib import Path

from inalab.compiler import compile_file, compile_source


def test_sub_parser_instances_are_inlined_per_call(repo_root: Path) -> None:
    j = compile_file(repo_root / "tests/p4/control_instances.p4").bmv2_json
    states = {s["name"]: s for s in j["parsers"][0]["parse_states"]}
    # first is applied in two states, second in one: three inlined copies
    assert [n for n in states if n.endswith("_start_0") or n.endswith("_start_1")] == [
        "first_start_0",
        "first_start_1",
        "second_start_0",
    ]
    assert states["one"]["transitions"][0]["next_state"] == "first_start_0"
    assert states["first_start_0"]["transitions"][0]["next_state"] == "one_after_first_0"
    ops = states["second_start_0"]["parser_ops"]
    assert ops == [{"parameters": [{"type": "regular", "value": "o2"}], "op": "extract"}]


def test_sub_parser_constructor_parameters(repo_root: Path) -> None:
    j = compile_file(repo_root / "tests/p4/ctor_params.p4").bmv2_json
    states = {s["name"]: s for s in j["parsers"][0]["parse_states"]}
    trans = [(t["value"], t["mask"]) for t in states["classify_start_0"]["transitions"]]
    # marker 0x55, then the range lo .. hi = 0x10 .. 0x1f, then default
    assert trans == [("0x55", None), ("0x10", "0xf0"), (None, None)]


VSET_PROG = """#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; bit<8> b; }
struct H { h_t h1; h_t h2; }
struct M { }
parser Sub(packet_in pk, out h_t h) {
    value_set<bit<8>>(4) kinds;
    state start {
        pk.extract(h);
        transition select(h.a) { kinds: accept; default: reject; }
    }
}
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    Sub() sub;
    state start { sub.apply(pk, h.h1); transition next; }
    state next { sub.apply(pk, h.h2); transition accept; }
}
control V(inout H h, inout M m) { apply { } }
control I(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }
control E(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }
control C(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
"""


def test_value_set_of_an_instance_applied_twice_is_one_value_set() -> None:
    prog = compile_source(VSET_PROG, filename="t.p4")
    assert prog.bmv2_json["parse_vsets"] == [
        {"name": "P.sub.kinds", "id": 0, "compressed_bitwidth": 8}
    ]
    assert [v.preamble.name for v in prog.p4info.value_sets] == ["P.sub.kinds"]
    states = prog.bmv2_json["parsers"][0]["parse_states"]
    vset_uses = [t["value"] for s in states for t in s["transitions"] if t["type"] == "parse_vset"]
    assert vset_uses == ["P.sub.kinds", "P.sub.kinds"]
