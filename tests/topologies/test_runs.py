"""Run records: written, read back, told apart from live runs."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from inalab.topologies.runs import RunProcess, RunRecord, all_runs, new_record, process_argv


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INALAB_RUN_DIR", str(tmp_path / "runs"))
    return tmp_path / "runs"


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_record_round_trip_and_liveness(run_dir: Path) -> None:
    rec = new_record("single-rack")
    rec = RunRecord(
        rec.owner_pid,
        rec.topology,
        rec.started,
        (RunProcess(1, "x", "switch s1"),),
        ("s1-eth1",),
        (50051,),
    )
    rec.save()
    assert (run_dir / f"{os.getpid()}.json").is_file()
    (loaded,) = all_runs()
    assert loaded == rec
    assert not loaded.leftover
    dead = RunRecord(_dead_pid(), "t", 0.0)
    dead.save()
    assert {r.owner_pid: r.leftover for r in all_runs()}[dead.owner_pid]
    rec.remove()
    dead.remove()
    assert all_runs() == []


def test_unreadable_record_is_dropped(run_dir: Path) -> None:
    run_dir.mkdir(parents=True)
    (run_dir / "123.json").write_text("{not json")
    assert all_runs() == []
    assert not (run_dir / "123.json").exists()


def test_process_identity_guards_against_pid_reuse() -> None:
    proc = subprocess.Popen(["sleep", "30"])
    try:
        deadline = time.monotonic() + 5
        while not process_argv(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.01)  # /proc/PID/cmdline can be empty for a moment after exec
        assert process_argv(proc.pid) == ["sleep", "30"]
        assert RunProcess(proc.pid, "/usr/bin/sleep", "host h1").matches()
        assert not RunProcess(proc.pid, "inalab-switch", "switch s1").matches()
    finally:
        proc.kill()
        proc.wait()
    assert process_argv(proc.pid) is None
    assert not RunProcess(proc.pid, "sleep", "host h1").matches()
