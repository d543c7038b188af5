"""The single-rack topology with the real inalab-switch: start, program, ping,
stop, and nothing left behind (root; marked mininet)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from inalab.switch.io_l3_program import l3_program
from inalab.topologies.builders import single_rack
from inalab.topologies.cleanup import interface_exists
from inalab.topologies.net import InaNetwork
from inalab.topologies.runs import all_runs, pid_alive

GRPC_BASE = 50461  # away from the defaults, in case other switches run on this machine
THRIFT_BASE = 19461


def forwarding_program() -> dict[str, Any]:
    """The switch package's L3 program (LPM on dstAddr -> set port and MACs),
    without its TTL decrement: it does not update the IPv4 checksum, and the
    receiving kernel would drop every packet with a stale one."""
    prog = l3_program()
    for action in prog["actions"]:
        action["primitives"] = [
            p
            for p in action["primitives"]
            if not (p["op"] == "assign" and p["parameters"][0]["value"] == ["ipv4", "ttl"])
        ]
    return prog


def cli(port: int, *command: str) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "inalab.switch.runtime_cli", "--thrift-port", str(port), *command],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.mininet
def test_single_rack_forwards_pings_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, require_root: None
) -> None:
    monkeypatch.setenv("INALAB_RUN_DIR", str(tmp_path / "runs"))
    monkeypatch.delenv("SWITCH", raising=False)
    prog = tmp_path / "build" / "l3fwd.json"
    prog.parent.mkdir()
    prog.write_text(json.dumps(forwarding_program()))
    topo = single_rack(2, program="l3fwd", grpc_base_port=GRPC_BASE)
    net = InaNetwork(
        topo,
        build_dir=tmp_path / "build",
        log_dir=tmp_path / "logs",
        pcap_dir=tmp_path / "pcaps",
        thrift_base_port=THRIFT_BASE,
    )
    with net:
        s1 = net.switch("s1")
        assert s1.running() and s1.connected()
        switch_pid = s1.switch_pid
        assert switch_pid is not None
        shells = [net.host(h.name).shell.pid for h in topo.hosts]
        (record,) = all_runs()
        assert {p.role for p in record.processes} == {"switch s1", "host h1", "host h2", "host ps"}

        port = net.thrift_port("s1")
        assert not net.ping("h1", "h2"), "the table is empty: the program must drop"
        for h in topo.hosts:
            cli(
                port,
                "table_add",
                "MyIngress.ipv4_lpm",
                "MyIngress.ipv4_forward",
                f"{h.address}/32",
                "=>",
                h.mac,
                str(topo.port_towards("s1", h.name)),
            )
        assert net.ping("h1", "h2", count=2)
        assert net.ping("h2", "ps")
        assert net.ping("ps", "h1")

    assert not pid_alive(switch_pid)
    assert not any(pid_alive(p) for p in shells)
    assert not any(interface_exists(f"s1-eth{i}") for i in (1, 2, 3))
    assert all_runs() == []
    out = (tmp_path / "logs" / "s1.out").read_text()
    assert out.startswith(s1.executable) and f"--grpc-server-addr 127.0.0.1:{GRPC_BASE}" in out
    assert (tmp_path / "logs" / "s1.log").is_file()
    assert (tmp_path / "pcaps" / "s1-eth1_in.pcap").stat().st_size > 24
