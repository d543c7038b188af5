"""Sub-control instances in the control flow: one control type applied through several
instances is inlined once per instance, with objects named by the instance path (p4c's
control-plane names, e.g. ``MyIngress.c1.t``); one instance applied several times is
inlined once per call."""

from __future__ import annotations

from pathlib import Path

import pytest

from inalab.compiler import CompileError, compile_file, compile_source


def test_instances_of_one_control_type_have_their_own_objects(repo_root: Path) -> None:
    prog = compile_file(repo_root / "tests/p4/control_instances.p4")
    info = prog.p4info
    paths = ["I.s1", "I.s2", "I.pair.left", "I.pair.right"]
    assert sorted(t.preamble.name for t in info.tables) == sorted(f"{p}.t" for p in paths)
    # aliases: the shortest unique suffix, as p4c
    assert {t.preamble.alias for t in info.tables} == {"s1.t", "s2.t", "left.t", "right.t"}
    assert {a.preamble.name for a in info.actions} == {
        f"{p}.{a}" for p in paths for a in ("set", "bump", "mark")
    }
    assert [c.preamble.name for c in info.counters] == [f"{p}.hits" for p in paths]
    j = prog.bmv2_json
    tables = {t["name"]: t for t in j["pipelines"][0]["tables"]}
    for p in paths:
        assert tables[f"{p}.t"]["actions"] == [f"{p}.set", f"{p}.bump"]
    # each instance's direct call of mark() gets its own keyless table
    assert [n for n in tables if n.startswith("tbl_mark")] == [
        "tbl_mark",
        "tbl_mark_0",
        "tbl_mark_1",
        "tbl_mark_2",
    ]
    # and each instance its own local variable
    assert [f[0] for f in j["header_types"][0]["fields"]] == [
        "seen_0",
        "seen_1",
        "seen_2",
        "seen_3",
    ]
    # the instances run in order: s1's table leads (through its keyless tables) to s2's
    order = [t["name"] for t in j["pipelines"][0]["tables"]]
    assert order.index("I.s1.t") < order.index("I.s2.t") < order.index("I.pair.left.t")


def test_the_ids_follow_the_instance_names(repo_root: Path) -> None:
    from inalab.compiler.p4info import name_hash

    info = compile_file(repo_root / "tests/p4/control_instances.p4").p4info
    for t in info.tables:
        assert t.preamble.id == (2 << 24) | (name_hash(t.preamble.name) & 0xFFFFFF)


PROG = """#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; }
struct H { h_t h; }
struct M { }
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start { pk.extract(h.h); transition accept; }
}
control V(inout H h, inout M m) { apply { } }
control Sub(inout bit<8> x) {
    table t { actions = { NoAction; } }
    apply { t.apply(); }
}
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    Sub() c1;
    apply { c1.apply(h.h.a); c1.apply(h.h.a); }
}
control E(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }
control C(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
"""


def test_a_table_in_an_instance_applied_twice_is_an_error() -> None:
    with pytest.raises(CompileError, match=r"table I\.c1\.t is applied more than once") as ei:
        compile_source(PROG, filename="t.p4")
    assert ei.value.line == 11


def test_one_instance_applied_three_times(repo_root: Path) -> None:
    prog = compile_file(repo_root / "tests/p4/control_reapply.p4")
    j = prog.bmv2_json
    # one bmv2 action per call (same name, as p4c), each run by its call's keyless table
    adds = [a["id"] for a in j["actions"] if a["name"] == "I.tally.add"]
    assert len(adds) == 3
    tables = j["pipelines"][0]["tables"]
    assert [t["action_ids"] for t in tables if t["name"].startswith("tbl_add")] == [
        [i] for i in adds
    ]
    # the calls bind different arguments: a, b, c
    targets = [
        next(a for a in j["actions"] if a["id"] == i)["primitives"][0]["parameters"][0]["value"]
        for i in adds
    ]
    assert targets == [["h", "a"], ["h", "b"], ["h", "c"]]
    # externs belong to the instance: one counter each, also through a nested instance
    assert [c["name"] for c in j["counter_arrays"]] == ["I.tally.uses", "I.tally.parity.c"]
    counts = [p for a in j["actions"] for p in a["primitives"] if p["op"] == "count"]
    assert [p["parameters"][0]["value"] for p in counts] == [
        "I.tally.uses",
        "I.tally.parity.c",
    ] * 3
    # locals are per call
    assert [f[0] for f in j["header_types"][0]["fields"]] == ["old_0", "old_1", "old_2"]
    # P4Info: one action, the counters once
    assert [a.preamble.name for a in prog.p4info.actions] == ["I.tally.add"]
    assert [c.preamble.name for c in prog.p4info.counters] == [
        "I.tally.uses",
        "I.tally.parity.c",
    ]
