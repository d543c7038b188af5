"""The single-rack topology with the real inalab-switch running a compiled P4
program: start, program, ping, stop, and nothing left behind (root; mininet)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from inalab.topologies.builders import single_rack
from inalab.topologies.cleanup import interface_exists
from inalab.topologies.net import InaNetwork
from inalab.topologies.runs import all_runs, pid_alive

# Below the ephemeral range (32768-60999: a client socket can hold a port there)
# and away from the defaults, in case other switches run on this machine.
GRPC_BASE = 20461
THRIFT_BASE = 19461


@pytest.mark.mininet
def test_single_rack_forwards_pings_and_cleans_up(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    require_root: None,
    l3fwd_build: Path,
    install_routes: Callable[[InaNetwork], None],
) -> None:
    monkeypatch.setenv("INALAB_RUN_DIR", str(tmp_path / "runs"))
    topo = single_rack(2, program="l3fwd", grpc_base_port=GRPC_BASE)
    net = InaNetwork(
        topo,
        build_dir=l3fwd_build,
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

        assert not net.ping("h1", "h2"), "the table is empty: the program must drop"
        install_routes(net)
        out = net.host("h1").cmd("ping -c 2 -W 2 10.0.1.2")
        assert "2 received" in out, out
        assert re.search(r"ttl=63\b", out), f"the switch decrements the TTL once: {out}"
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
