"""The P4Runtime server inside a separate ``inalab-switch`` process, driven by the
real p4runtime-shell (as a controller or Mininet would use it)."""

from __future__ import annotations

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
from p4runtime_sh import shell as sh

from .program import CPU_PORT, write_files

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_serving(addr: str, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    channel = grpc.insecure_channel(addr)
    stub = p4runtime_pb2_grpc.P4RuntimeStub(channel)
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"inalab-switch exited with {proc.returncode}")
            try:
                stub.Capabilities(p4runtime_pb2.CapabilitiesRequest(), timeout=1)
                return
            except grpc.RpcError:
                time.sleep(0.1)
        raise AssertionError(f"no P4Runtime server on {addr} after {timeout}s")
    finally:
        channel.close()


@pytest.fixture
def switch_process(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    addr = f"127.0.0.1:{port}"
    log = tmp_path / "s1-p4runtime-requests.txt"
    exe = Path(sys.executable).parent / "inalab-switch"
    cmd = [str(exe), "--no-p4", "--device-id", "3", "--no-runtime", "--",
           "--grpc-server-addr", addr, "--cpu-port", str(CPU_PORT),
           "--grpc-request-log", str(log)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_serving(addr, proc)
        yield addr, log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_shell_drives_an_inalab_switch_process(
    switch_process: tuple[str, Path], tmp_path: Path
) -> None:
    addr, log = switch_process
    info, js = write_files(tmp_path)
    sh.setup(device_id=3, grpc_addr=addr, election_id=(0, 1),
             config=sh.FwdPipeConfig(str(info), str(js)), verbose=False)  # fmt: skip
    try:
        te = sh.TableEntry("MyIngress.fwd")(action="MyIngress.set_port")
        te.match["hdr.ethernet.dstAddr"] = "00:00:00:00:00:0a"
        te.action["port"] = "2"
        te.insert()
        [read] = list(sh.TableEntry("MyIngress.fwd").read())
        assert read.action["port"].value == b"\x02"
        sh.MulticastGroupEntry(7).add(1).add(2).insert()
        assert len(list(sh.MulticastGroupEntry(7).read())) == 1
        sh.PacketOut(payload=b"\x00" * 14, egress_port="1").send()
    finally:
        sh.teardown()
    text = log.read_text()
    assert "SetForwardingPipelineConfig" in text and "multicast_group_id: 7" in text
