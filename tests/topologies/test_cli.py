"""python -m inalab.topologies: show, save, run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from inalab.topologies.cli import main
from inalab.topologies.loader import load_topology


def test_show_prints_addresses_and_port_map(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "multi-rack", "--workers", "1", "--delay", "2"]) == 0
    out = capsys.readouterr().out
    assert (
        "r2h1       10.0.2.1/24      02:00:00:00:02:01  worker rank 1  at tor2:1 via 10.0.2.254"
        in out
    )
    assert "core1      device 2  gRPC 50053  tier 1  ina" in out
    assert "port 1   -> r1h1:0  (delay 2.0)" in out


def test_save_then_show_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ls.yaml"
    assert main(["save", "leaf-spine", "--leaves", "3", "--workers", "1", str(out)]) == 0
    topo = load_topology(out)
    assert [s.name for s in topo.switches] == ["leaf1", "leaf2", "leaf3", "spine1", "spine2"]
    assert main(["show", str(out)]) == 0
    assert "topology leaf-spine" in capsys.readouterr().out


def test_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "single-rack", "--workers", "0"]) == 1
    assert capsys.readouterr().err == (
        "python -m inalab.topologies: error: workers must be an integer 1..99, not 0\n"
    )
    bad = tmp_path / "t.yaml"
    bad.write_text("name: t\nswitches: [{name: s1}]\n")
    assert main(["show", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"python -m inalab.topologies: error: {bad}: switches[0] (s1): missing key(s)"
    )


@pytest.mark.mininet
def test_run_starts_and_stops_a_network(tmp_path: Path, require_root: None) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "inalab.topologies", "run", "single-rack", "--workers", "2",
         "--program", "none", "--no-cli", "--grpc-base", "20501", "--thrift-base", "19501"],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "s1         device 0  gRPC 20501  tier 0  (no program)" in proc.stdout
    assert (tmp_path / "logs" / "s1.out").read_text().count("--no-p4") == 1


@pytest.mark.integration
def test_run_without_mininet_says_how_to_get_it(tmp_path: Path, require_root: None) -> None:
    """``python -S`` leaves out the site-packages, Debian's Mininet among them:
    a machine without Mininet, as far as this interpreter can tell."""
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-S", "-m", "inalab.topologies", "run", "single-rack", "--no-cli"],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
        env={"PYTHONPATH": str(repo), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.startswith("python -m inalab.topologies: error: Mininet is not installed")
    assert "apt-get install mininet" in proc.stderr and "Traceback" not in proc.stderr
