"""Link impairments become the switch's own --impairment file, which the switch accepts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from inalab.switch.impairment import ImpairmentConfig
from inalab.topologies.builders import leaf_spine, single_rack
from inalab.topologies.impairment import switch_impairment, switch_seed
from inalab.topologies.net import InaNetwork
from inalab.topologies.spec import LinkProfile


def test_host_links_impair_both_directions_of_the_switch_port() -> None:
    topo = single_rack(2, with_ps=False, host_link=LinkProfile(delay_ms=4, jitter_ms=1, loss_pct=2))
    content = switch_impairment(topo, "s1", seed=7, netem=False)
    assert content == {
        "seed": switch_seed(7, 0),
        "ports": {
            "1": {"both": {"delay_ms": 4.0, "jitter_ms": 1.0, "loss": 0.02}},
            "2": {"both": {"delay_ms": 4.0, "jitter_ms": 1.0, "loss": 0.02}},
        },
    }
    config = ImpairmentConfig.from_dict(content)
    assert config.links[(1, "ingress")].loss == 0.02
    assert config.links[(2, "egress")].jitter_ms == 1.0


def test_fabric_links_impair_egress_only_on_each_end() -> None:
    fabric = LinkProfile(delay_ms=1, duplicate_pct=1, reorder_pct=5)
    topo = leaf_spine(2, 1, fabric_link=fabric)
    leaf = switch_impairment(topo, "leaf1", seed=1, netem=False)
    spine = switch_impairment(topo, "spine1", seed=1, netem=False)
    assert leaf is not None and spine is not None
    settings = {"delay_ms": 1.0, "duplicate": 0.01, "reorder": 0.05}
    assert leaf["ports"] == {"2": {"egress": settings}, "3": {"egress": settings}}
    assert spine["ports"] == {"1": {"egress": settings}, "2": {"egress": settings}}
    assert leaf["seed"] != spine["seed"]
    ImpairmentConfig.from_dict(leaf)


def test_nothing_to_do_with_netem_or_perfect_links() -> None:
    impaired = single_rack(1, host_link=LinkProfile(loss_pct=1))
    assert switch_impairment(impaired, "s1", seed=0, netem=True) is None
    assert (
        switch_impairment(single_rack(1, host_link=LinkProfile(bw_mbit=5)), "s1", 0, False) is None
    )


@pytest.mark.mininet
def test_switch_impairs_links_where_there_is_no_netem(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    require_root: None,
    l3fwd_build: Path,
    install_routes: Callable[[InaNetwork], None],
) -> None:
    """h1's link delays 15 ms each way, ps's link loses everything; h2's is perfect."""
    monkeypatch.setenv("INALAB_RUN_DIR", str(tmp_path / "runs"))
    base = single_rack(2, program="l3fwd", grpc_base_port=20491)
    links = []
    for link in base.links:
        if "h1" in (link.a, link.b):
            link = replace(link, delay_ms=15)
        elif "ps" in (link.a, link.b):
            link = replace(link, loss_pct=100)
        links.append(link)
    topo = replace(base, links=tuple(links))
    net = InaNetwork(
        topo, build_dir=l3fwd_build, log_dir=tmp_path / "logs", pcap_dir=None, netem=False,
        thrift_base_port=19491, seed=3,
    )  # fmt: skip
    with net:
        install_routes(net)
        out = net.host("h1").cmd("ping -c 3 -i 0.2 -W 2 10.0.1.2")
        assert "3 received" in out, out
        rtts = [float(m) for m in re.findall(r"time=([\d.]+) ms", out)]
        # h1 -> s1 and s1 -> h1 are each delayed 15 ms; h2's link is not.
        assert len(rtts) == 3 and all(30.0 <= t < 200.0 for t in rtts), out
        assert net.ping("h2", "h1")
        assert not net.ping("h2", "ps"), "ps's link drops every frame"
    config = (tmp_path / "logs" / "s1.impairment.json").read_text()
    assert '"1": {\n   "both": {\n    "delay_ms": 15.0' in config
