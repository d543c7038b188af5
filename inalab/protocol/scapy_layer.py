"""Scapy layer for the INA header, for tests and captures.

Fields, widths, order and the UDP port come from :mod:`inalab.protocol.format`;
the K int32 values follow the header as a list whose length is ``value_count``.
``Ether()/IP()/UDP(dport=INA_UDP_PORT)/INA(...)`` builds a packet, and a capture
of INA traffic (either UDP port ``INA_UDP_PORT`` or ``INA_PS_UDP_PORT``) dissects as INA.
"""

from __future__ import annotations

from typing import Any

from scapy.fields import BitField, FieldListField, SignedIntField
from scapy.layers.inet import UDP
from scapy.packet import Packet, bind_layers

from inalab.protocol import format as fmt


def _fields() -> list[Any]:
    out: list[Any] = [BitField(f.name, 0, f.bits) for f in fmt.INA_FIELDS]
    out.append(
        FieldListField(
            "values",
            [],
            SignedIntField("value", 0),
            count_from=lambda pkt: pkt.value_count,
        )
    )
    return out


class INA(Packet):
    """INA header + ``value_count`` int32 values."""

    name = "INA"
    fields_desc = _fields()

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        # value_count defaults to the number of values given when left at 0.
        if self.getfieldval("value_count") == 0 and self.values:
            off, width = fmt.offset("value_count"), fmt.field("value_count").bytes
            pkt = pkt[:off] + len(self.values).to_bytes(width, "big") + pkt[off + width :]
        return pkt + pay


for _port in (fmt.INA_UDP_PORT, fmt.INA_PS_UDP_PORT):
    bind_layers(UDP, INA, dport=_port)
    bind_layers(UDP, INA, sport=_port)
