"""The runtime-control channel and inalab-switch-cli, against a running switch process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from inalab.switch.impairment import Impairment
from inalab.switch.io_control_commands import run_command
from inalab.switch.io_errors import RuntimeCommandError
from inalab.switch.io_process import SwitchOptions, SwitchProcess
from inalab.switch.runtime_cli import RuntimeClient


class Echo:
    """A switch that sends every frame back where it came from."""

    def __init__(self) -> None:
        self.tx: Callable[[int, bytes], None] | None = None

    def set_transmit_handler(self, handler: Callable[[int, bytes], None]) -> None:
        self.tx = handler

    def receive(self, port: int, data: bytes) -> None:
        assert self.tx is not None
        self.tx(port, data)

    def program_json(self) -> None:
        return None


@pytest.fixture
def proc() -> Iterator[SwitchProcess]:
    opts = SwitchOptions(json_path=None, grpc_addr=None, runtime_addr=("127.0.0.1", 0))
    p = SwitchProcess(opts, switch=Echo())  # type: ignore[arg-type]
    p.start()
    yield p
    p.stop()


def test_impair_and_show_over_the_channel(proc: SwitchProcess) -> None:
    assert proc.runtime_bound is not None
    assert proc.ports is not None
    port = proc.ports.add_virtual(1)
    with RuntimeClient(*proc.runtime_bound) as c:
        ok, out = c.call("impair 1 both loss=1")
        assert ok, out
        assert proc.impairments.get(1, "ingress") == Impairment(loss=1.0)
        port.inject(b"\x00" * 60)
        assert port.recv(0.2) is None
        ok, out = c.call("impair_show")
        assert (
            ok and "port 1 ingress: {'loss': 1.0} counters {'frames': 1, 'lost_random': 1}" in out
        )
        ok, out = c.call("impair 1 both clear")
        assert ok and proc.impairments.get(1, "egress") == Impairment()
        port.inject(b"\x01" * 60)
        assert port.recv(1) == b"\x01" * 60
        ok, out = c.call("show_ports")
        assert ok and "port1" in out.splitlines()[1]
        assert c.call("impair 1 sideways loss=1") == (
            False,
            "direction must be ingress, egress or both, got 'sideways'",
        )
        ok, out = c.call("impair 1 egress loss=7")
        assert not ok and "loss must be a probability" in out
        assert c.call("frobnicate") == (False, "unknown command 'frobnicate' (try 'help')")
        ok, out = c.call("table_dump t")
        assert (ok, out) == (False, "no program is loaded")
        ok, out = c.call("help")
        assert ok and "table_add TABLE ACTION MATCH... => PARAM... [PRIORITY]" in out


def test_impair_load_applies_a_file(proc: SwitchProcess, tmp_path: Path) -> None:
    f = tmp_path / "imp.json"
    f.write_text('{"seed": 3, "ports": {"4": {"ingress": {"delay_ms": 2}}}}')
    assert run_command(proc, f"impair_load {f}") == f"1 link direction(s) set from {f}"
    assert proc.impairments.get(4, "ingress") == Impairment(delay_ms=2)
    f.write_text('{"ports": {"4": {"ingress": {"delay_ms": -1}}}}')
    with pytest.raises(RuntimeCommandError, match="port 4 ingress: delay_ms must be >= 0"):
        run_command(proc, f"impair_load {f}")


@pytest.mark.integration
def test_cli_command_reads_stdin_and_reports_failures(proc: SwitchProcess) -> None:
    assert proc.runtime_bound is not None
    port = str(proc.runtime_bound[1])
    cmd = [sys.executable, "-m", "inalab.switch.runtime_cli", "--thrift-port", port]
    r = subprocess.run(
        cmd,
        input="impair 2 egress delay=5\nimpair_show\n",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 0, r.stderr
    assert "port 2 egress: {'delay_ms': 5.0}" in r.stdout
    r = subprocess.run([*cmd, "nope"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and r.stderr.strip() == "Error: unknown command 'nope' (try 'help')"


@pytest.mark.integration
def test_cli_command_without_a_switch_exits_1() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "inalab.switch.runtime_cli", "--thrift-port", "1", "help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 1
    assert r.stderr.startswith("inalab-switch-cli: error: cannot reach the switch at 127.0.0.1:1")


def test_channel_survives_an_overlong_line_and_a_client_that_vanishes(
    proc: SwitchProcess, caplog: pytest.LogCaptureFixture
) -> None:
    import json
    import socket

    from inalab.switch.io_control_server import MAX_LINE

    assert proc.runtime_bound is not None
    with socket.create_connection(proc.runtime_bound, timeout=5) as s:
        s.sendall(b"x" * (MAX_LINE * 3) + b"\nhelp\n")
        f = s.makefile("rb")
        first = json.loads(f.readline())
        assert first == {"ok": False, "error": f"command longer than {MAX_LINE} bytes"}
        assert json.loads(f.readline())["ok"] is True  # the next command is served
    # a client that sends a huge line and resets the connection before the reply
    s = socket.create_connection(proc.runtime_bound, timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.sendall(b"x" * 200_000 + b"\n")
    s.close()  # linger 0: RST
    with RuntimeClient(*proc.runtime_bound) as c:
        assert c.call("help")[0]
    assert "Traceback" not in caplog.text
