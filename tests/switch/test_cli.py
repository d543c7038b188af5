"""inalab-switch's command line: flag parsing and error exits (as a subprocess)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from inalab.switch.cli import parse_options
from inalab.switch.impairment import Impairment
from inalab.switch.io_errors import ImpairmentError, UsageError

EXTRA = "--no-p4 --no-grpc --seed 9 --loss 1:10 --impair 2:egress:delay=5,jitter=1"


def _run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inalab.switch", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_p4runtime_switch_command_line_parses() -> None:
    # The command line p4lang/tutorials' P4RuntimeSwitch builds, split as its shell does.
    argv = (
        "-i 1@s1-eth1 -i 2@s1-eth2 --pcap /tmp/pcaps --nanolog ipc:///tmp/bm-0-log.ipc "
        "--device-id 0 build/basic.json --log-console --thrift-port 9090 "
        "-- --grpc-server-addr 0.0.0.0:50051 --cpu-port 255 --priority-queues 8"
    )
    opts, args = parse_options(shlex.split(argv))
    assert opts.interfaces == ((1, "s1-eth1"), (2, "s1-eth2"))
    assert opts.json_path == Path("build/basic.json")
    assert opts.pcap_dir == Path("/tmp/pcaps")
    assert opts.grpc_addr == "0.0.0.0:50051" and opts.cpu_port == 255
    assert opts.priority_queues == 8 and opts.runtime_addr == ("127.0.0.1", 9090)
    assert args.log_console


def test_no_p4_and_own_flags() -> None:
    opts, _ = parse_options(
        shlex.split("--queue-depth 16 --queue-rate 1000 --drop-port 100 " + EXTRA)
    )
    assert opts.json_path is None and opts.grpc_addr is None and opts.effective_seed == 9
    assert opts.impairment.links[(1, "ingress")] == Impairment(loss=0.1)
    assert opts.impairment.links[(1, "egress")] == Impairment(loss=0.1)
    assert opts.impairment.links[(2, "egress")] == Impairment(delay_ms=5, jitter_ms=1)
    assert (opts.queue_depth, opts.queue_rate, opts.drop_port) == (16, 1000.0, 100)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ("", "missing the JSON config file"),
        ("--no-p4 x.json", "either a JSON config file or --no-p4"),
        ("--no-p4 -i eth0", "expected PORT@IFACE"),
        ("--no-p4 -i 1@a -i 1@b", "port 1 given twice"),
        ("--no-p4 --loss 1:200", "percent must be in"),
        ("--no-p4 --impair 1:up:loss=1", "expected PORT:ingress|egress|both"),
        ("--no-p4 --bogus", "unrecognized arguments: --bogus"),
        ("--no-p4 -- --grpc-server-addr nope", "expected HOST:PORT"),
    ],
)
def test_bad_flags_raise_clear_errors(argv: str, message: str) -> None:
    with pytest.raises((UsageError, ImpairmentError), match=message):
        parse_options(shlex.split(argv))


@pytest.mark.integration
def test_bad_flag_exits_1_with_one_line() -> None:
    r = _run("--no-p4", "--device-id", "x")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "inalab-switch: error: argument --device-id: not an integer: 'x'"
    ]


@pytest.mark.integration
def test_unreadable_json_exits_1(tmp_path: Path) -> None:
    r = _run(str(tmp_path / "missing.json"), "--no-grpc", "--no-runtime")
    assert r.returncode == 1
    assert "missing.json: cannot read JSON config: No such file or directory" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.integration
def test_unknown_interface_exits_1(tmp_path: Path) -> None:
    r = _run("--no-p4", "-i", "1@nosuch9", "--no-grpc", "--no-runtime")
    assert r.returncode == 1
    assert r.stderr.strip() == (
        "inalab-switch: error: unknown interface 'nosuch9' (not in this network namespace)"
    )


@pytest.mark.integration
def test_bad_impairment_file_exits_1(tmp_path: Path) -> None:
    f = tmp_path / "imp.json"
    f.write_text('{"ports": {"1": {"ingress": {"loss": 2}}}}')
    r = _run("--no-p4", "--impairment", str(f))
    assert r.returncode == 1
    assert "port 1 ingress: loss must be a probability in [0, 1], got 2.0" in r.stderr
    assert "Traceback" not in r.stderr
