from __future__ import annotations

import time

import grpc
import pytest
from p4.v1 import p4runtime_pb2

from inalab.p4info.index import P4InfoIndex
from inalab.switch.control import Digest
from inalab.switch.p4runtime.digests import DigestEngine
from inalab.switch.p4runtime.errors import P4INFO_ERRORS, P4RuntimeError

from .program import DIGEST, bmv2_json, p4info

Update = p4runtime_pb2.Update


def _engine() -> tuple[DigestEngine, list[p4runtime_pb2.StreamMessageResponse], P4InfoIndex]:
    sent: list[p4runtime_pb2.StreamMessageResponse] = []
    engine = DigestEngine(sent.append)
    index = P4InfoIndex.build(p4info(), bmv2_json(), errors=P4INFO_ERRORS)
    engine.reset(index)
    return engine, sent, index


def _config(max_list: int, timeout_ns: int, ack_ns: int) -> p4runtime_pb2.DigestEntry:
    entry = p4runtime_pb2.DigestEntry(digest_id=DIGEST)
    entry.config.max_list_size = max_list
    entry.config.max_timeout_ns = timeout_ns
    entry.config.ack_timeout_ns = ack_ns
    return entry


def test_unconfigured_digests_are_dropped() -> None:
    engine, sent, _ = _engine()
    engine.on_digest(Digest("learn_t", 1, ((1, 2),)))
    engine.tick()
    assert sent == []


def test_list_size_and_struct_members() -> None:
    engine, sent, index = _engine()
    engine.write(index, Update.INSERT, _config(2, 10**12, 0))
    engine.on_digest(Digest("learn_t", 1, ((0xA, 1),)))
    assert sent == []
    engine.on_digest(Digest("learn_t", 1, ((0xB, 2),)))
    [msg] = sent
    assert msg.digest.digest_id == DIGEST
    assert [[m.bitstring for m in d.struct.members] for d in msg.digest.data] == [
        [b"\x0a", b"\x01"],
        [b"\x0b", b"\x02"],
    ]


def test_max_timeout_flushes_a_partial_list() -> None:
    engine, sent, index = _engine()
    engine.write(index, Update.INSERT, _config(10, 200_000_000, 0))
    engine.on_digest(Digest("learn_t", 1, ((1, 1),)))
    assert engine.wake.is_set()
    delay = engine.tick()
    assert sent == [] and delay is not None and 0 < delay <= 0.2
    time.sleep(0.25)
    assert engine.tick() is None
    assert len(sent) == 1 and len(sent[0].digest.data) == 1


def test_unacked_samples_are_suppressed_until_ack_or_timeout() -> None:
    engine, sent, index = _engine()
    engine.write(index, Update.INSERT, _config(1, 0, 300_000_000))
    engine.on_digest(Digest("learn_t", 1, ((1, 1),)))
    engine.on_digest(Digest("learn_t", 1, ((1, 1),)))
    assert len(sent) == 1
    engine.on_ack(p4runtime_pb2.DigestListAck(digest_id=DIGEST, list_id=sent[0].digest.list_id))
    engine.on_digest(Digest("learn_t", 1, ((1, 1),)))
    assert len(sent) == 2
    time.sleep(0.35)  # the ack timeout passes without an ack
    engine.on_digest(Digest("learn_t", 1, ((1, 1),)))
    assert len(sent) == 3
    assert len({m.digest.list_id for m in sent}) == 3


def test_config_write_rules() -> None:
    engine, _, index = _engine()
    for kind, code in (
        (Update.MODIFY, grpc.StatusCode.NOT_FOUND),
        (Update.DELETE, grpc.StatusCode.NOT_FOUND),
    ):
        with pytest.raises(P4RuntimeError) as info:
            engine.write(index, kind, _config(1, 0, 0))
        assert info.value.code == code
    engine.write(index, Update.INSERT, _config(1, 0, 0))
    with pytest.raises(P4RuntimeError) as info:
        engine.write(index, Update.INSERT, _config(1, 0, 0))
    assert info.value.code == grpc.StatusCode.ALREADY_EXISTS
    with pytest.raises(P4RuntimeError) as info:
        engine.write(index, Update.MODIFY, _config(-1, 0, 0))
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    [ent] = engine.read(p4runtime_pb2.DigestEntry())
    assert ent.digest_entry.config.max_list_size == 1
