"""Mininet networks built from specs (root; marked mininet)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inalab.compiler import compile_file
from inalab.topologies.builders import multi_rack, single_rack
from inalab.topologies.cleanup import clean_run, interface_exists
from inalab.topologies.errors import (
    EnvironmentProblem,
    LeftoverRunError,
    PortInUseError,
    SwitchStartError,
)
from inalab.topologies.loader import topology_from_dict
from inalab.topologies.net import InaNetwork
from inalab.topologies.p4switch import P4Switch
from inalab.topologies.runs import RunProcess, RunRecord, all_runs, pid_alive
from inalab.topologies.spec import LinkProfile, Topology


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INALAB_RUN_DIR", str(tmp_path / "runs"))
    return tmp_path / "runs"


def _tiny(switch: str = "tqs1") -> dict[str, object]:
    return {
        "name": "tiny",
        "switches": [{"name": switch, "device_id": 7, "grpc_port": 20391, "program": None}],
        "hosts": [
            {"name": "tqh1", "ip": "10.0.9.1/24", "mac": "02:00:00:00:09:01", "rank": 0},
            {"name": "tqh2", "ip": "10.0.9.2/24", "mac": "02:00:00:00:09:02", "role": "ps"},
        ],
        "links": [{"a": "tqh1", "b": switch}, {"a": "tqh2", "b": switch}],
    }


@pytest.mark.mininet
def test_build_sets_up_hosts_links_and_tc_then_leaves_nothing(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, require_root: None
) -> None:
    link = LinkProfile(bw_mbit=20, queue_pkts=40, delay_ms=2, loss_pct=1)
    topo = single_rack(2, program=None, host_link=link)
    net = InaNetwork(topo, log_dir=tmp_path / "logs", pcap_dir=None, netem=False)
    net.preflight()
    try:
        net.build()
        h1 = net.host("h1")
        assert h1.IP() == "10.0.1.1" and h1.MAC() == "02:00:00:00:01:01"
        assert h1.offloads_off()
        # shell=True inside the host's namespace, with $SHELL unset as cron and CI leave it
        monkeypatch.delenv("SHELL", raising=False)
        proc = h1.popen("ip -o addr show dev h1-eth0 | wc -l && echo $0", shell=True, text=True)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert out.split() == ["1", "/bin/sh"]
        neigh = h1.cmd("ip neigh show dev h1-eth0")
        assert "10.0.1.2 lladdr 02:00:00:00:01:02 PERMANENT" in neigh
        assert "10.0.1.100 lladdr 02:00:00:00:01:64 PERMANENT" in neigh
        for intf, node in (("s1-eth1", net.switch("s1")), ("h1-eth0", h1)):
            qdiscs = node.cmd(f"tc qdisc show dev {intf}")
            assert "htb 5: root" in qdiscs and "pfifo 10: parent 5:1 limit 40p" in qdiscs
        impairment = (tmp_path / "logs" / "s1.impairment.json").read_text()
        assert '"both"' in impairment and '"loss": 0.01' in impairment
        (record,) = all_runs()
        assert record.interfaces == ("s1-eth1", "s1-eth2", "s1-eth3")
        shells = [net.host(h.name).shell.pid for h in topo.hosts]
    finally:
        net.stop()
    assert not any(interface_exists(f"s1-eth{i}") for i in (1, 2, 3))
    assert not any(pid_alive(p) for p in shells)
    assert all_runs() == []


@pytest.mark.mininet
def test_preflight_names_leftovers(run_dir: Path, require_root: None) -> None:
    topo = topology_from_dict(_tiny())
    net = InaNetwork(topo)
    # An interface where the switch's port would go, as a crash leaves it.
    subprocess.run(
        ["ip", "link", "add", "tqs1-eth1", "type", "veth", "peer", "name", "tqh1-eth0"], check=True
    )
    try:
        with pytest.raises(LeftoverRunError, match="interfaces tqs1-eth1 already exist"):
            net.preflight()
        true = subprocess.Popen(["true"])
        true.wait()
        RunRecord(true.pid, "tiny", 0.0, interfaces=("tqs1-eth1",)).save()
        with pytest.raises(
            LeftoverRunError,
            match=rf"crashed run of tiny \(pid {true.pid}\) left tqs1-eth1: run inalab-clean",
        ):
            net.preflight()
    finally:
        subprocess.run(["ip", "link", "del", "tqs1-eth1"], check=False)


@pytest.mark.mininet
def test_switch_refuses_a_busy_port(require_root: None, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        sw = P4Switch("tqs2", device_id=8, grpc_port=port, log_dir=tmp_path, pcap_dir=None)
        try:
            with pytest.raises(
                PortInUseError, match=f"switch tqs2: gRPC port {port} is already in use"
            ):
                sw.start()
            assert sw.switch_pid is None
        finally:
            sw.terminate()


@pytest.mark.mininet
def test_switch_that_dies_reports_its_log(require_root: None, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    sw = P4Switch(
        "tqs3", device_id=9, grpc_port=20393, json_path=bad, log_dir=tmp_path, pcap_dir=None
    )
    try:
        with pytest.raises(SwitchStartError) as info:
            sw.start()
    finally:
        sw.stop()
        sw.terminate()
    message = str(info.value)
    assert "switch tqs3: inalab-switch exited with status" in message
    assert "before listening on port 20393" in message
    assert f"last lines of {tmp_path / 'tqs3.out'}" in message
    assert "inalab-switch: error" in message
    assert not sw.running()


CRASHING_OWNER = """
import os, signal, sys
from pathlib import Path
from inalab.compiler import compile_file
from inalab.topologies.builders import multi_rack, single_rack
from inalab.topologies.net import InaNetwork
net = InaNetwork(single_rack(1, program=None, grpc_base_port=20521), log_dir=Path(sys.argv[1]),
                 pcap_dir=None, thrift_base_port=19521)
net.start()
print(net.switch("s1").switch_pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.mininet
def test_crashed_run_is_detected_then_cleaned(
    run_dir: Path, tmp_path: Path, require_root: None
) -> None:
    """The owner dies by SIGKILL: its switch survives (own session) and holds its
    ports; the next start says so, and cleaning the record ends the switch."""
    proc = subprocess.run(
        [sys.executable, "-c", CRASHING_OWNER, str(tmp_path / "logs")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == -9, proc.stderr
    switch_pid = int(proc.stdout.split()[0])
    try:
        (record,) = all_runs()
        assert record.leftover and record.ports == (20521, 19521)
        # the host shells read their owner's pipe and end at its EOF, soon but not at
        # once on a loaded machine; the switch, in its own session, stays
        deadline = time.monotonic() + 15
        alive = [p.role for p in record.processes if p.matches()]
        while alive != ["switch s1"] and time.monotonic() < deadline:
            time.sleep(0.1)
            alive = [p.role for p in record.processes if p.matches()]
        assert alive == ["switch s1"]
        again = InaNetwork(
            single_rack(1, program=None, grpc_base_port=20521), thrift_base_port=19521
        )
        with pytest.raises(
            LeftoverRunError, match=r"may still hold port\(s\) 19521, 20521: run inalab-clean"
        ):
            again.preflight()
        report = clean_run(record)
        assert report.killed == [f"switch s1 (pid {switch_pid})"]
        assert not RunProcess(switch_pid, record.processes[0].executable, "").matches()
        again.preflight()
    finally:
        if pid_alive(switch_pid):
            os.kill(switch_pid, signal.SIGKILL)


@pytest.mark.mininet
def test_switch_that_never_listens_times_out(require_root: None, tmp_path: Path) -> None:
    sw = P4Switch("tqs4", device_id=10, grpc_port=20394, thrift_port=19394, log_dir=tmp_path,
                  pcap_dir=None, start_timeout=1.5, extra_args=("--no-grpc",))  # fmt: skip
    try:
        with pytest.raises(
            SwitchStartError, match=r"switch tqs4: gRPC port 20394 not listening after 1\.5 s"
        ):
            sw.start()
        assert not sw.running() and sw.switch_pid is None
    finally:
        sw.stop()
        sw.terminate()


@pytest.mark.mininet
def test_port_bound_but_not_listening_is_reported_as_in_use(
    require_root: None, tmp_path: Path
) -> None:
    """A socket that holds the port without listening passes the pre-check; the
    switch's own bind then fails, and that is told as a port problem."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        sw = P4Switch("tqs5", device_id=11, grpc_port=port, thrift_port=19395, log_dir=tmp_path,
                      pcap_dir=None)  # fmt: skip
        try:
            with pytest.raises(
                PortInUseError, match=f"switch tqs5: could not bind its ports \\(gRPC {port}"
            ):
                sw.start()
        finally:
            sw.stop()
            sw.terminate()


@pytest.fixture(scope="module")
def ina_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """p4src/ina.p4 compiled by inalab's compiler, once for this module."""
    repo = Path(__file__).resolve().parents[2]
    build = tmp_path_factory.mktemp("ina-build")
    compile_file(repo / "p4src" / "ina.p4", include_dirs=[repo / "p4src"]).write(
        build / "ina.json", build / "ina.p4info.txtpb"
    )
    return build


@pytest.mark.mininet
@pytest.mark.parametrize(
    "topo",
    [single_rack(2, grpc_base_port=20531), multi_rack(2, 1, grpc_base_port=20541)],
    ids=["single-rack", "multi-rack"],
)
def test_the_projects_ina_program_runs_on_every_switch(
    topo: Topology, run_dir: Path, tmp_path: Path, require_root: None, ina_build: Path
) -> None:
    """p4src/ina.p4 loads in every switch of a network."""
    with InaNetwork(topo, build_dir=ina_build, log_dir=tmp_path / "logs", pcap_dir=None,
                    thrift_base_port=19531) as net:  # fmt: skip
        assert all(sw.connected() for sw in net.switches())
        assert all(sw.json_path == ina_build / "ina.json" for sw in net.switches())
    for s in topo.switches:
        out = (tmp_path / "logs" / f"{s.name}.out").read_text()
        assert f"{ina_build / 'ina.json'} --" in out and "running" in out


@pytest.mark.mininet
def test_bmv2_cannot_impair_links_without_netem(run_dir: Path, require_root: None) -> None:
    topo = single_rack(1, program=None, host_link=LinkProfile(loss_pct=1), grpc_base_port=20551)
    net = InaNetwork(topo, kind="bmv2", netem=False)
    with pytest.raises(
        EnvironmentProblem, match="link h1-s1: impairments need tc netem or inalab-switch"
    ):
        net.preflight()
    InaNetwork(topo, kind="bmv2", netem=True).preflight()
