"""inalab-switch started exactly as p4lang/tutorials' P4RuntimeSwitch starts bmv2:
a shell command line in the background, then "is the gRPC port listening?"."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from p4.v1 import p4runtime_pb2, p4runtime_pb2_grpc

from inalab.switch.io_l3_program import l3_program
from inalab.switch.io_netns import VethLab

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return False


@pytest.fixture
def lab(require_root: None) -> Iterator[VethLab]:
    with VethLab(2) as lab:
        yield lab


@pytest.mark.parametrize("with_json", [True, False])
def test_started_like_p4runtime_switch(lab: VethLab, tmp_path: Path, with_json: bool) -> None:
    prog = tmp_path / "l3.json"
    prog.write_text(json.dumps(l3_program()))
    grpc_port, thrift_port = _free_port(), _free_port()
    log = tmp_path / "s1.log"
    pidfile = tmp_path / "pid"
    args = [f"{sys.executable} -m inalab.switch"]
    args += [f"-i {h.index}@{h.switch_iface}" for h in lab.hosts]
    args += [f"--pcap {tmp_path / 'pcaps'}", "--nanolog ipc:///tmp/bm-0-log.ipc", "--device-id 3"]
    args.append(str(prog) if with_json else "--no-p4")
    args += ["--debugger", "--log-console", f"--thrift-port {thrift_port}"]
    args.append(f"-- --grpc-server-addr 0.0.0.0:{grpc_port}")
    args.append("--cpu-port 255")
    cmd = " ".join(args)
    subprocess.run(["sh", "-c", f"{cmd} >{log} 2>&1 & echo $! >> {pidfile}"], check=True)
    pid = int(pidfile.read_text())
    try:
        deadline = time.monotonic() + 20
        while not _listening(grpc_port):
            assert os.path.exists(f"/proc/{pid}"), log.read_text()
            assert time.monotonic() < deadline, "gRPC port never listened"
            time.sleep(0.1)
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as ch:
            stub = p4runtime_pb2_grpc.P4RuntimeStub(ch)
            caps = stub.Capabilities(p4runtime_pb2.CapabilitiesRequest(), timeout=10)
            assert caps.p4runtime_api_version
        assert _listening(thrift_port)
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid), "switch did not stop on SIGTERM"
    text = log.read_text()
    assert "device 3 running" in text and "stopped" in text, text
    assert "Traceback" not in text


def test_busy_grpc_or_control_port_is_one_line_exit_1() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        base = [sys.executable, "-m", "inalab.switch", "--no-p4"]
        r = subprocess.run(
            [*base, "--no-runtime", "--", "--grpc-server-addr", f"127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert r.returncode == 1
        assert r.stderr.count("\n") == 1
        assert r.stderr.startswith("inalab-switch: error: P4Runtime server: ")
        r = subprocess.run(
            [*base, "--no-grpc", "--thrift-port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert r.returncode == 1
        assert r.stderr == (
            f"inalab-switch: error: runtime control channel 127.0.0.1:{port}: cannot listen: "
            "Address already in use\n"
        )
