from __future__ import annotations

import grpc
import pytest
from google.rpc import code_pb2
from p4.v1 import p4runtime_pb2

from inalab.switch.p4runtime.arbitration import Arbitrator, StreamClient
from inalab.switch.p4runtime.errors import P4RuntimeError


def _update(eid: int, device: int = 0, role: str = "") -> p4runtime_pb2.MasterArbitrationUpdate:
    u = p4runtime_pb2.MasterArbitrationUpdate(device_id=device)
    u.election_id.low = eid
    if role:
        u.role.name = role
    return u


def _codes(client: StreamClient) -> list[int]:
    out = []
    while not client.outbox.empty():
        msg = client.outbox.get()
        assert msg is not None
        out.append(msg.arbitration.status.code)
    return out


def test_highest_election_id_is_primary_and_everyone_is_told() -> None:
    arb = Arbitrator(0)
    a, b = StreamClient("a"), StreamClient("b")
    arb.arbitrate(a, _update(1))
    assert _codes(a) == [code_pb2.OK]
    arb.arbitrate(b, _update(2))
    assert _codes(a) == [code_pb2.ALREADY_EXISTS]
    assert _codes(b) == [code_pb2.OK]
    assert arb.is_primary(b) and not arb.is_primary(a)
    eid = p4runtime_pb2.Uint128(low=2)
    arb.check_primary("", eid)
    with pytest.raises(P4RuntimeError) as info:
        arb.check_primary("", p4runtime_pb2.Uint128(low=1))
    assert info.value.code == grpc.StatusCode.PERMISSION_DENIED


def test_primary_leaving_leaves_no_primary_until_a_higher_claim() -> None:
    arb = Arbitrator(0)
    a, b = StreamClient("a"), StreamClient("b")
    arb.arbitrate(a, _update(1))
    arb.arbitrate(b, _update(5))
    _codes(a), _codes(b)
    arb.remove(b)
    assert _codes(a) == [code_pb2.NOT_FOUND]
    with pytest.raises(P4RuntimeError):
        arb.check_primary("", p4runtime_pb2.Uint128(low=1))
    arb.arbitrate(a, _update(6))
    assert _codes(a) == [code_pb2.OK]
    assert arb.primaries() == [a]


def test_duplicate_election_id_and_wrong_device_are_refused() -> None:
    arb = Arbitrator(3)
    a, b = StreamClient("a"), StreamClient("b")
    arb.arbitrate(a, _update(1, device=3))
    with pytest.raises(P4RuntimeError) as info:
        arb.arbitrate(b, _update(1, device=3))
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(P4RuntimeError) as info:
        arb.arbitrate(b, _update(2, device=4))
    assert info.value.code == grpc.StatusCode.NOT_FOUND


def test_roles_are_separate_domains() -> None:
    arb = Arbitrator(0)
    a, b = StreamClient("a"), StreamClient("b")
    arb.arbitrate(a, _update(1, role="r1"))
    arb.arbitrate(b, _update(1, role="r2"))
    assert _codes(a) == [code_pb2.OK] and _codes(b) == [code_pb2.OK]
    assert set(arb.primaries()) == {a, b}
