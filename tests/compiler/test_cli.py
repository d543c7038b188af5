"""inalab-p4c command line: outputs, flags, and clean failures (exit 1, location, no output)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import text_format
from p4.config.v1 import p4info_pb2

from inalab.compiler.cli import main


def test_compiles_with_p4c_flags(repo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    info = tmp_path / "b.p4info.txtpb"
    rc = main(
        [
            "--arch",
            "v1model",
            "--std",
            "p4-16",
            "-o",
            str(out),
            "--p4runtime-files",
            f"{info},{tmp_path / 'b.p4info.json'}",
            str(repo_root / "tests/p4/basic_fwd.p4"),
        ]
    )
    assert rc == 0
    assert out.read_text().startswith("{")
    parsed = text_format.Parse(info.read_text(), p4info_pb2.P4Info())
    assert parsed.tables[0].preamble.name == "MyIngress.ipv4_lpm"
    assert (tmp_path / "b.p4info.json").read_text().lstrip().startswith("{")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inalab.compiler", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.integration
@pytest.mark.parametrize(
    ("source", "extra", "expect"),
    [
        ("control C( {", [], "bad.p4:1:"),
        ('#include "nothere.p4"\n', [], "bad.p4:1:1: error: cannot find include file"),
        (None, [], "cannot read"),
        ("", ["--arch", "psa"], "unsupported --arch"),
        ("", ["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_input_exit_1_no_output(
    tmp_path: Path, source: str | None, extra: list[str], expect: str
) -> None:
    src = tmp_path / "bad.p4"
    if source is not None:
        src.write_text(source)
    r = _run([*extra, "-o", "out.json", "bad.p4"], tmp_path)
    assert r.returncode == 1
    assert expect in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out.json").exists()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert "inalab-p4c" in capsys.readouterr().out


def test_unwritable_p4info_leaves_no_json(repo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    rc = main(
        [
            "-o",
            str(out),
            "--p4runtime-files",
            str(tmp_path / "nodir" / "b.txtpb"),
            str(repo_root / "tests/p4/basic_fwd.p4"),
        ]
    )
    assert rc == 1
    assert not out.exists()
    assert not list(tmp_path.glob("*.tmp"))


def test_older_p4runtime_file_flags(repo_root: Path, tmp_path: Path) -> None:
    info = tmp_path / "b.p4info"
    rc = main(
        [
            "-o",
            str(tmp_path / "b.json"),
            "--p4runtime-file",
            str(info),
            "--p4runtime-format",
            "binary",
            str(repo_root / "tests/p4/basic_fwd.p4"),
        ]
    )
    assert rc == 0
    parsed = p4info_pb2.P4Info()
    parsed.ParseFromString(info.read_bytes())
    assert parsed.tables[0].preamble.name == "MyIngress.ipv4_lpm"
    assert main(["--target", "tofino", str(repo_root / "tests/p4/basic_fwd.p4")]) == 1
