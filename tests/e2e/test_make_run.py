"""``make run`` from the repository, non-interactively: a correct aggregation
result and exit 0; nothing left running afterwards (root)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import GRPC_BASE, PREFIX, THRIFT_BASE, leftovers

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.mininet
def test_make_run_prints_a_correct_result_and_exits_0(tmp_path: Path, require_root: None) -> None:
    args = (
        f"--prefix {PREFIX} --grpc-base {GRPC_BASE} --thrift-base {THRIFT_BASE} "
        f"--logs {tmp_path}/logs --pcaps {tmp_path}/pcaps --results {tmp_path}/results"
    )
    r = subprocess.run(
        ["make", "-s", "run", f"RUN_ARGS={args}"],
        cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    row = next(line for line in r.stdout.splitlines() if "switch (INA)" in line)
    cells = row.split()
    assert cells[-1] == "OK", out
    # job, via (2 words), workers, values, time, goodput, blocks, exact, partial, missing
    assert cells[3:5] == ["4", "100000"], row
    blocks, exact = int(cells[7]), int(cells[8])
    assert blocks == exact == 3125, row
    goodput = float(cells[6].replace(",", ""))
    assert 0 < goodput < 100e6 / 8 / 4, row  # below a 100 Mbit/s line of 4-byte values
    assert (tmp_path / "logs" / f"{PREFIX}s1.out").is_file()
    assert list((tmp_path / "pcaps").glob("*.pcap"))
    assert leftovers() == []


@pytest.mark.mininet
def test_make_run_refuses_a_busy_port_with_one_message(tmp_path: Path, require_root: None) -> None:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", THRIFT_BASE))
        s.listen()
        r = subprocess.run(
            [str(BIN / "python"), "-m", "inalab.scenarios.demo", "--prefix", PREFIX,
             "--grpc-base", str(GRPC_BASE), "--thrift-base", str(THRIFT_BASE),
             "--logs", str(tmp_path / "logs"), "--pcaps", "", "--results", str(tmp_path)],
            cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert r.returncode == 1
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("make run: error:"), r.stderr
    assert "Traceback" not in r.stderr
    assert leftovers() == []


def test_demo_rejects_bad_arguments_without_traceback(tmp_path: Path) -> None:
    r = subprocess.run(
        [str(BIN / "python"), "-m", "inalab.scenarios.demo", "--workers", "0"],
        cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 1
    assert r.stderr.startswith("make run: error: --workers 0"), r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.mininet
def test_demo_without_root_says_so_in_one_line(require_root: None) -> None:
    r = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         str(BIN / "python"), "-m", "inalab.scenarios.demo", "--program", "build/ina.json"],
        cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "make run: error: a Mininet network needs root (network namespaces, interfaces): use sudo"
    ]


@pytest.mark.mininet
def test_a_killed_demo_is_undone_by_inalab_clean(tmp_path: Path, require_root: None) -> None:
    import os
    import signal
    import time

    demo = subprocess.Popen(
        [str(BIN / "python"), "-m", "inalab.scenarios.demo", "--prefix", PREFIX,
         "--grpc-base", str(GRPC_BASE), "--thrift-base", str(THRIFT_BASE), "--values", "2000000",
         "--logs", str(tmp_path / "logs"), "--pcaps", "", "--results", str(tmp_path)],
        cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while not list(tmp_path.glob("demo/job1/in3.npy")):  # the workers are starting
            assert demo.poll() is None and time.monotonic() < deadline, "demo never got going"
            time.sleep(0.2)
        time.sleep(1.0)
    finally:
        if demo.poll() is None:
            os.kill(demo.pid, signal.SIGKILL)  # no clean-up of its own
        demo.wait()
    assert leftovers() != []  # switch, host shells or workers outlive it
    r = subprocess.run([str(BIN / "inalab-clean")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"killed switch {PREFIX}s1" in r.stdout
    time.sleep(0.5)
    assert leftovers() == []
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(tmp_path) not in ps  # no worker of the killed job is left
