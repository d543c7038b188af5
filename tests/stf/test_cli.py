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
