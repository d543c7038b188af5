"""inalab-switch as a separate process on real veth interfaces: L3 forwarding,
captures, runtime control, injected loss, clean shutdown (needs root)."""

from __future__ import annotations

import ast
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import rdpcap

from inalab.switch.io_l3_program import l3_program
from inalab.switch.io_netns import VethLab

pytestmark = pytest.mark.integration

MARK = b"inalab-veth"
SWITCH_MAC = "02:00:00:00:00:fe"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SwitchRun:
    """inalab-switch started on the lab's root-namespace ends."""

    def __init__(self, lab: VethLab, tmp: Path, *extra: str) -> None:
        prog = tmp / "l3.json"
        prog.write_text(json.dumps(l3_program()))
        self.pcap_dir = tmp / "pcaps"
        self.runtime_port = free_port()
        cmd = [sys.executable, "-m", "inalab.switch", "--no-grpc", "--seed", "1"]
        for h in lab.hosts:
            cmd += ["-i", f"{h.index}@{h.switch_iface}"]
        cmd += ["--pcap", str(self.pcap_dir), "--thrift-port", str(self.runtime_port)]
        cmd += [*extra, str(prog)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "running" not in line:
            self.proc.kill()
            raise AssertionError(f"switch did not start: {line}{self.proc.stderr.read()}")  # type: ignore[union-attr]

    def cli(self, *command: str) -> str:
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "inalab.switch.runtime_cli",
                "--thrift-port",
                str(self.runtime_port),
                *command,
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert r.returncode == 0, r.stderr
        return r.stdout

    def stop(self) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=15)
        return self.proc.returncode, out, err


@pytest.fixture
def lab(require_root: None) -> Iterator[VethLab]:
    with VethLab(2) as lab:
        yield lab


def _packet(lab: VethLab, i: int, dst_host: int = 2) -> bytes:
    src = lab.hosts[0]
    return bytes(
        Ether(dst=SWITCH_MAC, src=src.mac)
        / IP(src=src.ip, dst=f"10.0.{dst_host}.1", ttl=64)
        / UDP(sport=5000, dport=6000)
        / (MARK + i.to_bytes(4, "big"))
    )


def _collect(sock: socket.socket, timeout: float, want: int | None = None) -> list[bytes]:
    sock.settimeout(0.1)
    got: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (want is None or len(got) < want):
        try:
            data = sock.recv(4096)
        except TimeoutError:
            continue
        if MARK in data:
            got.append(data)
    return got


def _route(run: SwitchRun, lab: VethLab) -> None:
    for h in lab.hosts:
        out = run.cli(
            "table_add",
            "ipv4_lpm",
            "ipv4_forward",
            f"10.0.{h.index}.0/24",
            "=>",
            h.mac,
            str(h.index),
        )
        assert out.startswith("Entry has been added with handle")


def test_l3_forwarding_through_the_switch_process(lab: VethLab, tmp_path: Path) -> None:
    run = SwitchRun(lab, tmp_path)
    try:
        _route(run, lab)
        tx, rx = lab.socket(1), lab.socket(2)
        for i in range(50):
            tx.send(_packet(lab, i))
        tx.send(_packet(lab, 99, dst_host=7))  # no route: dropped
        got = _collect(rx, 5, want=50)
        assert len(got) == 50
        first = Ether(got[0])
        assert first.dst == lab.hosts[1].mac and first.src == SWITCH_MAC
        assert first[IP].ttl == 63
        assert [int.from_bytes(g[-4:], "big") for g in got] == list(range(50))
        assert _collect(rx, 0.3) == []
        stats = run.cli("show_ports")
        assert f"{lab.hosts[0].switch_iface}" in stats
    finally:
        code, out, err = run.stop()
    assert code == 0, err
    assert "stopped" in out
    ins = rdpcap(str(run.pcap_dir / f"{lab.hosts[0].switch_iface}_in.pcap"))
    outs = rdpcap(str(run.pcap_dir / f"{lab.hosts[1].switch_iface}_out.pcap"))
    assert sum(MARK in bytes(p) for p in ins) == 51
    assert sum(MARK in bytes(p) for p in outs) == 50


def test_loss_injected_at_a_port_shows_in_the_counts(lab: VethLab, tmp_path: Path) -> None:
    run = SwitchRun(lab, tmp_path, "--loss", "2:egress:30")
    try:
        _route(run, lab)
        tx, rx = lab.socket(1), lab.socket(2)
        n = 600
        for i in range(n):
            tx.send(_packet(lab, i))
            if i % 50 == 49:
                time.sleep(0.01)
        got = _collect(rx, 4, want=n)
        show = run.cli("impair_show")
        line = next(ln for ln in show.splitlines() if ln.startswith("port 2 egress"))
        counters = ast.literal_eval(line.split("counters ", 1)[1])
        assert counters["frames"] == n
        assert counters["passed"] == len(got) == n - counters["lost_random"]
        assert 0.22 * n < counters["lost_random"] < 0.38 * n
        # At run time: remove the loss, everything passes.
        run.cli("impair", "2", "egress", "clear")
        for i in range(100):
            tx.send(_packet(lab, i))
        assert len(_collect(rx, 4, want=100)) == 100
    finally:
        run.stop()


def test_bad_program_json_exits_1_with_the_core_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    prog = l3_program()
    prog["actions"][0]["primitives"][0]["op"] = "no_such_primitive"
    bad.write_text(json.dumps(prog))
    r = subprocess.run(
        [sys.executable, "-m", "inalab.switch", "--no-grpc", "--no-runtime", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"inalab-switch: error: {bad}: ")
    assert "no_such_primitive" in lines[0]
    bad.write_text("{not json")
    r = subprocess.run(
        [sys.executable, "-m", "inalab.switch", "--no-grpc", "--no-runtime", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_same_seed_loses_the_same_frames(lab: VethLab, tmp_path: Path) -> None:
    def survivors(seed: str, run_dir: Path) -> list[int]:
        run_dir.mkdir()
        run = SwitchRun(lab, run_dir, "--seed", seed, "--impair", "2:egress:loss=0.3,dup=0.05")
        try:
            _route(run, lab)
            tx, rx = lab.socket(1), lab.socket(2)
            for i in range(300):
                tx.send(_packet(lab, i))
                if i % 50 == 49:
                    time.sleep(0.01)
            got = _collect(rx, 2)
            tx.close()
            rx.close()
            return [int.from_bytes(g[-4:], "big") for g in got]
        finally:
            run.stop()

    first = survivors("5", tmp_path / "a")
    assert first == survivors("5", tmp_path / "b")
    assert first != survivors("6", tmp_path / "c")
    assert len(first) != len(set(first))  # duplicates are there too


def test_log_file_traces_each_packet_at_trace_level(lab: VethLab, tmp_path: Path) -> None:
    log = tmp_path / "s1.log"
    run = SwitchRun(lab, tmp_path, "--log-file", str(log), "--log-flush")
    try:
        _route(run, lab)
        tx, rx = lab.socket(1), lab.socket(2)
        tx.send(_packet(lab, 1))
        assert len(_collect(rx, 3, want=1)) == 1
    finally:
        run.stop()
    lines = log.read_text().splitlines()
    assert any("[inalab.switch.trace]" in ln and "port 1" in ln for ln in lines), lines[:20]
