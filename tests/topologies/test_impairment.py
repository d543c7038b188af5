"""Link impairments become the switch's own --impairment file, which the switch accepts."""

from __future__ import annotations

from inalab.switch.impairment import ImpairmentConfig
from inalab.topologies.builders import leaf_spine, single_rack
from inalab.topologies.impairment import switch_impairment, switch_seed
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
