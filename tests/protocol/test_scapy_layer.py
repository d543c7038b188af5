"""The scapy layer agrees with the codec byte for byte and dissects INA on the INA port."""

from __future__ import annotations

from typing import Any

import numpy as np
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from inalab.protocol import codec
from inalab.protocol import format as fmt
from inalab.protocol.scapy_layer import INA


def test_scapy_build_equals_codec_encode() -> None:
    vals = list(range(-100, -100 + 64))
    hdr: dict[str, Any] = dict(
        msg_type=2, flags=5, job_id=9, slot_id=3, worker_id=2, block_exp=130,
        seq=77, bitmap=0b1011, contrib_count=3, value_count=64,
    )  # fmt: skip
    raw = bytes(INA(**hdr, values=vals))
    m = codec.InaMessage(**hdr, values=np.array(vals, dtype=np.int32))
    assert raw == codec.encode(m)


def test_codec_bytes_dissect_in_a_frame() -> None:
    m = codec.InaMessage(
        msg_type=1, job_id=4, seq=12345, contrib_count=1, value_count=32,
        values=np.full(32, -7, dtype=np.int32),
    )  # fmt: skip
    frame = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=40000, dport=fmt.INA_UDP_PORT)
    pkt = Ether(bytes(frame / codec.encode(m)))
    assert INA in pkt
    ina = pkt[INA]
    assert ina.seq == 12345 and ina.job_id == 4 and ina.values == [-7] * 32
    assert len(pkt) == fmt.frame_bytes(32)


def test_value_count_defaults_to_number_of_values() -> None:
    raw = bytes(INA(msg_type=1, values=[1] * 32))
    assert codec.decode(raw).value_count == 32
