"""Match-key conversion of table_entries: P4Runtime FieldMatch <-> switch keys."""

from __future__ import annotations

import grpc
import pytest
from p4.v1 import p4runtime_pb2

from inalab.p4info.model import (
    EXACT,
    LPM,
    OPTIONAL,
    RANGE,
    TERNARY,
    Field,
    TableInfo,
)
from inalab.switch.control import ExactKey, LpmKey, OptionalKey, RangeKey, TernaryKey
from inalab.switch.p4runtime.errors import P4RuntimeError
from inalab.switch.p4runtime.table_entries import keys_from_proto, keys_to_proto

TABLE = TableInfo(
    id=1,
    name="t",
    match_fields=(
        Field(1, "e", 16, EXACT),
        Field(2, "l", 32, LPM),
        Field(3, "t", 8, TERNARY),
        Field(4, "r", 12, RANGE),
        Field(5, "o", 9, OPTIONAL),
    ),
    action_ids=frozenset({7}),
    const_default_action_id=0,
    implementation_id=0,
    direct_counter_id=0,
    direct_meter_id=0,
    size=16,
    idle_notify=False,
    is_const=False,
)


def _full() -> list[p4runtime_pb2.FieldMatch]:
    e = p4runtime_pb2.FieldMatch(field_id=1)
    e.exact.value = b"\x00\x05"
    lpm = p4runtime_pb2.FieldMatch(field_id=2)
    lpm.lpm.value, lpm.lpm.prefix_len = b"\x0a\x01\x00\x00", 16
    t = p4runtime_pb2.FieldMatch(field_id=3)
    t.ternary.value, t.ternary.mask = b"\x10", b"\xf0"
    r = p4runtime_pb2.FieldMatch(field_id=4)
    r.range.low, r.range.high = b"\x01", b"\x0f\xff"
    o = p4runtime_pb2.FieldMatch(field_id=5)
    o.optional.value = b"\x01\x00"
    return [o, r, t, lpm, e]  # any order


def test_every_match_kind_converts_and_reads_back_canonical() -> None:
    keys = keys_from_proto(TABLE, _full())
    assert keys == [
        ExactKey(5),
        LpmKey(0x0A010000, 16),
        TernaryKey(0x10, 0xF0),
        RangeKey(1, 0xFFF),
        OptionalKey(0x100),
    ]
    back = keys_to_proto(TABLE, tuple(keys))
    assert [m.field_id for m in back] == [1, 2, 3, 4, 5]
    assert back[0].exact.value == b"\x05"
    assert back[1].lpm.value == b"\x0a\x01\x00\x00" and back[1].lpm.prefix_len == 16


def test_omitted_fields_are_wildcards_and_read_back_omitted() -> None:
    e = p4runtime_pb2.FieldMatch(field_id=1)
    e.exact.value = b"\x05"
    keys = keys_from_proto(TABLE, [e])
    assert keys == [
        ExactKey(5),
        LpmKey(0, 0),
        TernaryKey(0, 0),
        RangeKey(0, 0xFFF),
        OptionalKey(None),
    ]
    assert [m.field_id for m in keys_to_proto(TABLE, tuple(keys))] == [1]


def _with(field_id: int, **change: object) -> list[p4runtime_pb2.FieldMatch]:
    matches = [m for m in _full() if m.field_id != field_id]
    m = p4runtime_pb2.FieldMatch(field_id=field_id)
    for path, value in change.items():
        kind, attr = path.split("__")
        setattr(getattr(m, kind), attr, value)
    return [*matches, m]


@pytest.mark.parametrize(
    ("matches", "code", "words"),
    [
        (
            [m for m in _full() if m.field_id != 1],
            grpc.StatusCode.INVALID_ARGUMENT,
            "cannot be omitted",
        ),
        (_with(1, exact__value=b"\x01\x00\x00"), grpc.StatusCode.INVALID_ARGUMENT, "16 bits"),
        (
            _with(2, lpm__value=b"\x0a\x01\x00\x01", lpm__prefix_len=16),
            grpc.StatusCode.INVALID_ARGUMENT,
            "prefix",
        ),
        (
            _with(2, lpm__value=b"\x0a", lpm__prefix_len=33),
            grpc.StatusCode.INVALID_ARGUMENT,
            "prefix length",
        ),
        (
            _with(3, ternary__value=b"\x11", ternary__mask=b"\xf0"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "outside the mask",
        ),
        (
            _with(3, ternary__value=b"\x00", ternary__mask=b"\x00"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "omitted",
        ),
        (
            _with(4, range__low=b"\x05", range__high=b"\x04"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "above",
        ),
        (_with(5, exact__value=b"\x01"), grpc.StatusCode.INVALID_ARGUMENT, "exact match given"),
        (
            [*_full(), p4runtime_pb2.FieldMatch(field_id=9)],
            grpc.StatusCode.NOT_FOUND,
            "no match field id 9",
        ),
        ([*_full(), _full()[0]], grpc.StatusCode.INVALID_ARGUMENT, "given twice"),
    ],
)
def test_bad_matches(
    matches: list[p4runtime_pb2.FieldMatch], code: grpc.StatusCode, words: str
) -> None:
    with pytest.raises(P4RuntimeError) as info:
        keys_from_proto(TABLE, matches)
    assert info.value.code == code
    assert words in info.value.message
