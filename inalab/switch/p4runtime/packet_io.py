"""PacketOut / PacketIn framing with the P4Info controller headers.

A PacketOut's metadata become the ``packet_out`` header (fields bit-packed in
P4Info order, most significant first, a missing field 0) prepended to the
payload, which then enters ingress on the CPU port. A frame that egresses on
the CPU port loses its leading ``packet_in`` header, whose fields become the
PacketIn's metadata. Without such a header in P4Info, frames pass unchanged.
"""

from __future__ import annotations

from p4.v1 import p4runtime_pb2

from inalab.p4info.model import PacketMetadataInfo
from inalab.switch.p4runtime import bytestrings
from inalab.switch.p4runtime.errors import invalid, not_found


def frame_packet_out(header: PacketMetadataInfo | None, msg: p4runtime_pb2.PacketOut) -> bytes:
    if header is None:
        if len(msg.metadata):
            raise invalid("PacketOut carries metadata but P4Info has no packet_out header")
        return bytes(msg.payload)
    values: dict[int, int] = {}
    for md in msg.metadata:
        f = header.find_field(md.metadata_id)
        if f is None:
            raise not_found(
                f"controller header {header.name!r} has no metadata id {md.metadata_id}"
            )
        if md.metadata_id in values:
            raise invalid(f"PacketOut metadata {f.name!r} given twice")
        values[md.metadata_id] = bytestrings.decode(
            md.value, f.bitwidth, f"PacketOut metadata {f.name!r}"
        )
    packed = bytestrings.pack_fields([(values.get(f.id, 0), f.bitwidth) for f in header.fields])
    return packed + bytes(msg.payload)


def packet_in_message(
    header: PacketMetadataInfo | None, frame: bytes
) -> p4runtime_pb2.StreamMessageResponse:
    msg = p4runtime_pb2.StreamMessageResponse()
    if header is None:
        msg.packet.payload = frame
        return msg
    widths = [f.bitwidth for f in header.fields]
    nbytes = (sum(widths) + 7) // 8
    values = bytestrings.unpack_fields(frame, widths)
    for f, v in zip(header.fields, values, strict=True):
        msg.packet.metadata.add(metadata_id=f.id, value=bytestrings.encode(v))
    msg.packet.payload = frame[nbytes:]
    return msg
