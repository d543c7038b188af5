"""The host codec and the P4 program agree on the wire format: a codec-encoded
contribution aggregates in the switch, and the switch's result decodes."""

from __future__ import annotations

import numpy as np

from inalab.protocol import codec
from inalab.protocol import format as fmt

from .harness import Rig
from .packets import L2_L3_L4, Frame, Ina, ethernet, host_ip, host_mac, ipv4, udp


def _frame(worker: int, payload: bytes) -> bytes:
    f = Frame(src_n=worker + 1)
    seg = udp(f.sport, fmt.INA_UDP_PORT, payload)
    return (
        ethernet(f.dst_mac, host_mac(worker + 1), fmt.ETHERTYPE_IPV4)
        + ipv4(host_ip(worker + 1), f.dst_ip, fmt.IP_PROTO_UDP, len(seg))
        + seg
    )


def test_codec_bytes_equal_the_test_builder() -> None:
    vals = np.arange(-16, 16, dtype=np.int32)
    msg = codec.InaMessage(
        msg_type=fmt.MsgType.CONTRIB, flags=1, job_id=7, slot_id=3, worker_id=2, block_exp=9,
        seq=123456, contrib_count=1, value_count=32, values=vals,
    )  # fmt: skip
    ina = Ina(flags=1, job_id=7, slot_id=3, worker_id=2, block_exp=9, seq=123456,
              values=tuple(int(v) for v in vals))  # fmt: skip
    assert codec.encode(msg) == ina.payload()


def test_codec_contributions_aggregate_and_result_decodes() -> None:
    rig = Rig()
    rig.rack(1, (1, 2), mcast=1)
    rows = [np.full(32, 2**30, dtype=np.int32), np.arange(32, dtype=np.int32)]
    out: list[tuple[int, bytes]] = []
    for w, row in enumerate(rows):
        msg = codec.InaMessage(
            msg_type=fmt.MsgType.CONTRIB, job_id=1, worker_id=w, contrib_count=1,
            value_count=32, values=row,
        )  # fmt: skip
        out = rig.send(w + 1, _frame(w, codec.encode(msg)))
    assert len(out) == 2
    res = codec.decode(out[0][1][L2_L3_L4:])
    assert res.msg_type == fmt.MsgType.RESULT and res.bitmap == 0b11 and res.contrib_count == 2
    np.testing.assert_array_equal(res.values, rows[0] + rows[1])
