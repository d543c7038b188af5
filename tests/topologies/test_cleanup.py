"""inalab-clean removes what a crashed run left, and only that."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from inalab.topologies.cleanup import clean_run, interface_exists, main
from inalab.topologies.runs import RunProcess, RunRecord, all_runs, process_argv


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INALAB_RUN_DIR", str(tmp_path / "runs"))
    return tmp_path / "runs"


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.mark.integration
def test_leftover_run_is_cleaned(
    run_dir: Path, require_root: None, capsys: pytest.CaptureFixture[str]
) -> None:
    veth = "tclnA0"
    subprocess.run(
        ["ip", "link", "add", veth, "type", "veth", "peer", "name", "tclnB0"], check=True
    )
    stray = subprocess.Popen(["sleep", "60"])
    deadline = time.monotonic() + 5
    while not process_argv(stray.pid) and time.monotonic() < deadline:
        time.sleep(0.01)  # /proc/PID/cmdline can be empty for a moment after exec
    try:
        record = RunRecord(
            _dead_pid(), "crashed", 0.0, (RunProcess(stray.pid, "sleep", "switch s9"),), (veth,)
        )
        record.save()
        assert record.leftover
        assert main(["--dry-run"]) == 0
        out = capsys.readouterr().out
        assert f"would have: killed switch s9 (pid {stray.pid})" in out
        assert f"would have: deleted interface {veth}" in out
        assert stray.poll() is None and interface_exists(veth)

        report = clean_run(record)
        assert report.killed == [f"switch s9 (pid {stray.pid})"]
        assert report.interfaces == [veth]
        assert stray.wait(5) is not None
        assert not interface_exists(veth)
        assert not interface_exists("tclnB0")
        assert all_runs() == []
    finally:
        if stray.poll() is None:
            stray.kill()
            stray.wait()
        if interface_exists(veth):
            subprocess.run(["ip", "link", "del", veth], check=False)


@pytest.mark.integration
def test_clean_refuses_without_root(require_root: None) -> None:
    """Run the real command as user nobody."""
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         sys.executable, "-m", "inalab.topologies.cleanup"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.startswith("inalab-clean: error: inalab-clean needs root")
    assert "Traceback" not in proc.stderr
