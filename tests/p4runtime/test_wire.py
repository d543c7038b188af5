from __future__ import annotations

import pytest
from p4.v1 import p4runtime_pb2

from inalab.switch.p4runtime import wire
from inalab.switch.p4runtime.table_entries import match_specs


def _entry(priority: int = 0) -> p4runtime_pb2.Entity:
    ent = p4runtime_pb2.Entity()
    te = ent.table_entry
    te.table_id = 0x02000001
    te.match.add(field_id=1).exact.value = b"\x0a"
    m = te.match.add(field_id=2)
    m.ternary.value, m.ternary.mask = b"\x01", b"\xff"
    m = te.match.add(field_id=3)
    m.lpm.value, m.lpm.prefix_len = b"\x0a\x00\x00\x00", 8
    m = te.match.add(field_id=4)
    m.range.low, m.range.high = b"\x01", b"\x02\x00"
    te.match.add(field_id=5).optional.value = b"\x07"
    te.action.action.action_id = 0x01000002
    te.action.action.params.add(param_id=1, value=b"\x01\xff")
    te.action.action.params.add(param_id=2, value=b"")
    te.priority = priority
    return ent


@pytest.mark.parametrize("priority", [0, 1, 2**31 - 1, -1, -(2**31)])
def test_direct_entries_read_like_protobuf(priority: int) -> None:
    ent = _entry(priority)
    got = wire.read_direct_entry(ent.SerializeToString())
    te = ent.table_entry
    assert got.table_id == te.table_id
    assert got.priority == te.priority
    assert got.matches == match_specs(te.match)
    assert got.action_id == te.action.action.action_id
    assert got.params == [(p.param_id, p.value) for p in te.action.action.params]


def _variants() -> list[p4runtime_pb2.Entity]:
    out = []
    for change in ("member", "default", "counter", "metadata", "idle", "group", "no_action"):
        ent = _entry(1)
        te = ent.table_entry
        if change == "member":
            te.action.action_profile_member_id = 3
        elif change == "default":
            te.is_default_action = True
        elif change == "counter":
            te.counter_data.packet_count = 1
        elif change == "metadata":
            te.metadata = b"x"
        elif change == "idle":
            te.idle_timeout_ns = 5
        elif change == "group":
            te.action.action_profile_group_id = 4
        else:
            te.ClearField("action")
        out.append(ent)
    counter = p4runtime_pb2.Entity()
    counter.counter_entry.counter_id = 1
    out.append(counter)
    out.append(p4runtime_pb2.Entity())
    return out


@pytest.mark.parametrize("entity", _variants())
def test_anything_else_falls_back(entity: p4runtime_pb2.Entity) -> None:
    with pytest.raises(wire.Fallback):
        wire.read_direct_entry(entity.SerializeToString())


@pytest.mark.parametrize("data", [b"\x12", b"\x12\x05\x08", b"\x12\x02\x0d\x00", b"\xff" * 12])
def test_truncated_or_odd_wire_data_falls_back(data: bytes) -> None:
    with pytest.raises(wire.Fallback):
        wire.read_direct_entry(data)


def test_write_request_fields() -> None:
    req = p4runtime_pb2.WriteRequest(device_id=7, role="r", atomicity=0)
    req.election_id.high, req.election_id.low = 1, 2**64 - 1
    req.updates.add(type=p4runtime_pb2.Update.MODIFY, entity=_entry(3))
    req.updates.add(type=p4runtime_pb2.Update.DELETE)
    got = wire.read_write_request(req.SerializeToString())
    assert isinstance(got, wire.RawWrite)
    assert (got.device_id, got.role, got.atomicity) == (7, "r", 0)
    assert (got.election_id.high, got.election_id.low) == (1, 2**64 - 1)
    assert got.updates == [
        (p4runtime_pb2.Update.MODIFY, _entry(3).SerializeToString()),
        (p4runtime_pb2.Update.DELETE, b""),
    ]
    assert got.full() == req


def test_write_request_with_unknown_fields_goes_to_protobuf() -> None:
    req = p4runtime_pb2.WriteRequest(device_id=7, role_id=3)
    got = wire.read_write_request(req.SerializeToString())
    assert isinstance(got, p4runtime_pb2.WriteRequest) and got == req
