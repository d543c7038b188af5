"""inalab-stf: single pair, --dir summary, exit codes, user errors without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inalab.stf.cli import main

from .programs import forward_json


def setup_dir(tmp: Path) -> Path:
    (tmp / "good.json").write_text(json.dumps(forward_json()))
    (tmp / "good.stf").write_text(
        "add fwd a:1 set_port(port:2)\npacket 0 01000000\nexpect 2 01000000\n"
    )
    (tmp / "bad.json").write_text(json.dumps(forward_json()))
    (tmp / "bad.stf").write_text("packet 0 01000000\nexpect 2 01000000\n")
    (tmp / "broken.json").write_text("{")
    (tmp / "broken.stf").write_text("packet 0 00\n")
    return tmp


def test_dir_prints_per_test_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--dir", str(setup_dir(tmp_path))]) == 1
    out = capsys.readouterr().out
    assert "PASS good" in out and "FAIL bad" in out and "FAIL broken" in out
    assert "not valid JSON" in out
    assert out.strip().endswith("1 passed, 2 failed")


def test_single_pair_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = setup_dir(tmp_path)
    assert main([str(d / "good.json"), str(d / "good.stf")]) == 0
    assert main([str(d / "bad.json"), str(d / "bad.stf")]) == 1
    assert "port 2: expected 1 packet(s), got 0" in capsys.readouterr().out


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main([str(tmp_path / "x.json"), str(tmp_path / "x.stf")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["--dir", str(tmp_path / "nope")]) == 2


P4_PROGRAM = r"""
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; bit<8> b; }
struct headers { h_t h; }
struct metadata { }
parser P(packet_in pkt, out headers hdr, inout metadata m, inout standard_metadata_t sm) {
    state start { pkt.extract(hdr.h); transition accept; }
}
control VC(inout headers hdr, inout metadata m) { apply { } }
control I(inout headers hdr, inout metadata m, inout standard_metadata_t sm) {
    action fwd(bit<9> port) { sm.egress_spec = port; hdr.h.b = hdr.h.b + 1; }
    action drop() { mark_to_drop(sm); }
    table t { key = { hdr.h.a: exact; } actions = { fwd; drop; } default_action = drop(); }
    apply { t.apply(); }
}
control E(inout headers hdr, inout metadata m, inout standard_metadata_t sm) { apply { } }
control CC(inout headers hdr, inout metadata m) { apply { } }
control D(packet_out pkt, in headers hdr) { apply { pkt.emit(hdr.h); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""


def test_p4_programs_are_compiled_with_inalab_compiler(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "fwd.p4").write_text(P4_PROGRAM)
    (tmp_path / "fwd.stf").write_text(
        "add t a:1 fwd(port:4)\npacket 0 0107\nexpect 4 0108$\npacket 0 0207\n"
    )
    assert main(["--dir", str(tmp_path)]) == 0
    assert "PASS fwd" in capsys.readouterr().out
    assert main([str(tmp_path / "fwd.p4"), str(tmp_path / "fwd.stf")]) == 0
    (tmp_path / "bad.p4").write_text("control {")
    (tmp_path / "bad.stf").write_text("packet 0 00\n")
    assert main([str(tmp_path / "bad.p4"), str(tmp_path / "bad.stf")]) == 1
    assert "compile error" in capsys.readouterr().out
