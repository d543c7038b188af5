"""inalab-worker processes on Mininet hosts, through the real inalab-switch process
running p4src/ina.p4 (AF_PACKET on veth links), over their UDP sockets (root)."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inalab.hosts import quantize as qz
from inalab.protocol import format as fmt

REPO = Path(__file__).resolve().parents[2]
P4SRC = REPO / "p4src"
BIN = Path(sys.executable).parent
# below the ephemeral range and away from the defaults and the other tests' ports
GRPC_BASE = 20571
THRIFT_BASE = 19571
MCAST, WORKERS, SLOTS = 1, 3, 16
# One job per worker run: a new worker process starts its packet sequence at 0, so it
# needs a fresh region (the controller resets a job's region when it admits the job).
INT_JOB, FLOAT_JOB = 3, 4
VALUES = 2000
INT_PACKETS = -(-VALUES // fmt.DEFAULT_LANES)  # one packet per block for int32


def _ip_int(cidr: str) -> int:
    return int(ipaddress.IPv4Interface(cidr).ip)


def _mac_int(mac: str) -> int:
    return int(mac.replace(":", ""), 16)


@pytest.mark.mininet
def test_worker_processes_allreduce_through_the_switch_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, require_root: None
) -> None:
    from inalab.compiler import compile_file
    from inalab.topologies.builders import single_rack
    from inalab.topologies.net import InaNetwork

    monkeypatch.setenv("INALAB_RUN_DIR", str(tmp_path / "runs"))
    build = tmp_path / "build"
    build.mkdir()
    compile_file(P4SRC / "ina.p4", include_dirs=[P4SRC]).write(
        build / "ina.json", build / "ina.p4info.txtpb"
    )
    topo = single_rack(WORKERS, program="ina", grpc_base_port=GRPC_BASE)
    workers = [h for h in topo.hosts if h.role == "worker"]
    ps = next(h for h in topo.hosts if h.role != "worker")
    assert len(workers) == WORKERS
    net = InaNetwork(
        topo, build_dir=build, log_dir=tmp_path / "logs", pcap_dir=tmp_path / "pcaps",
        thrift_base_port=THRIFT_BASE,
    )  # fmt: skip
    rng = np.random.default_rng(11)
    xs = [rng.integers(-(2**20), 2**20, VALUES, dtype=np.int32) for _ in workers]
    xf = [rng.standard_normal(VALUES).astype(np.float32) for _ in workers]
    with net:
        ports = {h.name: i for i, h in enumerate(topo.hosts, 1)}  # single_rack: h_i on port i
        agg = "InaIngress.aggregation_control"
        cmds = [
            f"table_add {agg}.job_region {agg}.set_job_region {job} => "
            f"{base} {SLOTS} {WORKERS} {MCAST} 0 0 0 {index}"
            for index, (job, base) in enumerate(((INT_JOB, 0), (FLOAT_JOB, SLOTS)))
        ]
        cmds += [
            f"mc_mgrp_create {MCAST}",
            "mc_node_create 0 " + " ".join(str(ports[h.name]) for h in workers),
            f"mc_node_associate {MCAST} 0",
        ]
        for i, h in enumerate(workers):
            cmds += [
                f"table_add {agg}.job_member {agg}.set_job_member {job} {ports[h.name]} => {i}"
                for job in (INT_JOB, FLOAT_JOB)
            ]
            rd = "InaEgress.result_delivery_control"
            cmds.append(
                f"table_add {rd}.result_destination {rd}.set_result_destination "
                f"{ports[h.name]} => {_mac_int(h.mac)} {_ip_int(h.ip)}"
            )
        r = subprocess.run(
            [sys.executable, "-m", "inalab.switch.runtime_cli",
             "--thrift-port", str(net.thrift_port("s1"))],
            input="\n".join(cmds) + "\n", capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert r.returncode == 0, r.stdout + r.stderr
        server = str(ipaddress.IPv4Interface(ps.ip).ip)
        for name, job_id in (("int", INT_JOB), ("float", FLOAT_JOB)):
            job = {
                "job_id": job_id,
                "rank": 0,
                "n_workers": WORKERS,
                "server": server,
                "via": "switch",
                "slots": SLOTS,
                "timeout": 30.0,
                "rto": 0.05,
                "multicast_group": MCAST,
                "paths": 2,
            }
            (tmp_path / f"{name}.json").write_text(json.dumps(job))
        for h in workers:
            # strict reverse-path filtering and no accept_local: results leave the switch
            # from the address the contributions went to, never the receiver's own
            host = net.host(h.name)
            for conf in ("all", "default", str(host.defaultIntf())):
                host.cmd(f"sysctl -q -w net.ipv4.conf.{conf}.accept_local=0")
                host.cmd(f"sysctl -q -w net.ipv4.conf.{conf}.rp_filter=1")
        procs = []
        for i, h in enumerate(workers):
            np.save(tmp_path / f"i{i}.npy", xs[i])
            np.save(tmp_path / f"f{i}.npy", xf[i])
            run = f"{BIN / 'inalab-worker'} --rank {i} --config {tmp_path}"
            procs.append(
                net.host(h.name).popen(
                    f"{run}/int.json --input {tmp_path}/i{i}.npy --output {tmp_path}/oi{i}.npy"
                    f" && {run}/float.json --input {tmp_path}/f{i}.npy"
                    f" --output {tmp_path}/of{i}.npy"
                    # the int job again in a new process, continuing its packet sequence
                    f" && {run}/int.json --first-packet {INT_PACKETS} --input {tmp_path}/i{i}.npy"
                    f" --output {tmp_path}/oi2{i}.npy",
                    shell=True,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        outs = [p.communicate(timeout=120) for p in procs]
    report = "\n".join(
        f"rank {i}: rc {p.returncode}: {o} {e}"
        for i, (p, (o, e)) in enumerate(zip(procs, outs, strict=True))
    )
    for p, (out, _err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, report
        stats = [json.loads(x) for x in out.splitlines()]
        assert [s["exact"] for s in stats] == [s["blocks"] for s in stats]
        assert [s["first_packet"] for s in stats] == [0, 0, INT_PACKETS]
        assert stats[0]["packets"] == INT_PACKETS
    want = np.sum(xs, axis=0, dtype=np.int32)
    exact = np.sum(np.array(xf, dtype=np.float64), axis=0)
    agreed = np.max([qz.block_exponents(qz.chunk(x, fmt.DEFAULT_LANES)) for x in xf], axis=0)
    per_block = qz.error_bound(agreed, WORKERS)
    bound = np.repeat(per_block, fmt.DEFAULT_LANES)[: exact.size] + np.abs(exact) * 2.0**-23
    for i in range(WORKERS):
        assert np.array_equal(np.load(tmp_path / f"oi{i}.npy"), want)
        assert np.array_equal(np.load(tmp_path / f"oi2{i}.npy"), want)
        assert np.all(np.abs(np.load(tmp_path / f"of{i}.npy") - exact) <= bound)
