"""Packets per second through an ``inalab-switch`` process over veth, L3 forwarding.

Two namespaces, each linked by a veth pair to the switch (a separate process
running the minimal L3 program, ``inalab.switch.io_l3_program``). A sender
thread in this process writes IPv4/UDP frames into host 1's interface at a
paced offered rate; host 2's interface counts what arrives. Reported per
offered rate: delivered packets/s and loss. Target: 25,000 pps delivered.

    sudo .venv/bin/python bench/bench_veth.py [--rates 10000,25000,40000] [--seconds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from inalab.switch.io_l3_program import l3_program
from inalab.switch.io_netns import VethLab

TARGET_PPS = 25_000
MARK = b"inalab-bench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(port: int, *command: str) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "inalab.switch.runtime_cli", "--thrift-port", str(port), *command],
        check=True,
        capture_output=True,
        text=True,
    )
    return r.stdout


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _switch_counts(port: int) -> tuple[int, int]:
    """(frames the switch read on port 1, frames it wrote on port 2)."""
    rows = {int(ln.split()[0]): ln.split() for ln in _cli(port, "show_ports").splitlines()[1:-1]}
    return int(rows[1][2]), int(rows[2][4])


def _run_rate(lab: VethLab, frame: bytes, rate: int, seconds: float) -> tuple[int, int, float]:
    tx, rx = lab.socket(1), lab.socket(2)
    rx.settimeout(0.2)
    received = 0
    last_rx = 0.0
    stop = threading.Event()

    def receiver() -> None:
        nonlocal received, last_rx
        while not stop.is_set():
            try:
                data = rx.recv(2048)
            except TimeoutError:
                continue
            if MARK in data:
                received += 1
                last_rx = time.monotonic()

    t = threading.Thread(target=receiver, daemon=True)
    t.start()
    total = int(rate * seconds)
    batch = max(1, rate // 1000)  # send in 1 ms batches
    start = time.monotonic()
    sent = 0
    while sent < total:
        for _ in range(min(batch, total - sent)):
            tx.send(frame)
        sent += min(batch, total - sent)
        ahead = start + sent / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    send_end = time.monotonic()
    time.sleep(1.0)  # drain
    stop.set()
    t.join()
    tx.close()
    rx.close()
    elapsed = max(last_rx, send_end) - start
    return sent, received, elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", default="10000,25000,40000", help="offered pps, comma-separated")
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    with VethLab(2) as lab, tempfile.TemporaryDirectory() as tmp:
        prog = Path(tmp) / "l3.json"
        prog.write_text(json.dumps(l3_program()))
        port = _free_port()
        cmd = [sys.executable, "-m", "inalab.switch", "--no-grpc", "--thrift-port", str(port)]
        for h in lab.hosts:
            cmd += ["-i", f"{h.index}@{h.switch_iface}"]
        proc = subprocess.Popen([*cmd, str(prog)], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            if "running" not in proc.stdout.readline():
                print("switch did not start", file=sys.stderr)
                return 1
            for h in lab.hosts:
                _cli(
                    port,
                    "table_add",
                    "ipv4_lpm",
                    "ipv4_forward",
                    f"10.0.{h.index}.0/24",
                    "=>",
                    h.mac,
                    str(h.index),
                )
            h1 = lab.hosts[0]
            frame = bytes(
                Ether(dst="02:00:00:00:00:fe", src=h1.mac)
                / IP(src=h1.ip, dst="10.0.2.1")
                / UDP(sport=5000, dport=6000)
                / (MARK + b"\x00" * 32)
            )
            print(
                f"inalab-switch over veth, L3 forwarding, {len(frame)}-byte frames, "
                f"{args.seconds:g} s per rate (target {TARGET_PPS} pps)"
            )
            print(
                f"{'offered pps':>12} {'delivered pps':>14} {'loss %':>8}"
                f" {'switch read':>12} {'switch wrote':>13} {'CPU us/pkt':>11}"
            )
            best = 0.0
            for rate in rates:
                rx0, tx0 = _switch_counts(port)
                cpu0 = _cpu_seconds(proc.pid)
                sent, got, elapsed = _run_rate(lab, frame, rate, args.seconds)
                cpu1 = _cpu_seconds(proc.pid)
                rx1, tx1 = _switch_counts(port)
                pps = got / elapsed
                best = max(best, pps)
                us = 1e6 * (cpu1 - cpu0) / max(1, tx1 - tx0)
                print(
                    f"{rate:>12} {pps:>14.0f} {100 * (1 - got / sent):>8.2f}"
                    f" {rx1 - rx0:>12} {tx1 - tx0:>13} {us:>11.1f}",
                    flush=True,
                )
            verdict = "meets" if best >= TARGET_PPS else "below"
            print(f"best delivered: {best:.0f} pps ({verdict} the {TARGET_PPS} pps target)")
            print(
                f"load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
            )
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
