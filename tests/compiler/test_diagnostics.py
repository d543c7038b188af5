"""The warning channel (inalab/compiler/diagnostics.py): p4c's format, the constructs p4c
warns on, --Wdisable / -w, and errors that name their file when there is nothing to point at."""

from __future__ import annotations

from pathlib import Path

import pytest

from inalab.compiler import CompileError, CompileWarning, compile_source
from inalab.compiler.cli import main
from inalab.compiler.diagnostics import collect, enabled, warn
from inalab.compiler.errors import SourceLoc

SELECTOR = """#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; bit<8> b; }
struct H { h_t h; }
struct M { }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition select(h.h.a) { RANGE: accept; default: accept; } }
}
control VC(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    action fwd(bit<9> port) { s.egress_spec = port; }
    action_selector(HashAlgorithm.crc16, 32w64, 32w14) sel;
    table ecmp {
        key = { h.h.a: exact; h.h.b: selector; }
        actions = { fwd; NoAction; }
        DEFAULT
        implementation = sel;
    }
    apply { ecmp.apply(); }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply {} }
control CC(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""


def _selector(default: str = "default_action = fwd(9w1);", rng: str = "8w1 .. 8w3") -> str:
    return SELECTOR.replace("DEFAULT", default).replace("RANGE", rng)


def test_warning_format_is_p4cs() -> None:
    w = CompileWarning("invalid", "something odd", SourceLoc("x.p4", 3, 5), "    a = b;")
    assert str(w) == "x.p4:3:5: [--Wwarn=invalid] warning: something odd\n    a = b;\n    ^"
    assert str(CompileWarning("missing", "no main", SourceLoc("x.p4", 0, 0))) == (
        "x.p4: [--Wwarn=missing] warning: no main"
    )
    with pytest.raises(ValueError, match="unknown warning kind"):
        CompileWarning("bogus", "m", SourceLoc("x.p4", 1, 1))


def test_collect_keeps_one_compiles_warnings_and_drops_repeats() -> None:
    loc = SourceLoc("x.p4", 1, 1)
    warn("invalid", "outside", loc)  # nothing collects: dropped
    with collect() as outer:
        warn("invalid", "a", loc)
        with collect() as inner:
            warn("unsupported", "b", loc)
        warn("invalid", "a", loc)
    assert [w.message for w in outer] == ["a"]
    assert [w.message for w in inner] == ["b"]
    ws = [CompileWarning("invalid", "a", loc), CompileWarning("unsupported", "b", loc)]
    assert enabled(ws, True) == []
    assert [w.kind for w in enabled(ws, {"invalid"})] == ["unsupported"]
    assert enabled(ws) == ws


def test_selector_table_default_action_ignored_with_warning() -> None:
    """p4c's bmv2 backend: a table with an action profile/selector gets no default_entry;
    its default_action is ignored with a warning (ControlConverter::convertTable)."""
    prog = compile_source(_selector(), filename="sel.p4")
    [t] = prog.bmv2_json["pipelines"][0]["tables"]
    assert t["type"] == "indirect_ws"
    assert "default_entry" not in t
    [w] = prog.warnings
    assert (w.kind, w.loc.line, w.loc.col) == ("unsupported", 13, 5)
    assert w.message == (
        "Target does not support default_action for I.ecmp (due to action profiles)"
    )
    assert str(w).startswith("sel.p4:13:5: [--Wwarn=unsupported] warning: Target does not")
    # without a default_action (p4c's frontend adds NoAction): the same
    prog = compile_source(_selector(default=""), filename="sel.p4")
    assert "default_entry" not in prog.bmv2_json["pipelines"][0]["tables"][0]
    assert len(prog.warnings) == 1
    # the P4Info keeps the table's actions as p4c's does
    assert {a.preamble.name for a in prog.p4info.actions} >= {"I.fwd", "NoAction"}


def test_empty_select_range_warns_and_matches_nothing() -> None:
    prog = compile_source(_selector(rng="8w9 .. 8w3"), filename="sel.p4")
    msgs = [(w.kind, w.loc.line, w.message) for w in prog.warnings]
    assert (
        "invalid",
        7,
        "8w9-8w3: Range with end less than start is treated as an empty range",
    ) in msgs
    [start] = prog.bmv2_json["parsers"][0]["parse_states"]
    assert [t["type"] for t in start["transitions"]] == ["default"]


def test_cli_prints_warnings_and_silences_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "sel.p4"
    src.write_text(_selector(rng="8w9 .. 8w3"))
    out = str(tmp_path / "sel.json")
    assert main(["-o", out, str(src)]) == 0
    err = capsys.readouterr().err
    assert f"{src}:13:5: [--Wwarn=unsupported] warning: Target does not support" in err
    assert f"{src}:7:" in err and "[--Wwarn=invalid] warning: 8w9-8w3: Range" in err
    assert main(["-o", out, "--Wdisable=invalid", str(src)]) == 0
    err = capsys.readouterr().err
    assert "--Wwarn=invalid" not in err and "--Wwarn=unsupported" in err
    assert main(["-o", out, "--Wdisable=invalid,unsupported", str(src)]) == 0
    assert capsys.readouterr().err == ""
    for quiet in (["--Wdisable"], ["-w"]):
        assert main(["-o", out, *quiet, str(src)]) == 0
        assert capsys.readouterr().err == ""
    assert main(["-o", out, "--Wdisable=bogus", str(src)]) == 1
    assert "unknown warning kind bogus" in capsys.readouterr().err


def test_no_main_names_the_file_and_what_is_expected(tmp_path: Path) -> None:
    text = _selector().replace("V1Switch(P(), VC(), I(), E(), CC(), D()) main;", "")
    with pytest.raises(CompileError) as e:
        compile_source(text, filename="nomain.p4")
    assert str(e.value) == (
        "nomain.p4: error: Could not locate top-level block; is there a main module? "
        "(expected a V1Switch instantiation: V1Switch(MyParser(), ..., MyDeparser()) main;)"
    )
    assert (e.value.file, e.value.line) == ("nomain.p4", 0)


UNUSED = """#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; }
struct H { h_t h; }
struct M { }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; }
}
control VC(inout H h, inout M m) { apply {} }
control Spare(inout H h) { apply {} }
control Sub(inout H h) { apply { h.h.a = 1; } }
register<bit<8>>(4) global_unused;
control I(inout H h, inout M m, inout standard_metadata_t s) {
    counter(4, CounterType.packets) used_counter;
    counter(4, CounterType.packets) idle_counter;
    direct_counter(CounterType.packets) dc;
    Sub() sub;
    Sub() spare_sub;
    action a() { used_counter.count(0); }
    table applied { key = { h.h.a: exact; } actions = { a; } counters = dc; }
    table forgotten { key = { h.h.a: exact; } actions = { a; } }
    apply { applied.apply(); sub.apply(h); }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply {} }
control CC(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""


def test_unused_declarations_warn_as_p4c() -> None:
    """p4c's RemoveUnusedDeclarations: unused control types, tables never applied and
    instances nothing refers to, each with p4c's wording; nothing used is reported."""
    prog = compile_source(UNUSED, filename="u.p4")
    got = sorted((w.kind, w.loc.line, w.message) for w in prog.warnings)
    assert got == [
        ("unused", 10, "Control Spare is not used; removing"),
        ("unused", 12, "global_unused: unused instance"),
        ("unused", 15, "idle_counter: unused instance"),
        ("unused", 18, "spare_sub: unused instance"),
        ("unused", 21, "Table forgotten is not used; removing"),
    ]
    tables = [t["name"] for p in prog.bmv2_json["pipelines"] for t in p["tables"]]
    assert "I.forgotten" not in tables
