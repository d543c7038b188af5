"""Scenario topologies: builders by name, node-name prefixes."""

from __future__ import annotations

import pytest

from inalab.scenarios.errors import ScenarioError
from inalab.scenarios.topos import make_topology, prefixed, ps_name, worker_names
from inalab.topologies.builders import single_rack


def test_prefix_renames_every_node_and_keeps_ports() -> None:
    topo = prefixed(single_rack(3), "q")
    assert [s.name for s in topo.switches] == ["qs1"]
    assert worker_names(topo) == ("qh1", "qh2", "qh3")
    assert ps_name(topo) == "qps"
    assert topo.attachment("qh2") == ("qs1", 2)
    assert topo.interface_name("qs1", 4) == "qs1-eth4"
    assert prefixed(topo, "") is topo


def test_builders_by_name() -> None:
    assert len(worker_names(make_topology("leaf-spine", workers=4, racks=2))) == 4
    multi = make_topology("multi-rack", workers=6, racks=3)
    assert [s.name for s in multi.switches if s.tier == 1] == ["core1"]
    assert len(worker_names(multi)) == 6
    with pytest.raises(ScenarioError, match="unknown topology"):
        make_topology("torus")


def test_too_long_a_prefix_is_a_clear_error() -> None:
    with pytest.raises(ScenarioError, match="prefix"):
        make_topology("leaf-spine", prefix="abcdefgh")
