"""Leaf-spine and multi-rack networks of inalab-switch processes: hosts in
different racks reach each other over several switches (root; mininet)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from inalab.topologies.builders import leaf_spine, multi_rack
from inalab.topologies.net import InaNetwork
from inalab.topologies.runs import all_runs
from inalab.topologies.spec import Topology


@pytest.mark.mininet
@pytest.mark.parametrize(
    ("topo", "src", "dst", "ttl"),
    [
        (leaf_spine(2, 1, program="l3fwd", grpc_base_port=20471), "r1h1", "r2h1", 61),
        (multi_rack(2, 1, program="l3fwd", grpc_base_port=20481), "r1h1", "ps", 62),
    ],
    ids=["leaf-spine", "multi-rack"],
)
def test_hosts_reach_across_racks(
    topo: Topology,
    src: str,
    dst: str,
    ttl: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    require_root: None,
    l3fwd_build: Path,
    install_routes: Callable[[InaNetwork], None],
) -> None:
    monkeypatch.setenv("INALAB_RUN_DIR", str(tmp_path / "runs"))
    net = InaNetwork(
        topo, build_dir=l3fwd_build, log_dir=tmp_path / "logs", pcap_dir=tmp_path / "pcaps",
        thrift_base_port=19471,
    )  # fmt: skip
    with net:
        assert all(sw.connected() for sw in net.switches())
        install_routes(net)
        out = net.host(src).cmd(f"ping -c 2 -W 2 {topo.host(dst).address}")
        assert "2 received" in out, out
        assert re.search(rf"ttl={ttl}\b", out), f"expected ttl={ttl} (hops on the way back): {out}"
        for a in topo.hosts:
            for b in topo.hosts:
                if a is not b:
                    assert net.ping(a.name, b.name), f"{a.name} -> {b.name}"
    assert all_runs() == []
