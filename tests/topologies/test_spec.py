"""Validation of topology dataclasses: every mistake names its node or link."""

from __future__ import annotations

import pytest

from inalab.topologies.errors import TopologyError
from inalab.topologies.spec import HostSpec, Link, LinkProfile, SwitchSpec, Topology


def _host(
    name: str = "h1", ip: str = "10.0.1.1/24", mac: str = "02:00:00:00:01:01", **kw: object
) -> HostSpec:
    return HostSpec(name, ip, mac, **kw)  # type: ignore[arg-type]


def _topo(hosts: list[HostSpec], links: list[Link], **sw: object) -> Topology:
    switch = SwitchSpec(**{"name": "s1", "device_id": 0, "grpc_port": 50051, **sw})  # type: ignore[arg-type]
    return Topology("t", tuple(hosts), (switch,), tuple(links))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"jitter_ms": 1.0}, "link s1-h1: jitter requires delay"),
        ({"reorder_pct": 5.0}, "link s1-h1: reorder requires delay"),
        ({"delay_ms": 1.0, "jitter_ms": 2.0}, "link s1-h1: jitter 2.0 ms exceeds delay 1.0 ms"),
        ({"loss_pct": 101}, "link s1-h1: loss_pct 101 is outside 0..100"),
        ({"bw_mbit": 0}, "link s1-h1: bw_mbit 0 is outside"),
        ({"bw_mbit": "fast"}, "link s1-h1: bw_mbit must be a number"),
        ({"queue_pkts": 0}, "link s1-h1: queue_pkts must be a positive integer"),
        ({"port_a": 511}, "link s1-h1: port_a must be an integer 0..510"),
    ],
)
def test_link_rejects_bad_properties(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(TopologyError, match=message.replace(".", r"\.")):
        Link("s1", "h1", **kwargs)  # type: ignore[arg-type]


def test_link_rejects_self_loop() -> None:
    with pytest.raises(TopologyError, match="link s1-s1: a link needs two different nodes"):
        Link("s1", "s1")


def test_link_profile_round_trips_and_reports_impairment() -> None:
    p = LinkProfile(bw_mbit=10, delay_ms=2, jitter_ms=1, loss_pct=0.5, queue_pkts=100)
    link = Link.between("h1", "s1", p, port_b=3)
    assert link.profile == p
    assert link.port_b == 3
    assert p.impaired
    assert not LinkProfile(bw_mbit=10, queue_pkts=5).impaired


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ip": "10.0.1.300/24"}, "host h1: bad ip '10.0.1.300/24'"),
        ({"ip": "10.0.1.1"}, "host h1: ip '10.0.1.1' needs a prefix length"),
        ({"ip": "10.0.1.0/24"}, "host h1: ip 10.0.1.0/24 is the network or broadcast address"),
        ({"mac": "02:00:00:00:01"}, "host h1: bad MAC"),
        ({"mac": "01:00:00:00:01:01"}, "host h1: MAC 01:00:00:00:01:01 is a multicast address"),
        ({"role": "chief"}, "host h1: role 'chief' is not one of worker, ps"),
        ({"rank": -1}, "host h1: rank must be a non-negative integer"),
        ({"role": "ps", "rank": 0}, "host h1: a parameter server has no worker rank"),
        ({"gateway": "10.0.1.254"}, "host h1: gateway and gateway_mac go together"),
        (
            {"gateway": "10.0.2.254", "gateway_mac": "02:00:00:00:01:fe"},
            "host h1: gateway 10.0.2.254 is outside 10.0.1.0/24",
        ),
        ({"name": "averyverylongname"}, "host 'averyverylongname': name must be"),
        ({"name": "1h"}, "host '1h': name must be"),
    ],
)
def test_host_rejects_bad_fields(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(TopologyError, match=message.replace(".", r"\.").replace("(", r"\(")):
        _host(**kwargs)  # type: ignore[arg-type]


def test_host_address_and_network() -> None:
    h = _host(gateway="10.0.1.254", gateway_mac="02:00:00:00:01:fe")
    assert h.address == "10.0.1.1"
    assert str(h.network) == "10.0.1.0/24"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"device_id": -1}, "switch s1: device_id -1 is outside"),
        ({"grpc_port": 80}, "switch s1: grpc_port must be an integer 1024..65535"),
        ({"program": "../etc/passwd"}, "switch s1: program '../etc/passwd' is not a file stem"),
        ({"cpu_port": 511}, "switch s1: cpu_port must be an integer 0..510"),
        ({"router_mac": "zz"}, "switch s1: bad MAC 'zz'"),
    ],
)
def test_switch_rejects_bad_fields(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"name": "s1", "device_id": 0, "grpc_port": 50051, **kwargs}
    with pytest.raises(TopologyError, match=message.replace(".", r"\.")):
        SwitchSpec(**args)  # type: ignore[arg-type]


def test_topology_numbers_ports_in_link_order() -> None:
    h1, h2 = _host(), _host("h2", "10.0.1.2/24", "02:00:00:00:01:02")
    topo = _topo([h1, h2], [Link("h1", "s1", port_b=2), Link("h2", "s1")])
    assert [(link.port_a, link.port_b) for link in topo.links] == [(0, 2), (0, 1)]
    ports = topo.switch_ports("s1")
    assert {p: (peer.node, peer.peer_port) for p, peer in ports.items()} == {
        2: ("h1", 0),
        1: ("h2", 0),
    }
    assert topo.port_towards("s1", "h1") == 2
    assert topo.attachment("h2") == ("s1", 1)
    assert topo.interface_name("s1", 2) == "s1-eth2"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: _topo([_host()], []), "host h1: needs exactly one link, has 0"),
        (lambda: _topo([_host()], [Link("h1", "s2")]), "link h1-s2: no node named s2"),
        (
            lambda: _topo([_host()], [Link("h1", "s1", port_b=3), Link("s1", "h1", port_a=3)]),
            "link s1-h1: port 3 of s1 is used twice",
        ),
        (
            lambda: _topo([_host()], [Link("h1", "s1", port_b=255)]),
            "link h1-s1: port 255 is s1's CPU port",
        ),
        (
            lambda: _topo([_host(), _host("h2", mac="02:00:00:00:01:02")], []),
            "host h2: ip 10.0.1.1 already used by h1",
        ),
        (
            lambda: _topo([_host(), _host("h2", "10.0.1.2/24")], []),
            "host h2: mac 02:00:00:00:01:01 already used by h1",
        ),
        (
            lambda: _topo(
                [_host(rank=0), _host("h2", "10.0.1.2/24", "02:00:00:00:01:02", rank=0)], []
            ),
            "host h2: rank 0 already used by h1",
        ),
        (lambda: _topo([_host("s1")], []), "switch s1: name already used by a host"),
        (
            lambda: Topology("t", (), (), ()),
            "topology t: no switches",
        ),
        (
            lambda: _topo(
                [_host(), _host("h2", "10.0.1.2/24", "02:00:00:00:01:02")],
                [Link("h1", "h2"), Link("h1", "s1"), Link("h2", "s1")],
            ),
            "link h1-h2: hosts connect to switches, not to each other",
        ),
    ],
)
def test_topology_rejects_inconsistencies(build: object, message: str) -> None:
    with pytest.raises(TopologyError, match=message.replace(".", r"\.")):
        build()  # type: ignore[operator]


def test_two_switches_cannot_share_device_id_or_port() -> None:
    s1 = SwitchSpec("s1", 0, 50051)
    with pytest.raises(TopologyError, match="switch s2: device_id 0 already used by s1"):
        Topology("t", (), (s1, SwitchSpec("s2", 0, 50052)), ())
    with pytest.raises(TopologyError, match="switch s2: grpc_port 50051 already used by s1"):
        Topology("t", (), (s1, SwitchSpec("s2", 1, 50051)), ())


def test_workers_are_in_rank_order() -> None:
    h = [
        _host("h1", rank=1),
        _host("h2", "10.0.1.2/24", "02:00:00:00:01:02", rank=0),
        _host("ps", "10.0.1.100/24", "02:00:00:00:01:64", role="ps"),
    ]
    topo = _topo(h, [Link(x.name, "s1") for x in h])
    assert [w.name for w in topo.workers] == ["h2", "h1"]
    assert [p.name for p in topo.parameter_servers] == ["ps"]
    with pytest.raises(TopologyError, match="topology t: no host named h9"):
        topo.host("h9")
