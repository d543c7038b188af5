"""tc commands for queue limits and netem impairments."""

from __future__ import annotations

from pathlib import Path

import pytest

from inalab.topologies.builders import single_rack
from inalab.topologies.cleanup import interface_exists
from inalab.topologies.errors import EnvironmentProblem
from inalab.topologies.net import InaNetwork
from inalab.topologies.spec import LinkProfile
from inalab.topologies.trafficcontrol import child_qdisc_command, netem_args, netem_available


def test_netem_args_cover_every_impairment() -> None:
    p = LinkProfile(
        delay_ms=5, jitter_ms=1, loss_pct=0.5, duplicate_pct=1, reorder_pct=2, queue_pkts=30
    )
    assert netem_args(p) == [
        "delay", "5ms", "1ms", "loss", "0.5%", "duplicate", "1%", "reorder", "2%", "limit", "30",
    ]  # fmt: skip
    assert netem_args(LinkProfile(bw_mbit=10)) == []
    assert netem_args(LinkProfile(queue_pkts=7)) == ["limit", "7"]


def test_child_qdisc_sits_under_the_rate_class() -> None:
    p = LinkProfile(bw_mbit=10, queue_pkts=50, delay_ms=2)
    assert child_qdisc_command("s1-eth1", p, use_netem=False) == (
        [
            "tc",
            "qdisc",
            "replace",
            "dev",
            "s1-eth1",
            "parent",
            "5:1",
            "handle",
            "10:",
            "pfifo",
            "limit",
            "50",
        ]
    )
    assert child_qdisc_command("s1-eth1", p, use_netem=True) == (
        [
            "tc",
            "qdisc",
            "replace",
            "dev",
            "s1-eth1",
            "parent",
            "5:1",
            "handle",
            "10:",
            "netem",
            "delay",
            "2ms",
            "limit",
            "50",
        ]
    )


def test_child_qdisc_at_root_without_rate_and_none_when_nothing_to_do() -> None:
    assert child_qdisc_command("h1-eth0", LinkProfile(queue_pkts=9), use_netem=False) == (
        ["tc", "qdisc", "replace", "dev", "h1-eth0", "root", "handle", "10:", "pfifo", "limit", "9"]
    )
    assert child_qdisc_command("h1-eth0", LinkProfile(delay_ms=1), use_netem=False) is None
    assert child_qdisc_command("h1-eth0", LinkProfile(bw_mbit=1), use_netem=True) is None


@pytest.mark.parametrize("value", ["0", "1"])
def test_netem_probe_can_be_forced(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("INALAB_NETEM", value)
    assert netem_available() is (value == "1")


@pytest.mark.mininet
def test_netem_path_on_this_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, require_root: None
) -> None:
    """Where the kernel has netem, delayed links get a netem qdisc below the rate
    class; where it has none, forcing netem fails with the link and tc's error."""
    monkeypatch.setenv("INALAB_RUN_DIR", str(tmp_path / "runs"))
    monkeypatch.delenv("INALAB_NETEM", raising=False)
    available = netem_available()
    topo = single_rack(
        1, program=None, with_ps=False, host_link=LinkProfile(bw_mbit=10, delay_ms=3)
    )
    net = InaNetwork(topo, log_dir=tmp_path / "logs", pcap_dir=None, netem=True)
    net.preflight()
    try:
        if available:
            net.build()
            qdiscs = net.host("h1").cmd("tc qdisc show dev h1-eth0")
            assert "netem 10: parent 5:1" in qdiscs and "delay 3ms" in qdiscs
        else:
            with pytest.raises(
                EnvironmentProblem,
                match=r"link h1-s1: tc qdisc replace dev \S+ parent 5:1 handle 10: netem delay 3ms limit 1000 failed: \S",
            ):
                net.build()
    finally:
        net.stop()
    assert not interface_exists("s1-eth1")
