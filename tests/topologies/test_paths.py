"""Equal-cost next hops over the ready-made topologies."""

from __future__ import annotations

import pytest

from inalab.topologies.builders import leaf_spine, multi_rack, single_rack
from inalab.topologies.errors import TopologyError
from inalab.topologies.loader import topology_from_dict
from inalab.topologies.paths import next_hops, switch_distances


def test_single_rack_is_one_hop() -> None:
    topo = single_rack(3)
    assert next_hops(topo, "s1", "h2") == (2,)
    assert next_hops(topo, "s1", "ps") == (4,)


def test_leaf_spine_spreads_over_every_spine() -> None:
    topo = leaf_spine(3, 2, spines=2)
    assert next_hops(topo, "leaf1", "r1h2") == (2,)
    assert next_hops(topo, "leaf1", "r3h1") == (3, 4)  # both spines
    assert next_hops(topo, "spine2", "r3h1") == (3,)
    assert next_hops(topo, "leaf3", "ps") == (3,)
    assert switch_distances(topo, "leaf2") == {
        "leaf2": 0,
        "spine1": 1,
        "spine2": 1,
        "leaf1": 2,
        "leaf3": 2,
    }


def test_multi_rack_goes_through_the_core() -> None:
    topo = multi_rack(2, 2)
    assert next_hops(topo, "tor1", "r2h1") == (3,)
    assert next_hops(topo, "core1", "r2h1") == (2,)
    assert next_hops(topo, "tor2", "ps") == (3,)


def test_unreachable_host() -> None:
    topo = topology_from_dict(
        {
            "name": "split",
            "switches": [
                {"name": "s1", "device_id": 0, "grpc_port": 50051},
                {"name": "s2", "device_id": 1, "grpc_port": 50052},
            ],
            "hosts": [{"name": "h1", "ip": "10.0.1.1/24", "mac": "02:00:00:00:01:01"}],
            "links": [{"a": "h1", "b": "s1"}],
        }
    )
    with pytest.raises(TopologyError, match="switch s2: no path to host h1"):
        next_hops(topo, "s2", "h1")
