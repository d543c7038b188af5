"""Topology files: JSON and YAML, with errors naming the file and the node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inalab.topologies.builders import leaf_spine, single_rack
from inalab.topologies.errors import TopologyError
from inalab.topologies.loader import load_topology, save_topology, topology_from_dict
from inalab.topologies.spec import LinkProfile

YAML_TOPO = """\
name: tiny
switches:
  - {name: s1, device_id: 0, grpc_port: 50051, program: ina}
hosts:
  - {name: h1, ip: 10.0.1.1/24, mac: "02:00:00:00:01:01", role: worker, rank: 0}
  - {name: h2, ip: 10.0.1.2/24, mac: "02:00:00:00:01:02", role: ps}
links:
  - {a: h1, b: s1, bw_mbit: 100, delay_ms: 1}
  - {a: h2, b: s1}
"""


def test_yaml_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(YAML_TOPO)
    topo = load_topology(path)
    assert topo.name == "tiny"
    assert topo.host("h2").role == "ps"
    assert topo.links[0].bw_mbit == 100
    assert topo.switch_ports("s1")[2].node == "h2"


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    for topo in (
        single_rack(2, host_link=LinkProfile(bw_mbit=10, queue_pkts=30)),
        leaf_spine(2, 1),
    ):
        path = tmp_path / f"t{suffix}"
        save_topology(topo, path)
        assert load_topology(path) == topo


def test_error_names_file_and_node(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(YAML_TOPO.replace("10.0.1.2/24", "10.0.1.300/24"))
    with pytest.raises(TopologyError, match=rf"{path}: hosts\[1\] \(h2\): host h2: bad ip"):
        load_topology(path)


def test_link_error_names_link(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(YAML_TOPO.replace("bw_mbit: 100, delay_ms: 1", "jitter_ms: 1"))
    with pytest.raises(
        TopologyError, match=r"links\[0\] \(h1-s1\): link h1-s1: jitter requires delay"
    ):
        load_topology(path)


def test_unknown_and_missing_keys() -> None:
    with pytest.raises(TopologyError, match=r"switches\[0\] \(s1\): unknown key\(s\) colour"):
        topology_from_dict(
            {
                "name": "t",
                "switches": [{"name": "s1", "device_id": 0, "grpc_port": 50051, "colour": 1}],
            }
        )
    with pytest.raises(TopologyError, match=r"switches\[0\] \(s1\): missing key\(s\) grpc_port"):
        topology_from_dict({"name": "t", "switches": [{"name": "s1", "device_id": 0}]})
    with pytest.raises(TopologyError, match=r"top level: unknown key\(s\) nodes"):
        topology_from_dict({"name": "t", "nodes": []})
    with pytest.raises(TopologyError, match=r"links: expected a list, got dict"):
        topology_from_dict({"name": "t", "links": {}})


def test_bad_json_and_bad_suffix(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{"name": "t",')
    with pytest.raises(TopologyError, match=rf"{path}:1:\d+: bad JSON"):
        load_topology(path)
    other = tmp_path / "t.txt"
    other.write_text(json.dumps({"name": "t"}))
    with pytest.raises(TopologyError, match="unknown file type"):
        load_topology(other)
    with pytest.raises(TopologyError, match="cannot read"):
        load_topology(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("name: x\nhosts: [\n", "3:1", "expected the node content"),
        ("name: x\n  hosts: 3\n", "2:8", "mapping values are not allowed here"),
    ],
)
def test_bad_yaml_is_one_line_with_file_line_and_column(
    tmp_path: Path, text: str, where: str, problem: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(TopologyError) as info:
        load_topology(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{where}: bad YAML: {problem}"), message
    assert "\n" not in message and "<unicode string>" not in message
