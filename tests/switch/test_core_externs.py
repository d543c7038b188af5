"""Parse value sets, truncate, log_msg, direct meters, valid-match keys."""

from __future__ import annotations

import logging

import pytest

from inalab.switch.control import ActionCall, ExactKey, InvalidRequestError, MeterRate, ValidKey
from inalab.switch.core import Switch

from .bmv2json import Builder, assign, field, hexv, prim

SM = "standard_metadata"


def capture(sw: Switch) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    sw.set_transmit_handler(lambda p, d: out.append((p, d.hex())))
    return out


def test_parse_value_set_selects_state() -> None:
    b = Builder()
    b.j["parse_vsets"] = [{"name": "vs", "id": 0, "compressed_bitwidth": 8}]
    st = b.j["parsers"][0]["parse_states"][0]
    st["transition_key"] = [field("h", "a")]
    st["transitions"] = [
        {"type": "parse_vset", "value": "vs", "mask": None, "next_state": "mark"},
        {"type": "default", "value": None, "mask": None, "next_state": None},
    ]
    b.j["parsers"][0]["parse_states"].append({
        "name": "mark", "id": 1, "transition_key": [],
        "parser_ops": [{"op": "set", "parameters": [field("h", "b"), hexv(0x77)]}],
        "transitions": [{"type": "default", "value": None, "mask": None, "next_state": None}],
    })  # fmt: skip
    sw = Switch()
    sw.load_program(b.build())
    out = capture(sw)
    sw.pvs_add("vs", 5)
    sw.pvs_add("vs", 0x10, 0xF0)
    for a in (5, 6, 0x1A):
        sw.receive(0, bytes([a, 0, 0, 0]))
    assert [d for _, d in out] == ["05770000", "06000000", "1a770000"]
    assert sw.pvs_entries("vs") == [(5, None), (16, 240)]
    sw.pvs_remove("vs", 5)
    sw.receive(0, bytes([5, 0, 0, 0]))
    assert out[-1] == (0, "05000000")


def test_truncate_and_log_msg(caplog: pytest.LogCaptureFixture) -> None:
    b = Builder()
    b.action("go", [
        prim("truncate", hexv(3)),
        prim("log_msg", {"type": "string", "value": "a={} c={}"},
             {"type": "parameters_vector", "value": [field("h", "a"), field("h", "c")]}),
    ])  # fmt: skip
    b.table("t", [], ["go"], "go")
    sw = Switch()
    sw.load_program(b.build())
    out = capture(sw)
    with caplog.at_level(logging.INFO, logger="inalab.switch.trace"):
        sw.receive(0, bytes.fromhex("07000102ffff"))
    assert out == [(0, "070001")]
    assert "log_msg: a=7 c=258" in caplog.text


def test_direct_meter_colors_into_result_field() -> None:
    b = Builder()
    b.j["meter_arrays"] = [{
        "name": "dm", "id": 0, "is_direct": True, "binding": "t", "rate_count": 2,
        "type": "packets", "size": 16, "result_target": ["h", "b"],
    }]  # fmt: skip
    b.action("noop", [])
    b.table("t", [("h", "a", "exact")], ["noop"], "noop", direct_meters="dm")
    sw = Switch()
    sw.load_program(b.build())
    out = capture(sw)
    h = sw.table_add("t", [ExactKey(1)], ActionCall("noop"))
    sw.direct_meter_set_rates("t", h, [MeterRate(1e-9, 1), MeterRate(1e-9, 2)])
    assert sw.direct_meter_get_rates("t", h)[0].burst == 1
    for _ in range(3):
        sw.receive(0, bytes.fromhex("01000000"))
    assert [d[2:4] for _, d in out] == ["00", "01", "02"]  # green, yellow, red
    with pytest.raises(InvalidRequestError, match="rates must not decrease"):
        sw.direct_meter_set_rates("t", h, [MeterRate(2.0, 1), MeterRate(1.0, 1)])


def test_valid_match_kind() -> None:
    b = Builder()
    b.action("to", [assign(field(SM, "egress_spec"), hexv(3))])
    b.action("noop", [])
    t = b.table("t", [("h", "$valid$", "exact")], ["to", "noop"], "noop")
    t["key"][0]["match_type"] = "valid"
    t["key"][0]["target"] = "h"
    sw = Switch()
    sw.load_program(b.build())
    out = capture(sw)
    sw.table_add("t", [ValidKey(True)], ActionCall("to"))
    sw.receive(0, bytes(4))
    sw.receive(0, bytes(2))  # too short: h invalid
    assert out == [(3, "00000000"), (0, "0000")]
