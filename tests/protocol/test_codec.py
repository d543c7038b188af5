"""The numpy codec follows format.py and round-trips single packets and batches."""

from __future__ import annotations

import numpy as np
import pytest

from inalab.protocol import codec
from inalab.protocol import format as fmt


def _msg(k: int = 32, **kw: int) -> codec.InaMessage:
    vals = np.arange(-k // 2, k // 2, dtype=np.int32) * 1_000_003
    base = dict(
        msg_type=int(fmt.MsgType.CONTRIB),
        flags=int(fmt.Flag.SHADOW | fmt.Flag.RESEND),
        job_id=0xBEEF,
        slot_id=513,
        worker_id=31,
        block_exp=200,
        seq=0xDEADBEEF,
        bitmap=0x80000001,
        contrib_count=1,
        value_count=k,
    )
    base.update(kw)
    return codec.InaMessage(**base, values=vals)


def test_dtype_follows_format_offsets_and_sizes() -> None:
    for k in fmt.LANE_CHOICES:
        dt = codec.payload_dtype(k)
        assert dt.itemsize == fmt.payload_bytes(k)
        for f in fmt.INA_FIELDS:
            assert dt.fields is not None
            assert dt.fields[f.name][1] == fmt.offset(f.name)
            assert dt.fields[f.name][0].itemsize == f.bytes
        assert dt.fields is not None
        assert dt.fields["values"][1] == fmt.HEADER_BYTES


@pytest.mark.parametrize("k", fmt.LANE_CHOICES)
def test_round_trip(k: int) -> None:
    m = _msg(k)
    raw = codec.encode(m)
    assert len(raw) == fmt.payload_bytes(k)
    assert codec.decode(raw) == m


def test_big_endian_on_the_wire() -> None:
    raw = codec.encode(_msg(seq=0x01020304, job_id=0x0A0B))
    o = fmt.offset("seq")
    assert raw[o : o + 4] == bytes([1, 2, 3, 4])
    o = fmt.offset("job_id")
    assert raw[o : o + 2] == bytes([0x0A, 0x0B])
    first = fmt.HEADER_BYTES
    assert int.from_bytes(raw[first : first + 4], "big", signed=True) == -16 * 1_000_003


def test_batch_round_trip_matches_single_encode() -> None:
    k = 64
    b = codec.new_batch(100, k)
    b["msg_type"] = int(fmt.MsgType.RESULT)
    b["seq"] = np.arange(100)
    b["values"] = np.arange(100 * k, dtype=np.int32).reshape(100, k) - 3000
    raws = codec.encode_batch(b)
    assert len(raws) == 100
    back = codec.decode_batch(raws, k)
    assert np.array_equal(back["values"], b["values"])
    assert np.array_equal(back["seq"], np.arange(100))
    m = codec.decode(raws[7])
    assert m.seq == 7 and m.values[0] == 7 * k - 3000


def test_malformed_payloads_are_rejected_with_a_reason() -> None:
    with pytest.raises(codec.CodecError, match="not an INA packet"):
        codec.decode(b"\x01" * 10)
    raw = bytearray(codec.encode(_msg()))
    raw[fmt.offset("msg_type")] = 0
    with pytest.raises(codec.CodecError, match="msg_type"):
        codec.decode(bytes(raw))
    raw = bytearray(codec.encode(_msg()))
    raw[fmt.offset("value_count")] = 64
    with pytest.raises(codec.CodecError, match="value_count"):
        codec.decode(bytes(raw))
    with pytest.raises(codec.CodecError, match="payload 1"):
        codec.decode_batch([codec.encode(_msg()), b"x"], 32)


def test_message_validates_fields() -> None:
    with pytest.raises(codec.CodecError, match="job_id"):
        _msg(job_id=1 << 16)
    with pytest.raises(codec.CodecError, match="value_count"):
        _msg(value_count=31)
