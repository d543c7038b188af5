"""The project's own data plane (p4src/ina.p4, compiled by inalab.compiler) behind
the P4Runtime server: every table, register and counter P4Info names is
reachable through P4Runtime. Names are taken from the P4Info, so the test
follows the program as it evolves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.rpc import code_pb2
from p4.v1 import p4runtime_pb2, p4runtime_pb2_grpc

from inalab.compiler.api import CompiledProgram, compile_file
from inalab.switch.core import Switch
from inalab.switch.p4runtime.server import start_server

from .streams import Stream

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ina(repo_root: Path) -> CompiledProgram:
    return compile_file(repo_root / "p4src" / "ina.p4", include_dirs=[repo_root / "p4src"])


@pytest.fixture
def stub(ina: CompiledProgram) -> Iterator[p4runtime_pb2_grpc.P4RuntimeStub]:
    server = start_server(Switch(cpu_port=510), "127.0.0.1:0")
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    stub = p4runtime_pb2_grpc.P4RuntimeStub(channel)
    stream = Stream(stub)
    stream.arbitrate(0, 1)
    assert stream.next_msg().arbitration.status.code == code_pb2.OK
    req = p4runtime_pb2.SetForwardingPipelineConfigRequest(
        device_id=0, action=p4runtime_pb2.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT
    )
    req.election_id.low = 1
    req.config.p4info.CopyFrom(ina.p4info)
    req.config.p4_device_config = json.dumps(ina.bmv2_json).encode()
    stub.SetForwardingPipelineConfig(req)
    try:
        yield stub
    finally:
        stream.close()
        channel.close()
        server.stop(grace=0)


def _read(
    stub: p4runtime_pb2_grpc.P4RuntimeStub, ent: p4runtime_pb2.Entity
) -> list[p4runtime_pb2.Entity]:
    return [e for r in stub.Read(p4runtime_pb2.ReadRequest(entities=[ent])) for e in r.entities]


def test_every_table_default_register_and_counter_reads(
    ina: CompiledProgram, stub: p4runtime_pb2_grpc.P4RuntimeStub
) -> None:
    fresh = _read(stub, p4runtime_pb2.Entity(table_entry=p4runtime_pb2.TableEntry()))
    assert all(e.table_entry.is_const for e in fresh)  # a new pipeline holds only const entries
    for table in ina.p4info.tables:
        if table.implementation_id:
            continue
        q = p4runtime_pb2.Entity()
        q.table_entry.table_id = table.preamble.id
        q.table_entry.is_default_action = True
        [d] = _read(stub, q)
        assert d.table_entry.is_default_action, table.preamble.name
    for reg in ina.p4info.registers:
        q = p4runtime_pb2.Entity()
        q.register_entry.register_id = reg.preamble.id
        q.register_entry.index.index = reg.size - 1
        [r] = _read(stub, q)
        assert r.register_entry.data.bitstring == b"\x00", reg.preamble.name
    for counter in ina.p4info.counters:
        q = p4runtime_pb2.Entity()
        q.counter_entry.counter_id = counter.preamble.id
        assert len(_read(stub, q)) == counter.size, counter.preamble.name


def test_register_write_read_round_trip_on_every_register(
    ina: CompiledProgram, stub: p4runtime_pb2_grpc.P4RuntimeStub
) -> None:
    req = p4runtime_pb2.WriteRequest(device_id=0)
    req.election_id.low = 1
    for reg in ina.p4info.registers:
        width = reg.type_spec.bitstring.bit.bitwidth or reg.type_spec.bitstring.int.bitwidth
        u = req.updates.add(type=p4runtime_pb2.Update.MODIFY)
        u.entity.register_entry.register_id = reg.preamble.id
        u.entity.register_entry.index.index = 0
        u.entity.register_entry.data.bitstring = ((1 << width) - 1).to_bytes(
            (width + 7) // 8, "big"
        )
    stub.Write(req)
    for u in req.updates:
        q = p4runtime_pb2.Entity()
        q.register_entry.CopyFrom(u.entity.register_entry)
        q.register_entry.ClearField("data")
        [r] = _read(stub, q)
        assert r.register_entry.data.bitstring == u.entity.register_entry.data.bitstring
