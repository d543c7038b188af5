"""The INA program driven the way the controller will drive it: pipeline pushed and
tables written over P4Runtime (the real p4runtime-shell) to our server, packets
through the switch core."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from p4.v1 import p4runtime_pb2
from p4runtime_sh import shell as sh

from inalab.compiler import compile_file
from inalab.protocol import format as fmt
from inalab.protocol.constants import InaEvent, JobMode, P4Names
from inalab.switch.p4runtime.server import start_server

from .harness import P4SRC, PROGRAM, TEST_SLOTS, Rig
from .packets import contribution, host_ip, host_mac, parse

pytestmark = pytest.mark.integration

PORTS = (1, 2)


@pytest.fixture
def p4rt(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig()
    prog = compile_file(PROGRAM, include_dirs=[P4SRC], defines={"INA_SLOTS": str(TEST_SLOTS)})
    json_path, info_path = tmp_path / "ina.json", tmp_path / "ina.p4info.txtpb"
    prog.write(json_path, info_path)
    server = start_server(rig.sw, "127.0.0.1:0", device_id=1)
    try:
        sh.setup(
            device_id=1,
            grpc_addr=f"127.0.0.1:{server.port}",
            election_id=(0, 1),
            config=sh.FwdPipeConfig(str(info_path), str(json_path)),
            verbose=False,
        )
        try:
            yield rig
        finally:
            sh.teardown()
    finally:
        server.stop()


def test_job_installed_over_p4runtime_aggregates(p4rt: Rig) -> None:
    te = sh.TableEntry(P4Names.JOB_REGION)(action=P4Names.SET_JOB_REGION)
    te.match["job_id"] = "7"
    params = {
        "region_base": "4", "region_size": "8", "n_workers": "2", "mcast_grp": "3",
        "mode": str(int(JobMode.DEDICATED)), "ps_addr": "0", "upstream_addr": "0", "job_index": "5",
    }  # fmt: skip
    for k, v in params.items():
        te.action[k] = v
    te.insert()
    for i, port in enumerate(PORTS):
        m = sh.TableEntry(P4Names.JOB_MEMBER)(action=P4Names.SET_JOB_MEMBER)
        m.match["job_id"] = "7"
        m.match["ingress_port"] = str(port)
        m.action["worker_index"] = str(i)
        m.insert()
        d = sh.TableEntry(P4Names.RESULT_DESTINATION)(action=P4Names.SET_RESULT_DESTINATION)
        d.match["egress_port"] = str(port)
        d.action["dst_mac"] = str(host_mac(port))
        d.action["dst_addr"] = str(host_ip(port))
        d.insert()
    g = sh.MulticastGroupEntry(3)
    for port in PORTS:
        g.add(port, 1)
    g.insert()

    rows = [np.arange(32) * 3, np.full(32, -7)]
    assert p4rt.send(1, contribution(0, rows[0], job=7, slot=2)) == []
    out = p4rt.send(2, contribution(1, rows[1], job=7, slot=2))
    assert [p for p, _ in out] == list(PORTS)
    got = parse(out[0][1])
    assert got.ina.msg_type == fmt.MsgType.RESULT and got.dst_ip == host_ip(1)
    np.testing.assert_array_equal(got.values, rows[0] + rows[1])
    # region base 4 + slot 2, read back over P4Runtime
    # (p4runtime-shell 0.0.6 has no RegisterEntry: a raw read through its client)
    entity = p4runtime_pb2.Entity()
    info = sh.client.get_p4info()
    [reg_id] = [r.preamble.id for r in info.registers if r.preamble.name == P4Names.BITMAP_REG]
    entity.register_entry.register_id = reg_id
    entity.register_entry.index.index = 6
    [resp] = list(sh.client.read_one(entity))
    cell = resp.entities[0].register_entry
    assert int.from_bytes(cell.data.bitstring, "big") == 0b11
    ctr = sh.CounterEntry(P4Names.JOB_EVENT_COUNTER)
    ctr.index = 5 * 16 + InaEvent.COMPLETED
    [entry] = list(ctr.read())
    assert entry.data.packet_count == 1
