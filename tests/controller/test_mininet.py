"""The controller drives a Mininet network of inalab-switch processes started
without a program (--no-p4): it pushes the pipeline, programs the network over
P4Runtime, admits two jobs, and inalab-worker processes on the hosts, configured
from the controller's member configurations, allreduce exactly (root)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inalab.controller.fabric import Fabric, Pipeline
from inalab.controller.jobs import JobManager
from inalab.controller.policies import make_policy
from inalab.controller.requests import JobRequest

BIN = Path(sys.executable).parent
GRPC_BASE = 20671  # away from the other Mininet tests' ports
THRIFT_BASE = 19671
VALUES = 1000


@pytest.mark.mininet
def test_controller_programs_mininet_and_workers_allreduce(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, require_root: None
) -> None:
    from google.protobuf import text_format

    from inalab.topologies.builders import gateway_mac, host_ip, host_mac
    from inalab.topologies.net import InaNetwork
    from inalab.topologies.spec import HostSpec, Link, SwitchSpec, Topology

    from .helpers import compiled_pipeline

    monkeypatch.setenv("INALAB_RUN_DIR", str(tmp_path / "runs"))
    pipe = compiled_pipeline()
    (tmp_path / "ina.json").write_bytes(pipe.device_config)
    (tmp_path / "ina.p4info.txtpb").write_text(text_format.MessageToString(pipe.p4info))
    # node names of their own, so other Mininet runs on the machine do not clash
    hosts = [HostSpec(f"cw{i}", host_ip(1, i), host_mac(1, i), rank=i - 1) for i in range(1, 5)]
    hosts.append(HostSpec("cps", host_ip(1, 100), host_mac(1, 100), role="ps"))
    switch = SwitchSpec("cs1", 0, GRPC_BASE, None, router_mac=gateway_mac(1))
    links = [Link(h.name, "cs1", port_b=i) for i, h in enumerate(hosts, 1)]
    topo = Topology("ctl-rack", tuple(hosts), (switch,), tuple(links))
    net = InaNetwork(topo, log_dir=tmp_path / "logs", pcap_dir=None, thrift_base_port=THRIFT_BASE)
    rng = np.random.default_rng(5)
    jobs = {21: ["cw1", "cw2"], 22: ["cw3", "cw4"]}
    data = {
        h: rng.integers(-(2**20), 2**20, VALUES, dtype=np.int32) for m in jobs.values() for h in m
    }
    with net:
        fabric = Fabric(topo, Pipeline.load(tmp_path / "ina.json", tmp_path / "ina.p4info.txtpb"))
        try:
            fabric.connect_all()
            manager = JobManager(fabric, make_policy("static"))
            procs = {}
            for job, members in jobs.items():
                manager.register(JobRequest(job, tuple(members), worker={"timeout": 30.0}))
                for rank, h in enumerate(members):
                    cfg = manager.member_config(job, rank)["config"]
                    (tmp_path / f"{h}.json").write_text(json.dumps(cfg))
                    np.save(tmp_path / f"{h}.npy", data[h])
                    host = net.host(h)
                    procs[h] = host.popen(
                        f"{BIN / 'inalab-worker'} --config {tmp_path}/{h}.json "
                        f"--input {tmp_path}/{h}.npy --output {tmp_path}/{h}.out.npy",
                        shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                    )  # fmt: skip
            outs = {h: p.communicate(timeout=120) for h, p in procs.items()}
            for h, p in procs.items():
                assert p.returncode == 0, f"{h}: {outs[h]}"
            for members in jobs.values():
                want = np.sum([data[h] for h in members], axis=0, dtype=np.int32)
                for h in members:
                    assert np.array_equal(np.load(tmp_path / f"{h}.out.npy"), want)
            assert fabric.read_back("cs1") == fabric.installed("cs1")
        finally:
            fabric.close()
