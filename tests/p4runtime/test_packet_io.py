from __future__ import annotations

import grpc
import pytest
from p4.v1 import p4runtime_pb2

from inalab.p4info.model import Field, PacketMetadataInfo
from inalab.switch.p4runtime.errors import P4RuntimeError
from inalab.switch.p4runtime.packet_io import frame_packet_out, packet_in_message

OUT = PacketMetadataInfo("packet_out", (Field(1, "egress_port", 9), Field(2, "_pad", 7)))
IN = PacketMetadataInfo("packet_in", (Field(1, "ingress_port", 9), Field(2, "flag", 1)))


def test_packet_out_header_is_prepended_bit_packed() -> None:
    msg = p4runtime_pb2.PacketOut(payload=b"frame")
    msg.metadata.add(metadata_id=1, value=b"\x01\x02")  # port 258
    assert frame_packet_out(OUT, msg) == bytes([0x81, 0x00]) + b"frame"


def test_missing_metadata_is_zero_and_bad_metadata_is_refused() -> None:
    assert frame_packet_out(OUT, p4runtime_pb2.PacketOut(payload=b"x")) == b"\x00\x00x"
    for md, code in (
        ((9, b"\x01"), grpc.StatusCode.NOT_FOUND),
        ((1, b"\x02\x00"), grpc.StatusCode.INVALID_ARGUMENT),
    ):
        msg = p4runtime_pb2.PacketOut(payload=b"x")
        msg.metadata.add(metadata_id=md[0], value=md[1])
        with pytest.raises(P4RuntimeError) as info:
            frame_packet_out(OUT, msg)
        assert info.value.code == code


def test_packet_in_header_is_split_into_metadata() -> None:
    # ingress_port 3 (9 bits), flag 1, then 6 padding bits: 0b000000011_1_000000
    msg = packet_in_message(IN, bytes([0x01, 0xC0]) + b"payload")
    assert msg.packet.payload == b"payload"
    assert [(m.metadata_id, m.value) for m in msg.packet.metadata] == [(1, b"\x03"), (2, b"\x01")]


def test_without_controller_headers_frames_pass_unchanged() -> None:
    assert frame_packet_out(None, p4runtime_pb2.PacketOut(payload=b"abc")) == b"abc"
    assert packet_in_message(None, b"abc").packet.payload == b"abc"
