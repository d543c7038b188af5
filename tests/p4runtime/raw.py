"""Raw p4runtime_pb2 requests for the P4Runtime tests (the ``primary`` and
``loaded`` fixtures of conftest.py are built on them)."""

from __future__ import annotations

import json

import grpc
from google.rpc import status_pb2
from p4.v1 import p4runtime_pb2, p4runtime_pb2_grpc

from .program import A_SET_PORT, T_FWD, bmv2_json, p4info

DEVICE = 1
Req = p4runtime_pb2.SetForwardingPipelineConfigRequest
Update = p4runtime_pb2.Update


def eid(low: int) -> p4runtime_pb2.Uint128:
    return p4runtime_pb2.Uint128(high=0, low=low)


def config(
    device_config: bytes | None = None, cookie: int = 0
) -> p4runtime_pb2.ForwardingPipelineConfig:
    cfg = p4runtime_pb2.ForwardingPipelineConfig(p4info=p4info())
    cfg.p4_device_config = (
        device_config if device_config is not None else json.dumps(bmv2_json()).encode()
    )
    if cookie:
        cfg.cookie.cookie = cookie
    return cfg


def set_pipeline(
    stub: p4runtime_pb2_grpc.P4RuntimeStub,
    action: int,
    cfg: p4runtime_pb2.ForwardingPipelineConfig,
    election: int = 1,
) -> None:
    stub.SetForwardingPipelineConfig(
        Req(device_id=DEVICE, election_id=eid(election), action=action, config=cfg)
    )


def fwd(mac: int, port: int) -> p4runtime_pb2.Entity:
    ent = p4runtime_pb2.Entity()
    te = ent.table_entry
    te.table_id = T_FWD
    te.match.add(field_id=1).exact.value = mac.to_bytes(6, "big")
    te.action.action.action_id = A_SET_PORT
    te.action.action.params.add(param_id=1, value=port.to_bytes(2, "big"))
    return ent


def write(
    stub: p4runtime_pb2_grpc.P4RuntimeStub,
    *updates: tuple[int, p4runtime_pb2.Entity],
    election: int = 1,
) -> None:
    req = p4runtime_pb2.WriteRequest(device_id=DEVICE, election_id=eid(election))
    for kind, ent in updates:
        req.updates.add(type=kind, entity=ent)
    stub.Write(req)


def read(
    stub: p4runtime_pb2_grpc.P4RuntimeStub, ent: p4runtime_pb2.Entity
) -> list[p4runtime_pb2.Entity]:
    out: list[p4runtime_pb2.Entity] = []
    for resp in stub.Read(p4runtime_pb2.ReadRequest(device_id=DEVICE, entities=[ent])):
        out += resp.entities
    return out


def all_fwd() -> p4runtime_pb2.Entity:
    ent = p4runtime_pb2.Entity()
    ent.table_entry.table_id = T_FWD
    return ent


def batch_errors(err: grpc.RpcError) -> list[p4runtime_pb2.Error]:
    assert err.code() == grpc.StatusCode.UNKNOWN
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            out = []
            for d in status.details:
                e = p4runtime_pb2.Error()
                assert d.Unpack(e)
                out.append(e)
            return out
    raise AssertionError("no p4.v1.Error details")
