"""Error paths and protocol rules of the P4Runtime service, with raw p4runtime_pb2
requests against a real switch core."""

from __future__ import annotations

import json

import grpc
import pytest
from google.rpc import code_pb2
from p4.v1 import p4runtime_pb2, p4runtime_pb2_grpc
from p4runtime_sh.p4runtime import P4RuntimeClient

from inalab.switch.core import Switch
from inalab.switch.p4runtime.server import start_server

from .conftest import Rig
from .program import (
    A_DROP,
    A_LEARN,
    A_SET_PORT,
    COUNTER,
    DIGEST,
    PROFILE,
    REGISTER,
    T_ACL,
    T_ECMP,
    T_FWD,
    VALUE_SET,
    bmv2_json,
    p4info,
)
from .raw import (
    DEVICE,
    Req,
    Update,
    all_fwd,
    batch_errors,
    config,
    fwd,
    read,
    set_pipeline,
    write,
)
from .streams import Stream

pytestmark = pytest.mark.integration


# --------------------------------------------------------------------------- no pipeline / not primary
def test_requests_without_a_pipeline_fail_precondition(
    stub: p4runtime_pb2_grpc.P4RuntimeStub, primary: Stream
) -> None:
    for call in (
        lambda: write(stub, (Update.INSERT, fwd(1, 2))),
        lambda: read(stub, all_fwd()),
        lambda: stub.GetForwardingPipelineConfig(
            p4runtime_pb2.GetForwardingPipelineConfigRequest(device_id=DEVICE)
        ),
    ):
        with pytest.raises(grpc.RpcError) as info:
            call()
        assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_writes_need_the_primary_election_id(loaded: p4runtime_pb2_grpc.P4RuntimeStub) -> None:
    with pytest.raises(grpc.RpcError) as info:
        write(loaded, (Update.INSERT, fwd(1, 2)), election=7)
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as info:
        set_pipeline(loaded, Req.VERIFY_AND_COMMIT, config(), election=7)
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert read(loaded, all_fwd()) == []


def test_wrong_device_id_is_not_found(loaded: p4runtime_pb2_grpc.P4RuntimeStub) -> None:
    with pytest.raises(grpc.RpcError) as info:
        loaded.Read(p4runtime_pb2.ReadRequest(device_id=9, entities=[all_fwd()])).next()
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


# --------------------------------------------------------------------------- batches and bad updates
def test_batch_reports_every_update_and_applies_the_good_ones(
    loaded: p4runtime_pb2_grpc.P4RuntimeStub,
) -> None:
    bad = fwd(2, 3)
    bad.table_entry.table_id = 12345
    with pytest.raises(grpc.RpcError) as info:
        write(loaded, (Update.INSERT, fwd(1, 2)), (Update.INSERT, bad), (Update.INSERT, fwd(3, 4)))
    errors = batch_errors(info.value)
    assert [e.canonical_code for e in errors] == [code_pb2.OK, code_pb2.NOT_FOUND, code_pb2.OK]
    assert "12345" in errors[1].message
    macs = sorted(e.table_entry.match[0].exact.value for e in read(loaded, all_fwd()))
    assert macs == [b"\x01", b"\x03"]


def _entity(**kw: object) -> p4runtime_pb2.Entity:
    ent = p4runtime_pb2.Entity()
    for path, value in kw.items():
        obj: object = ent
        parts = path.split("__")
        for p in parts[:-1]:
            obj = getattr(obj, p)
        setattr(obj, parts[-1], value)
    return ent


def _acl(priority: int, value: bytes = b"\x0b", mask: bytes = b"\xff") -> p4runtime_pb2.Entity:
    ent = p4runtime_pb2.Entity()
    te = ent.table_entry
    te.table_id = T_ACL
    te.priority = priority
    m = te.match.add(field_id=1)
    m.ternary.value, m.ternary.mask = value, mask
    te.action.action.action_id = A_DROP
    return ent


def _bad_cases() -> list[tuple[str, int, p4runtime_pb2.Entity, int]]:
    too_wide = fwd(1, 2)
    too_wide.table_entry.action.action.params[0].value = b"\x02\x00"  # 512 in a 9-bit port
    unknown_action = fwd(1, 2)
    unknown_action.table_entry.action.action.action_id = 999
    foreign_action = fwd(1, 2)
    foreign_action.table_entry.action.action.action_id = A_LEARN
    foreign_action.table_entry.action.action.ClearField("params")
    no_key = fwd(1, 2)
    no_key.table_entry.ClearField("match")
    with_priority = fwd(1, 2)
    with_priority.table_entry.priority = 5
    default_insert = fwd(1, 2)
    default_insert.table_entry.ClearField("match")
    default_insert.table_entry.is_default_action = True
    direct_on_profile = fwd(1, 2)
    direct_on_profile.table_entry.table_id = T_ECMP
    direct_on_profile.table_entry.match[0].exact.value = b"\x08\x00"
    missing_member = _entity(table_entry__table_id=T_ECMP)
    missing_member.table_entry.match.add(field_id=1).exact.value = b"\x08\x00"
    missing_member.table_entry.action.action_profile_member_id = 77
    reg = _entity(register_entry__register_id=REGISTER)
    reg.register_entry.index.index = 8
    reg.register_entry.data.bitstring = b"\x01"
    counter_insert = _entity(counter_entry__counter_id=COUNTER)
    counter_insert.counter_entry.index.index = 1
    with_cos = p4runtime_pb2.Entity()
    cs = with_cos.packet_replication_engine_entry.clone_session_entry
    cs.session_id = 3
    cs.class_of_service = 2
    cs.replicas.add(egress_port=1)
    session_too_big = p4runtime_pb2.Entity()
    session_too_big.packet_replication_engine_entry.clone_session_entry.session_id = 40000
    reserved_group = p4runtime_pb2.Entity()
    reserved_group.packet_replication_engine_entry.multicast_group_entry.multicast_group_id = 32771
    group_zero = p4runtime_pb2.Entity()
    group_zero.packet_replication_engine_entry.multicast_group_entry.replicas.add(egress_port=1)
    unknown_digest = _entity(digest_entry__digest_id=DIGEST + 1)
    ins, mod, dele = Update.INSERT, Update.MODIFY, Update.DELETE
    return [
        ("value wider than its bitwidth", ins, too_wide, code_pb2.INVALID_ARGUMENT),
        ("unknown action id", ins, unknown_action, code_pb2.NOT_FOUND),
        ("action not in the table", ins, foreign_action, code_pb2.INVALID_ARGUMENT),
        ("exact field omitted", ins, no_key, code_pb2.INVALID_ARGUMENT),
        ("priority on an exact table", ins, with_priority, code_pb2.INVALID_ARGUMENT),
        ("ternary without priority", ins, _acl(0), code_pb2.INVALID_ARGUMENT),
        ("ternary value outside mask", ins, _acl(1, b"\x0b", b"\xf0"), code_pb2.INVALID_ARGUMENT),
        ("ternary mask of zero", ins, _acl(1, b"\x00", b"\x00"), code_pb2.INVALID_ARGUMENT),
        ("INSERT of the default entry", ins, default_insert, code_pb2.INVALID_ARGUMENT),
        ("duplicate entry", ins, fwd(0xAA, 1), code_pb2.ALREADY_EXISTS),
        ("delete of a missing entry", dele, fwd(0xBB, 1), code_pb2.NOT_FOUND),
        ("modify of a missing entry", mod, fwd(0xBB, 1), code_pb2.NOT_FOUND),
        ("direct action on a profile table", ins, direct_on_profile, code_pb2.INVALID_ARGUMENT),
        ("missing profile member", ins, missing_member, code_pb2.NOT_FOUND),
        ("register index past the end", mod, reg, code_pb2.OUT_OF_RANGE),
        ("INSERT of a counter", ins, counter_insert, code_pb2.INVALID_ARGUMENT),
        ("clone session with a class of service", ins, with_cos, code_pb2.UNIMPLEMENTED),
        ("clone session id past 32767", ins, session_too_big, code_pb2.INVALID_ARGUMENT),
        ("multicast group reserved for clones", ins, reserved_group, code_pb2.INVALID_ARGUMENT),
        ("multicast group 0", ins, group_zero, code_pb2.INVALID_ARGUMENT),
        ("unknown digest", ins, unknown_digest, code_pb2.NOT_FOUND),
        ("empty entity", ins, p4runtime_pb2.Entity(), code_pb2.INVALID_ARGUMENT),
    ]


def test_bad_updates_get_their_code_and_change_nothing(
    loaded: p4runtime_pb2_grpc.P4RuntimeStub,
) -> None:
    write(loaded, (Update.INSERT, fwd(0xAA, 1)))
    before = read(loaded, all_fwd())
    cases = _bad_cases()
    with pytest.raises(grpc.RpcError) as info:
        write(loaded, *[(kind, ent) for _, kind, ent, _ in cases])
    errors = batch_errors(info.value)
    got = {name: e.canonical_code for (name, *_), e in zip(cases, errors, strict=True)}
    want = {name: code for name, _, _, code in cases}
    assert got == want
    assert all(e.message for e in errors)
    assert read(loaded, all_fwd()) == before
    assert loaded.Capabilities(p4runtime_pb2.CapabilitiesRequest()).p4runtime_api_version == "1.4.1"


def test_reads_return_canonical_bytestrings_for_padded_writes(
    loaded: p4runtime_pb2_grpc.P4RuntimeStub,
) -> None:
    write(loaded, (Update.INSERT, fwd(0x0A, 2)))  # mac padded to 6 bytes, port to 2
    [ent] = read(loaded, all_fwd())
    assert ent.table_entry.match[0].exact.value == b"\x0a"
    assert ent.table_entry.action.action.params[0].value == b"\x02"


def test_wildcard_reads(loaded: p4runtime_pb2_grpc.P4RuntimeStub) -> None:
    write(loaded, (Update.INSERT, fwd(1, 2)), (Update.INSERT, _acl(3)))
    everything = read(loaded, p4runtime_pb2.Entity(table_entry=p4runtime_pb2.TableEntry()))
    assert sorted(e.table_entry.table_id for e in everything) == [T_FWD, T_ACL]
    default = p4runtime_pb2.Entity()
    default.table_entry.table_id = T_FWD
    default.table_entry.is_default_action = True
    [d] = read(loaded, default)
    assert d.table_entry.is_default_action and d.table_entry.action.action.action_id == A_DROP
    regs = read(loaded, _entity(register_entry__register_id=REGISTER))
    assert [r.register_entry.index.index for r in regs] == list(range(8))
    one = p4runtime_pb2.Entity()
    one.table_entry.CopyFrom(fwd(1, 2).table_entry)
    one.table_entry.ClearField("action")
    assert len(read(loaded, one)) == 1


def test_malformed_protobuf_is_refused_and_the_server_keeps_serving(
    rig: Rig, loaded: p4runtime_pb2_grpc.P4RuntimeStub
) -> None:
    garbage = b"\xff\xff\xff\xff garbage"
    channel = grpc.insecure_channel(rig.addr)
    try:
        for method in ("Write", "SetForwardingPipelineConfig", "Capabilities"):
            call = channel.unary_unary(f"/p4.v1.P4Runtime/{method}")
            with pytest.raises(grpc.RpcError) as info:
                call(garbage)
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, method
            assert "malformed" in (info.value.details() or "")
        read_call = channel.unary_stream("/p4.v1.P4Runtime/Read")
        with pytest.raises(grpc.RpcError) as info:
            list(read_call(garbage))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        stream_call = channel.stream_stream("/p4.v1.P4Runtime/StreamChannel")
        with pytest.raises(grpc.RpcError) as info:
            list(stream_call(iter([garbage])))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        channel.close()
    write(loaded, (Update.INSERT, fwd(1, 2)))  # the primary's session is intact
    assert len(read(loaded, all_fwd())) == 1


# --------------------------------------------------------------------------- arbitration
def test_two_shell_clients_primary_and_backup(
    rig: Rig, loaded: p4runtime_pb2_grpc.P4RuntimeStub, primary: Stream
) -> None:
    # the fixture's stream holds election id 1; p4runtime-shell clients take 2 then 3
    low = P4RuntimeClient(DEVICE, rig.addr, (0, 2))
    assert primary.next_msg().arbitration.status.code == code_pb2.ALREADY_EXISTS
    high = P4RuntimeClient(DEVICE, rig.addr, (0, 3))
    try:
        note = low.get_stream_packet("arbitration", timeout=3)
        assert note is not None and note.arbitration.status.code == code_pb2.ALREADY_EXISTS
        assert note.arbitration.election_id.low == 3
        req = p4runtime_pb2.WriteRequest()
        req.updates.add(type=Update.INSERT, entity=fwd(1, 2))
        with pytest.raises(grpc.RpcError) as info:
            low.write(req)
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
        high.write(req)
        assert len(read(loaded, all_fwd())) == 1
    finally:
        high.tear_down()
    # the primary left: the others hear there is no primary until one claims it
    note = low.get_stream_packet("arbitration", timeout=3)
    assert note is not None and note.arbitration.status.code == code_pb2.NOT_FOUND
    low.tear_down()


def test_client_dropping_mid_stream(
    stub: p4runtime_pb2_grpc.P4RuntimeStub, primary: Stream
) -> None:
    backup = Stream(stub)
    backup.arbitrate(DEVICE, 0)  # no election id: a backup
    first = backup.next_msg()
    assert first.arbitration.status.code == code_pb2.ALREADY_EXISTS
    primary.cancel()
    note = backup.next_msg()
    assert note.arbitration.status.code == code_pb2.NOT_FOUND
    backup.arbitrate(DEVICE, 5)
    assert backup.next_msg().arbitration.status.code == code_pb2.OK
    set_pipeline(stub, Req.VERIFY_AND_COMMIT, config(), election=5)
    backup.close()


def test_duplicate_election_id_ends_that_stream(
    stub: p4runtime_pb2_grpc.P4RuntimeStub, primary: Stream
) -> None:
    dup = Stream(stub)
    dup.arbitrate(DEVICE, 1)
    end = dup.next()
    assert isinstance(end, grpc.RpcError) and end.code() == grpc.StatusCode.INVALID_ARGUMENT
    set_pipeline(stub, Req.VERIFY, config())  # the primary is unaffected


def test_packet_out_from_a_backup_is_a_stream_error(
    rig: Rig, stub: p4runtime_pb2_grpc.P4RuntimeStub, loaded: p4runtime_pb2_grpc.P4RuntimeStub
) -> None:
    backup = Stream(stub)
    backup.arbitrate(DEVICE, 0)
    backup.next_msg()
    req = p4runtime_pb2.StreamMessageRequest()
    req.packet.payload = b"\x00" * 14
    req.packet.metadata.add(metadata_id=1, value=b"\x01")
    backup.send(req)
    err = backup.next_msg()
    assert err.error.canonical_code == code_pb2.PERMISSION_DENIED
    assert err.error.packet_out.packet_out.payload == req.packet.payload
    assert rig.wire.frames == []
    backup.close()


# --------------------------------------------------------------------------- pipeline config
def _wrap(data: bytes) -> bytes:
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            out.append((n & 0x7F) | (0x80 if n >> 7 else 0))
            n >>= 7
            if not n:
                return bytes(out)

    return b"\x08\x01" + b"\x1a" + varint(len(data)) + data


def test_pipeline_actions_and_get_response_types(
    stub: p4runtime_pb2_grpc.P4RuntimeStub, primary: Stream
) -> None:
    with pytest.raises(grpc.RpcError) as info:
        set_pipeline(stub, Req.VERIFY, config(b"{not json"))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    broken = bmv2_json()
    broken["actions"][1]["primitives"][0]["op"] = "no_such_primitive"  # type: ignore[index]
    for action in (Req.VERIFY, Req.VERIFY_AND_SAVE):  # realizability is checked, not just syntax
        with pytest.raises(grpc.RpcError) as info:
            set_pipeline(stub, action, config(json.dumps(broken).encode()))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "no_such_primitive" in (info.value.details() or "")
    set_pipeline(stub, Req.VERIFY, config())
    with pytest.raises(grpc.RpcError) as info:
        set_pipeline(stub, Req.COMMIT, p4runtime_pb2.ForwardingPipelineConfig())
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    wrapped = config(_wrap(json.dumps(bmv2_json()).encode()), cookie=42)
    set_pipeline(stub, Req.VERIFY_AND_SAVE, wrapped)
    with pytest.raises(grpc.RpcError):  # saved, not committed
        read(stub, all_fwd())
    set_pipeline(stub, Req.COMMIT, p4runtime_pb2.ForwardingPipelineConfig())
    assert read(stub, all_fwd()) == []
    G = p4runtime_pb2.GetForwardingPipelineConfigRequest

    def get(kind: int) -> p4runtime_pb2.ForwardingPipelineConfig:
        return stub.GetForwardingPipelineConfig(G(device_id=DEVICE, response_type=kind)).config

    full = get(G.ALL)
    assert full.cookie.cookie == 42 and full.p4info == p4info() and full.p4_device_config
    assert get(G.COOKIE_ONLY) == p4runtime_pb2.ForwardingPipelineConfig(cookie=full.cookie)
    assert not get(G.P4INFO_AND_COOKIE).p4_device_config
    assert get(G.DEVICE_CONFIG_AND_COOKIE).p4_device_config == full.p4_device_config


def test_commit_resets_state_and_reconcile_keeps_it(
    stub: p4runtime_pb2_grpc.P4RuntimeStub, loaded: p4runtime_pb2_grpc.P4RuntimeStub
) -> None:
    mc = p4runtime_pb2.Entity()
    mc.packet_replication_engine_entry.multicast_group_entry.multicast_group_id = 4
    mc.packet_replication_engine_entry.multicast_group_entry.replicas.add(egress_port=3)
    member = p4runtime_pb2.Entity()
    member.action_profile_member.action_profile_id = PROFILE
    member.action_profile_member.member_id = 1
    member.action_profile_member.action.action_id = A_SET_PORT
    member.action_profile_member.action.params.add(param_id=1, value=b"\x03")
    default = fwd(0, 6)
    default.table_entry.ClearField("match")
    default.table_entry.is_default_action = True
    write(
        stub,
        (Update.INSERT, fwd(1, 2)),
        (Update.INSERT, mc),
        (Update.INSERT, member),
        (Update.MODIFY, default),
        _digest_config(Update.INSERT, 3, 0, 0),
    )
    set_pipeline(stub, Req.RECONCILE_AND_COMMIT, config())
    assert len(read(stub, all_fwd())) == 1
    groups = p4runtime_pb2.Entity()
    groups.packet_replication_engine_entry.multicast_group_entry.SetInParent()
    assert len(read(stub, groups)) == 1
    members = p4runtime_pb2.Entity()
    members.action_profile_member.action_profile_id = PROFILE
    assert len(read(stub, members)) == 1
    query = p4runtime_pb2.Entity()
    query.table_entry.table_id = T_FWD
    query.table_entry.is_default_action = True
    [got] = read(stub, query)
    assert got.table_entry.action.action.params[0].value == b"\x06"
    digests = p4runtime_pb2.Entity(digest_entry=p4runtime_pb2.DigestEntry())
    assert [d.digest_entry.config.max_list_size for d in read(stub, digests)] == [3]
    set_pipeline(stub, Req.VERIFY_AND_COMMIT, config())
    assert read(stub, all_fwd()) == []
    assert read(stub, members) == []
    assert read(stub, groups) == []
    assert read(stub, digests) == []
    [got] = read(stub, query)
    assert got.table_entry.action.action.action_id == A_DROP


def test_request_log_records_writes(rig: Rig, loaded: p4runtime_pb2_grpc.P4RuntimeStub) -> None:
    write(loaded, (Update.INSERT, fwd(1, 2)))
    text = (rig.p4info_path.parent / "req.txt").read_text()
    assert "/p4.v1.P4Runtime/SetForwardingPipelineConfig" in text
    assert "/p4.v1.P4Runtime/Write" in text and f"table_id: {T_FWD}" in text


# --------------------------------------------------------------------------- digests
def _learn_on_all_frames(stub: p4runtime_pb2_grpc.P4RuntimeStub) -> None:
    ent = p4runtime_pb2.Entity()
    te = ent.table_entry
    te.table_id = T_ACL
    te.priority = 1
    te.action.action.action_id = A_LEARN
    write(stub, (Update.INSERT, ent), (Update.INSERT, fwd(0x0A, 2)))


def _digest_config(
    kind: int, max_list: int, timeout_ns: int, ack_ns: int
) -> tuple[int, p4runtime_pb2.Entity]:
    ent = p4runtime_pb2.Entity()
    ent.digest_entry.digest_id = DIGEST
    cfg = ent.digest_entry.config
    cfg.max_list_size, cfg.max_timeout_ns, cfg.ack_timeout_ns = max_list, timeout_ns, ack_ns
    return kind, ent


def _frame(src: int) -> bytes:
    return b"\x00\x00\x00\x00\x00\x0a" + src.to_bytes(6, "big") + b"\x08\x00payload"


def test_digest_batching_ack_suppression_and_timeout(
    rig: Rig, loaded: p4runtime_pb2_grpc.P4RuntimeStub, primary: Stream
) -> None:
    _learn_on_all_frames(loaded)
    write(loaded, _digest_config(Update.INSERT, 2, 10_000_000_000, 10_000_000_000))
    rig.switch.receive(1, _frame(0x11))
    rig.switch.receive(1, _frame(0x11))  # a duplicate sample joins no list
    rig.switch.receive(2, _frame(0x22))
    dl = primary.next_msg().digest
    assert dl.digest_id == DIGEST
    samples = [[m.bitstring for m in d.struct.members] for d in dl.data]
    assert samples == [[b"\x11", b"\x01"], [b"\x22", b"\x02"]]
    # unacked: the same samples are suppressed, a new one waits for a second
    rig.switch.receive(1, _frame(0x11))
    rig.switch.receive(2, _frame(0x22))
    rig.switch.receive(3, _frame(0x33))
    rig.switch.receive(4, _frame(0x44))
    dl2 = primary.next_msg().digest
    assert [d.struct.members[0].bitstring for d in dl2.data] == [b"\x33", b"\x44"]
    ack = p4runtime_pb2.StreamMessageRequest()
    ack.digest_ack.digest_id, ack.digest_ack.list_id = DIGEST, dl.list_id
    primary.send(ack)
    primary.arbitrate(DEVICE, 1)  # answered only after the ack before it was handled
    assert primary.next_msg().arbitration.status.code == code_pb2.OK
    # a list that never fills goes out after max_timeout_ns
    write(loaded, _digest_config(Update.MODIFY, 100, 50_000_000, 10_000_000_000))
    rig.wire.wait(6)
    rig.switch.receive(1, _frame(0x11))  # acked, so allowed again
    dl3 = primary.next_msg(timeout=2).digest
    assert [d.struct.members[0].bitstring for d in dl3.data] == [b"\x11"]
    assert dl3.list_id not in (dl.list_id, dl2.list_id)
    entries = read(loaded, _digest_config(0, 0, 0, 0)[1])
    assert entries[0].digest_entry.config.max_list_size == 100
    write(loaded, _digest_config(Update.DELETE, 0, 0, 0))
    assert read(loaded, p4runtime_pb2.Entity(digest_entry=p4runtime_pb2.DigestEntry())) == []


# --------------------------------------------------------------------------- indexed externs, value sets
def test_register_and_counter_modify_then_read(loaded: p4runtime_pb2_grpc.P4RuntimeStub) -> None:
    reg = _entity(register_entry__register_id=REGISTER)
    reg.register_entry.index.index = 5
    reg.register_entry.data.bitstring = b"\x00\x00\x12\x34"  # padded: accepted
    cnt = _entity(counter_entry__counter_id=COUNTER)
    cnt.counter_entry.index.index = 9
    cnt.counter_entry.data.packet_count, cnt.counter_entry.data.byte_count = 3, 300
    write(loaded, (Update.MODIFY, reg), (Update.MODIFY, cnt))
    query = _entity(register_entry__register_id=REGISTER)
    query.register_entry.index.index = 5
    [got] = read(loaded, query)
    assert got.register_entry.data.bitstring == b"\x12\x34"
    query = _entity(counter_entry__counter_id=COUNTER)
    query.counter_entry.index.index = 9
    [got] = read(loaded, query)
    assert (got.counter_entry.data.packet_count, got.counter_entry.data.byte_count) == (3, 300)
    everything = read(loaded, _entity(counter_entry__counter_id=0))
    assert len(everything) == 512


def test_value_set_modify_replaces_members(
    rig: Rig, loaded: p4runtime_pb2_grpc.P4RuntimeStub
) -> None:
    vs = _entity(value_set_entry__value_set_id=VALUE_SET)
    for value in (b"\x12\xb5", b"\x08\x00"):
        vs.value_set_entry.members.add().match.add(field_id=1).exact.value = value
    write(loaded, (Update.MODIFY, vs))
    assert sorted(rig.switch.pvs_entries("ParserImpl.tunnel_types")) == [
        (0x0800, None),
        (0x12B5, None),
    ]
    [got] = read(loaded, _entity(value_set_entry__value_set_id=VALUE_SET))
    assert sorted(m.match[0].exact.value for m in got.value_set_entry.members) == [
        b"\x08\x00",
        b"\x12\xb5",
    ]
    write(loaded, (Update.MODIFY, _entity(value_set_entry__value_set_id=VALUE_SET)))
    assert rig.switch.pvs_entries("ParserImpl.tunnel_types") == []
    too_many = _entity(value_set_entry__value_set_id=VALUE_SET)
    for v in range(5):
        too_many.value_set_entry.members.add().match.add(field_id=1).exact.value = bytes([v + 1])
    with pytest.raises(grpc.RpcError) as info:
        write(loaded, (Update.MODIFY, too_many))
    assert [e.canonical_code for e in batch_errors(info.value)] == [code_pb2.RESOURCE_EXHAUSTED]


def test_packet_out_on_a_switch_without_cpu_port_is_a_stream_error() -> None:
    switch = Switch()  # no CPU port
    server = start_server(switch, "127.0.0.1:0", device_id=DEVICE)
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        stub = p4runtime_pb2_grpc.P4RuntimeStub(channel)
        s = Stream(stub)
        s.arbitrate(DEVICE, 1)
        s.next_msg()
        set_pipeline(stub, Req.VERIFY_AND_COMMIT, config())
        req = p4runtime_pb2.StreamMessageRequest()
        req.packet.payload = b"\x00" * 14
        s.send(req)
        err = s.next_msg()
        assert err.error.canonical_code == code_pb2.INVALID_ARGUMENT
        assert "CPU port" in err.error.message
        assert stub.Capabilities(p4runtime_pb2.CapabilitiesRequest()).p4runtime_api_version
        s.close()
    finally:
        channel.close()
        server.stop(grace=0)


def test_multicast_metadata_and_modify(loaded: p4runtime_pb2_grpc.P4RuntimeStub) -> None:
    mc = p4runtime_pb2.Entity()
    group = mc.packet_replication_engine_entry.multicast_group_entry
    group.multicast_group_id = 6
    group.metadata = b"job-1"
    group.replicas.add(egress_port=1)
    write(loaded, (Update.INSERT, mc))
    group.ClearField("replicas")
    group.replicas.add(egress_port=2, instance=1)
    group.replicas.add(egress_port=3, instance=1)
    write(loaded, (Update.MODIFY, mc))
    [got] = read(loaded, mc)
    entry = got.packet_replication_engine_entry.multicast_group_entry
    assert entry.metadata == b"job-1"
    assert sorted((r.egress_port, r.instance) for r in entry.replicas) == [(2, 1), (3, 1)]
    with pytest.raises(grpc.RpcError) as info:
        write(loaded, (Update.INSERT, mc))
    assert [e.canonical_code for e in batch_errors(info.value)] == [code_pb2.ALREADY_EXISTS]


def test_stream_rules_before_and_during_arbitration(stub: p4runtime_pb2_grpc.P4RuntimeStub) -> None:
    early = Stream(stub)
    req = p4runtime_pb2.StreamMessageRequest()
    req.packet.payload = b"\x00" * 14
    early.send(req)  # a packet before any arbitration
    end = early.next()
    assert isinstance(end, grpc.RpcError) and end.code() == grpc.StatusCode.FAILED_PRECONDITION
    configured = Stream(stub)
    arb = p4runtime_pb2.StreamMessageRequest()
    arb.arbitration.device_id = DEVICE
    arb.arbitration.election_id.low = 4
    arb.arbitration.role.name = "r"
    arb.arbitration.role.config.Pack(p4runtime_pb2.Uint128(low=1))
    configured.send(arb)
    end = configured.next()
    assert isinstance(end, grpc.RpcError) and end.code() == grpc.StatusCode.UNIMPLEMENTED
    assert stub.Capabilities(p4runtime_pb2.CapabilitiesRequest()).p4runtime_api_version


def test_time_since_last_hit_only_on_idle_timeout_tables(
    loaded: p4runtime_pb2_grpc.P4RuntimeStub,
) -> None:
    q = p4runtime_pb2.Entity()
    q.table_entry.table_id = T_ACL
    q.table_entry.time_since_last_hit.SetInParent()
    with pytest.raises(grpc.RpcError) as info:
        read(loaded, q)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    q.table_entry.table_id = T_FWD
    assert read(loaded, q) == []


class _FaultySwitch(Switch):
    """The real core with two injected faults (not ControlErrors): a bug in the
    data plane must cost one update or one packet, never the session."""

    def table_add(self, table, keys, action, priority=None):  # type: ignore[no-untyped-def]
        if keys and getattr(keys[0], "value", None) == 0xBAD:
            raise RuntimeError("injected fault")
        return super().table_add(table, keys, action, priority)

    def packet_out(self, data: bytes) -> None:
        raise RuntimeError("injected fault")


def test_faults_below_the_server_fail_one_update_or_packet() -> None:
    server = start_server(_FaultySwitch(cpu_port=64), "127.0.0.1:0", device_id=DEVICE)
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        stub = p4runtime_pb2_grpc.P4RuntimeStub(channel)
        s = Stream(stub)
        s.arbitrate(DEVICE, 1)
        s.next_msg()
        set_pipeline(stub, Req.VERIFY_AND_COMMIT, config())
        with pytest.raises(grpc.RpcError) as info:
            write(
                stub,
                (Update.INSERT, fwd(1, 2)),
                (Update.INSERT, fwd(0xBAD, 2)),
                (Update.INSERT, fwd(3, 2)),
            )
        codes = [e.canonical_code for e in batch_errors(info.value)]
        assert codes == [code_pb2.OK, code_pb2.INTERNAL, code_pb2.OK]
        req = p4runtime_pb2.StreamMessageRequest()
        req.packet.payload = b"\x00" * 14
        s.send(req)
        assert s.next_msg().error.canonical_code == code_pb2.INTERNAL
        s.arbitrate(DEVICE, 1)  # the stream is still up
        assert s.next_msg().arbitration.status.code == code_pb2.OK
        s.close()
    finally:
        channel.close()
        server.stop(grace=0)


def test_reconcile_drops_what_the_new_p4info_lacks(
    loaded: p4runtime_pb2_grpc.P4RuntimeStub,
) -> None:
    write(loaded, (Update.INSERT, fwd(1, 2)), (Update.INSERT, _acl(4)))
    narrower = config()
    kept = [t for t in narrower.p4info.tables if t.preamble.id != T_FWD]
    del narrower.p4info.tables[:]
    narrower.p4info.tables.extend(kept)
    set_pipeline(loaded, Req.RECONCILE_AND_COMMIT, narrower)
    everything = read(loaded, p4runtime_pb2.Entity(table_entry=p4runtime_pb2.TableEntry()))
    assert [(e.table_entry.table_id, e.table_entry.priority) for e in everything] == [(T_ACL, 4)]
    with pytest.raises(grpc.RpcError) as info:
        read(loaded, all_fwd())
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
