"""The ready-made topologies follow the documented addressing plan."""

from __future__ import annotations

import pytest

from inalab.topologies.builders import gateway_mac, leaf_spine, multi_rack, single_rack
from inalab.topologies.errors import TopologyError
from inalab.topologies.spec import LinkProfile


def test_single_rack_addressing_and_ports() -> None:
    topo = single_rack(3, host_link=LinkProfile(bw_mbit=100))
    assert [(h.name, h.ip, h.mac, h.role, h.rank) for h in topo.hosts] == [
        ("h1", "10.0.1.1/24", "02:00:00:00:01:01", "worker", 0),
        ("h2", "10.0.1.2/24", "02:00:00:00:01:02", "worker", 1),
        ("h3", "10.0.1.3/24", "02:00:00:00:01:03", "worker", 2),
        ("ps", "10.0.1.100/24", "02:00:00:00:01:64", "ps", None),
    ]
    (s1,) = topo.switches
    assert (s1.name, s1.device_id, s1.grpc_port, s1.program, s1.cpu_port) == (
        "s1",
        0,
        50051,
        "ina",
        255,
    )
    assert {p: peer.node for p, peer in topo.switch_ports("s1").items()} == {
        1: "h1",
        2: "h2",
        3: "h3",
        4: "ps",
    }
    assert all(link.bw_mbit == 100 for link in topo.links)
    assert all(h.gateway is None for h in topo.hosts)


def test_leaf_spine_has_equal_cost_paths() -> None:
    topo = leaf_spine(4, 2, fabric_link=LinkProfile(bw_mbit=50))
    leaves = [s for s in topo.switches if s.tier == 0]
    spines = [s for s in topo.switches if s.tier == 1]
    assert [s.name for s in leaves] == ["leaf1", "leaf2", "leaf3", "leaf4"]
    assert [s.name for s in spines] == ["spine1", "spine2"]
    assert [s.grpc_port for s in topo.switches] == list(range(50051, 50057))
    for leaf in leaves:
        uplinks = [
            p.node for p in topo.switch_ports(leaf.name).values() if p.node.startswith("spine")
        ]
        assert uplinks == ["spine1", "spine2"]
    for spine in spines:
        assert {p: peer.node for p, peer in topo.switch_ports(spine.name).items()} == {
            1: "leaf1",
            2: "leaf2",
            3: "leaf3",
            4: "leaf4",
        }
    r2h1 = topo.host("r2h1")
    assert (r2h1.ip, r2h1.rank, r2h1.gateway, r2h1.gateway_mac) == (
        "10.0.2.1/24",
        2,
        "10.0.2.254",
        gateway_mac(2),
    )
    assert topo.attachment("ps") == ("leaf4", 3)
    assert topo.host("ps").ip == "10.0.4.100/24"


def test_multi_rack_two_levels() -> None:
    topo = multi_rack(3, 2)
    assert [(s.name, s.tier) for s in topo.switches] == [
        ("tor1", 0),
        ("tor2", 0),
        ("tor3", 0),
        ("core1", 1),
    ]
    assert topo.port_towards("tor2", "core1") == 3
    assert topo.port_towards("core1", "tor3") == 3
    assert topo.attachment("ps") == ("core1", 4)
    assert topo.host("ps").ip == "10.0.0.100/24"
    assert [w.rank for w in topo.workers] == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: single_rack(0), "workers must be an integer 1..99, not 0"),
        (lambda: leaf_spine(5), "leaves must be an integer 2..4, not 5"),
        (lambda: multi_rack(1), "racks must be an integer 2..16, not 1"),
    ],
)
def test_builders_reject_bad_sizes(build: object, message: str) -> None:
    with pytest.raises(TopologyError, match=message.replace(".", r"\.")):
        build()  # type: ignore[operator]
