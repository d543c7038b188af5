"""The switch command line, switch selection and port probing (no Mininet needed)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from inalab.topologies.errors import EnvironmentProblem
from inalab.topologies.p4switch import SwitchCommand, log_tail, port_listening, resolve_switch


def test_command_line_is_simple_switch_grpc_s() -> None:
    cmd = SwitchCommand(
        kind="bmv2",
        executable="/usr/bin/simple_switch_grpc",
        ports=((1, "s1-eth1"), (2, "s1-eth2")),
        device_id=3,
        grpc_port=50054,
        json_path=Path("build/ina.json"),
        log_file=Path("logs/s1.log"),
        pcap_dir=Path("pcaps"),
        cpu_port=255,
        impairment_file=Path("logs/s1.impairment.json"),
        seed=5,
        thrift_port=9093,
    )
    assert cmd.argv() == [
        "/usr/bin/simple_switch_grpc",
        "-i", "1@s1-eth1", "-i", "2@s1-eth2",
        "--device-id", "3",
        "--log-file", "logs/s1.log", "--log-flush", "-L", "info",
        "--pcap=pcaps",
        "--thrift-port", "9093",
        "build/ina.json",
        "--", "--grpc-server-addr", "127.0.0.1:50054", "--cpu-port", "255",
    ]  # fmt: skip


def test_our_switch_also_gets_impairment_and_seed_and_no_p4() -> None:
    cmd = SwitchCommand(kind="inalab", executable="inalab-switch", ports=(), device_id=0,
                        grpc_port=50051, impairment_file=Path("i.json"), seed=9)  # fmt: skip
    argv = cmd.argv()
    assert argv[argv.index("--impairment") + 1] == "i.json"
    assert argv[argv.index("--seed") + 1] == "9"
    assert argv[argv.index("--") - 1] == "--no-p4"
    assert "--cpu-port" not in argv


def test_resolve_switch_defaults_to_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWITCH", raising=False)
    kind, path = resolve_switch()
    assert kind == "inalab"
    assert Path(path).name == "inalab-switch"
    assert Path(path).exists()


def test_resolve_switch_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SWITCH", "tofino")
    with pytest.raises(EnvironmentProblem, match=r"switch kind 'tofino' \(SWITCH='tofino'\)"):
        resolve_switch()
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EnvironmentProblem, match="simple_switch_grpc not found on PATH"):
        resolve_switch("bmv2")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(EnvironmentProblem, match="inalab-switch not found on PATH"):
        resolve_switch("inalab")


def test_port_listening_sees_a_real_listener() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        assert not port_listening(port)
        s.listen()
        assert port_listening(port)


def test_log_tail(tmp_path: Path) -> None:
    f = tmp_path / "x.log"
    f.write_text("".join(f"line {i}\n" for i in range(30)))
    assert log_tail(f, 2) == "line 28\nline 29"
    assert log_tail(tmp_path / "missing.log") == ""
