"""ROLLBACK_ON_ERROR batches against the real switch core: all or nothing."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import code_pb2
from p4.v1 import p4runtime_pb2, p4runtime_pb2_grpc

from .conftest import Rig
from .program import A_DROP, A_SET_PORT, DIGEST, PROFILE, REGISTER, T_ECMP, T_FWD
from .raw import DEVICE, all_fwd, batch_errors, fwd, read

pytestmark = pytest.mark.integration
Update = p4runtime_pb2.Update
W = p4runtime_pb2.WriteRequest


def _write(
    stub: p4runtime_pb2_grpc.P4RuntimeStub,
    atomicity: int,
    *updates: tuple[int, p4runtime_pb2.Entity],
) -> None:
    req = p4runtime_pb2.WriteRequest(device_id=DEVICE, atomicity=atomicity)
    req.election_id.low = 1
    for kind, ent in updates:
        req.updates.add(type=kind, entity=ent)
    stub.Write(req)


def _register(index: int, value: int | None = None) -> p4runtime_pb2.Entity:
    ent = p4runtime_pb2.Entity()
    ent.register_entry.register_id = REGISTER
    ent.register_entry.index.index = index
    if value is not None:
        ent.register_entry.data.bitstring = value.to_bytes(4, "big")
    return ent


def _group(gid: int, *ports: int) -> p4runtime_pb2.Entity:
    ent = p4runtime_pb2.Entity()
    g = ent.packet_replication_engine_entry.multicast_group_entry
    g.multicast_group_id = gid
    for p in ports:
        g.replicas.add(egress_port=p, instance=1)
    return ent


def _default(port: int | None) -> p4runtime_pb2.Entity:
    ent = p4runtime_pb2.Entity()
    ent.table_entry.table_id = T_FWD
    ent.table_entry.is_default_action = True
    if port is not None:
        ent.table_entry.action.action.action_id = A_SET_PORT
        ent.table_entry.action.action.params.add(param_id=1, value=bytes([port]))
    return ent


def _digest() -> p4runtime_pb2.Entity:
    ent = p4runtime_pb2.Entity()
    ent.digest_entry.digest_id = DIGEST
    ent.digest_entry.config.max_list_size = 1
    return ent


def _snapshot(stub: p4runtime_pb2_grpc.P4RuntimeStub) -> list[bytes]:
    queries = [all_fwd(), _register(2), _group(3), _default(None),
               p4runtime_pb2.Entity(digest_entry=p4runtime_pb2.DigestEntry())]  # fmt: skip
    return [e.SerializeToString() for q in queries for e in read(stub, q)]


def test_a_failing_update_undoes_the_whole_batch(loaded: p4runtime_pb2_grpc.P4RuntimeStub) -> None:
    _write(loaded, W.CONTINUE_ON_ERROR, (Update.INSERT, fwd(0xB, 2)), (Update.MODIFY, _register(2, 7)),
           (Update.INSERT, _group(3, 1)))  # fmt: skip
    before = _snapshot(loaded)
    bad = fwd(0xC, 1)
    bad.table_entry.table_id = 12345
    batch = [
        (Update.INSERT, fwd(0xA, 3)),
        (Update.MODIFY, fwd(0xB, 5)),
        (Update.MODIFY, _register(2, 9)),
        (Update.MODIFY, _group(3, 4, 5)),
        (Update.INSERT, _digest()),
        (Update.MODIFY, _default(6)),
        (Update.DELETE, fwd(0xB, 5)),
        (Update.INSERT, bad),
    ]
    with pytest.raises(grpc.RpcError) as info:
        _write(loaded, W.ROLLBACK_ON_ERROR, *batch)
    codes = [e.canonical_code for e in batch_errors(info.value)]
    assert codes == [code_pb2.ABORTED] * 7 + [code_pb2.NOT_FOUND]
    assert _snapshot(loaded) == before
    [d] = read(loaded, _default(None))
    assert d.table_entry.action.action.action_id == A_DROP

    _write(loaded, W.ROLLBACK_ON_ERROR, *batch[:-1])  # without the bad one: all applied
    assert [e.table_entry.match[0].exact.value for e in read(loaded, all_fwd())] == [b"\x0a"]
    [r] = read(loaded, _register(2))
    assert r.register_entry.data.bitstring == b"\x09"


def test_dataplane_atomic_is_unimplemented(loaded: p4runtime_pb2_grpc.P4RuntimeStub) -> None:
    with pytest.raises(grpc.RpcError) as info:
        _write(loaded, W.DATAPLANE_ATOMIC, (Update.INSERT, fwd(1, 2)))
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert read(loaded, all_fwd()) == []


def _member(mid: int, port: int) -> p4runtime_pb2.Entity:
    ent = p4runtime_pb2.Entity()
    m = ent.action_profile_member
    m.action_profile_id, m.member_id = PROFILE, mid
    m.action.action_id = A_SET_PORT
    m.action.params.add(param_id=1, value=bytes([port]))
    return ent


def _oneshot(ethertype: int, port: int) -> p4runtime_pb2.Entity:
    ent = p4runtime_pb2.Entity()
    te = ent.table_entry
    te.table_id = T_ECMP
    te.match.add(field_id=1).exact.value = ethertype.to_bytes(2, "big")
    apa = te.action.action_profile_action_set.action_profile_actions.add(weight=1)
    apa.action.action_id = A_SET_PORT
    apa.action.params.add(param_id=1, value=bytes([port]))
    return ent


def _clone(sid: int, port: int) -> p4runtime_pb2.Entity:
    ent = p4runtime_pb2.Entity()
    cs = ent.packet_replication_engine_entry.clone_session_entry
    cs.session_id = sid
    cs.replicas.add(egress_port=port)
    return ent


def test_rollback_restores_profiles_one_shots_and_clone_sessions(
    rig: Rig, loaded: p4runtime_pb2_grpc.P4RuntimeStub
) -> None:
    _write(
        loaded,
        W.CONTINUE_ON_ERROR,
        (Update.INSERT, _oneshot(0x0800, 4)),
        (Update.INSERT, _clone(5, 9)),
    )
    ecmp = p4runtime_pb2.Entity()
    ecmp.table_entry.table_id = T_ECMP
    members = p4runtime_pb2.Entity()
    members.action_profile_member.action_profile_id = PROFILE
    sessions = p4runtime_pb2.Entity()
    sessions.packet_replication_engine_entry.clone_session_entry.SetInParent()
    before = [read(loaded, q) for q in (ecmp, members, sessions)]
    hidden_members = rig.switch.act_prof_members("MyIngress.ecmp_selector")
    with pytest.raises(grpc.RpcError) as info:
        _write(
            loaded,
            W.ROLLBACK_ON_ERROR,
            (Update.INSERT, _member(1, 2)),
            (Update.DELETE, _oneshot(0x0800, 4)),
            (Update.MODIFY, _clone(5, 10)),
            (Update.DELETE, _clone(5, 10)),
            (Update.INSERT, _member(1, 3)),  # duplicate member id: refused
        )
    assert [e.canonical_code for e in batch_errors(info.value)][-1] == code_pb2.ALREADY_EXISTS
    after = [read(loaded, q) for q in (ecmp, members, sessions)]
    assert after == before
    assert len(rig.switch.act_prof_members("MyIngress.ecmp_selector")) == len(hidden_members)
    assert rig.switch.mc_groups()[32768 + 5][0].ports == (9,)
