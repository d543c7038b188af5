"""Match-action tables: match kinds, priorities, defaults, const entries, next_tables."""

from __future__ import annotations

import time

import pytest

from inalab.switch.control import (
    ActionCall,
    DuplicateEntryError,
    EntryNotFoundError,
    ExactKey,
    InvalidRequestError,
    LpmKey,
    OptionalKey,
    RangeKey,
    ReadOnlyError,
    TableFullError,
    TernaryKey,
    UnknownNameError,
)
from inalab.switch.core import Switch

from .bmv2json import Builder, assign, field, forward_program, hexv, prim, rdata


def run(sw: Switch, frames: list[bytes], port: int = 0) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    sw.set_transmit_handler(lambda p, d: out.append((p, d.hex())))
    for f in frames:
        sw.receive(port, f)
    return out


def kind_program(kind: str) -> Switch:
    b = Builder()
    b.action(
        "set_port", [assign(field("standard_metadata", "egress_spec"), rdata(0))], [("port", 9)]
    )
    b.action("miss", [assign(field("standard_metadata", "egress_spec"), hexv(9))])
    b.table("t", [("h", "c", kind)], ["set_port", "miss"], "miss")
    sw = Switch()
    sw.load_program(b.build())
    return sw


def frame(c: int) -> bytes:
    return bytes([1, 2]) + c.to_bytes(2, "big")


def test_exact_hit_and_default_miss() -> None:
    sw = Switch()
    sw.load_program(forward_program().build())
    sw.table_add("fwd", [ExactKey(1)], ActionCall("set_port", (3,)))
    assert run(sw, [b"\x01\x00\x00\x00", b"\x02\x00\x00\x00"]) == [(3, "01000000")]


def test_lpm_longest_prefix_wins() -> None:
    sw = kind_program("lpm")
    sw.table_add("t", [LpmKey(0x1200, 8)], ActionCall("set_port", (1,)))
    sw.table_add("t", [LpmKey(0x1230, 12)], ActionCall("set_port", (2,)))
    sw.table_add("t", [LpmKey(0, 0)], ActionCall("set_port", (3,)))
    got = run(sw, [frame(0x1234), frame(0x12FF), frame(0x5555)])
    assert [p for p, _ in got] == [2, 1, 3]


def test_ternary_larger_priority_wins() -> None:
    sw = kind_program("ternary")
    sw.table_add("t", [TernaryKey(0x1200, 0xFF00)], ActionCall("set_port", (1,)), priority=10)
    sw.table_add("t", [TernaryKey(0x1234, 0xFFFF)], ActionCall("set_port", (2,)), priority=20)
    got = run(sw, [frame(0x1234), frame(0x1299), frame(0x9999)])
    assert [p for p, _ in got] == [2, 1, 9]


def test_range_and_optional() -> None:
    sw = kind_program("range")
    sw.table_add("t", [RangeKey(10, 20)], ActionCall("set_port", (4,)), priority=1)
    assert [p for p, _ in run(sw, [frame(10), frame(20), frame(21)])] == [4, 4, 9]
    sw = kind_program("optional")
    sw.table_add("t", [OptionalKey(7)], ActionCall("set_port", (5,)), priority=2)
    sw.table_add("t", [OptionalKey(None)], ActionCall("set_port", (6,)), priority=1)
    assert [p for p, _ in run(sw, [frame(7), frame(8)])] == [5, 6]


def test_entry_lifecycle_and_errors() -> None:
    sw = Switch()
    sw.load_program(forward_program().build())
    h = sw.table_add("fwd", [ExactKey(1)], ActionCall("set_port", (3,)))
    with pytest.raises(DuplicateEntryError):
        sw.table_add("fwd", [ExactKey(1)], ActionCall("set_port", (4,)))
    with pytest.raises(InvalidRequestError, match="does not fit in 9 bits"):
        sw.table_add("fwd", [ExactKey(2)], ActionCall("set_port", (512,)))
    with pytest.raises(InvalidRequestError, match="wider than 8 bits"):
        sw.table_add("fwd", [ExactKey(256)], ActionCall("set_port", (1,)))
    with pytest.raises(UnknownNameError):
        sw.table_add("nope", [ExactKey(1)], ActionCall("set_port", (1,)))
    assert sw.table_find("fwd", [ExactKey(1)]) == h
    sw.table_modify("fwd", h, ActionCall("set_port", (7,)))
    assert run(sw, [b"\x01\x00\x00\x00"]) == [(7, "01000000")]
    assert sw.direct_counter_read("fwd", h) == (1, 4)
    [entry] = sw.table_entries("fwd")
    assert entry.action == ActionCall("set_port", (7,))
    sw.table_delete("fwd", h)
    with pytest.raises(EntryNotFoundError):
        sw.table_delete("fwd", h)
    assert run(sw, [b"\x01\x00\x00\x00"]) == []


def test_table_full() -> None:
    b = forward_program()
    b.j["pipelines"][0]["tables"][0]["max_size"] = 2
    sw = Switch()
    sw.load_program(b.build())
    sw.table_add("fwd", [ExactKey(1)], ActionCall("set_port", (1,)))
    sw.table_add("fwd", [ExactKey(2)], ActionCall("set_port", (1,)))
    with pytest.raises(TableFullError):
        sw.table_add("fwd", [ExactKey(3)], ActionCall("set_port", (1,)))


def test_default_action_set_get_reset_and_const() -> None:
    sw = Switch()
    sw.load_program(forward_program().build())
    sw.table_set_default("fwd", ActionCall("set_port", (2,)))
    assert sw.table_get_default("fwd") == ActionCall("set_port", (2,))
    assert run(sw, [b"\x09\x00\x00\x00"]) == [(2, "09000000")]
    sw.table_reset_default("fwd")
    assert sw.table_get_default("fwd") == ActionCall("drop", ())
    b = forward_program()
    b.j["pipelines"][0]["tables"][0]["default_entry"]["action_const"] = True
    sw.load_program(b.build())
    with pytest.raises(ReadOnlyError):
        sw.table_set_default("fwd", ActionCall("set_port", (2,)))


def test_const_entries_are_read_only_and_match() -> None:
    b = forward_program()
    b.j["pipelines"][0]["tables"][0]["entries"] = [
        {"match_key": [{"match_type": "exact", "key": "0x05"}], "action_entry": {"action_id": 0, "action_data": ["0x6"]}, "priority": 1}
    ]  # fmt: skip
    sw = Switch()
    sw.load_program(b.build())
    assert run(sw, [b"\x05\x00\x00\x00"]) == [(6, "05000000")]
    [e] = sw.table_entries("fwd")
    assert e.is_const
    with pytest.raises(ReadOnlyError):
        sw.table_delete("fwd", e.handle)
    with pytest.raises(ReadOnlyError):
        sw.table_add("fwd", [ExactKey(1)], ActionCall("set_port", (1,)))


def test_next_tables_hit_miss() -> None:
    b = Builder()
    b.action("noop", [])
    b.action("mark", [assign(field("h", "b"), hexv(0xAA))])
    b.action("mark2", [assign(field("h", "b"), hexv(0xBB))])
    b.table(
        "first",
        [("h", "a", "exact")],
        ["noop"],
        "noop",
        next_tables={"__HIT__": "on_hit", "__MISS__": "on_miss"},
    )
    b.table("on_hit", [], ["mark"], "mark")
    b.table("on_miss", [], ["mark2"], "mark2")
    sw = Switch()
    sw.load_program(b.build())
    sw.table_add("first", [ExactKey(1)], ActionCall("noop"))
    assert run(sw, [b"\x01\x00\x00\x00", b"\x02\x00\x00\x00"]) == [(0, "01aa0000"), (0, "02bb0000")]


def test_action_selector_picks_member_by_hash() -> None:
    b = Builder()
    b.action(
        "set_port", [assign(field("standard_metadata", "egress_spec"), rdata(0))], [("port", 9)]
    )
    t = b.table("ecmp", [("h", "a", "exact")], ["set_port"], "set_port", default_data=[0])
    t["type"] = "indirect_ws"
    t["action_profile"] = "sel"
    b.j["pipelines"][0]["action_profiles"] = [
        {
            "name": "sel",
            "id": 0,
            "max_size": 16,
            "selector": {"algo": "identity", "input": [field("h", "c")]},
        }
    ]
    sw = Switch()
    sw.load_program(b.build())
    members = [sw.act_prof_add_member("sel", ActionCall("set_port", (p,))) for p in (10, 11, 12)]
    g = sw.act_prof_create_group("sel")
    for m in members:
        sw.act_prof_add_member_to_group("sel", m, g)
    from inalab.switch.control import GroupRef

    sw.table_add("ecmp", [ExactKey(1)], GroupRef(g))
    got = run(sw, [bytes([1, 0, 0, c]) for c in range(6)])
    assert [p for p, _ in got] == [10, 11, 12, 10, 11, 12]
    assert sw.act_prof_groups("sel") == {g: tuple(members)}


def test_exit_stops_the_control() -> None:
    b = Builder()
    b.action(
        "bye", [assign(field("h", "b"), hexv(1)), prim("exit"), assign(field("h", "b"), hexv(2))]
    )
    b.action("late", [assign(field("h", "b"), hexv(3))])
    b.table("t1", [], ["bye"], "bye", base_default_next="t2", next_tables={"bye": "t2"})
    b.table("t2", [], ["late"], "late")
    sw = Switch()
    sw.load_program(b.build())
    assert run(sw, [b"\x00\x00\x00\x00"]) == [(0, "00010000")]


def test_time_since_hit_counts_from_add_and_restarts_on_a_hit() -> None:
    b = forward_program()
    b.j["pipelines"][0]["tables"][0]["support_timeout"] = True
    sw = Switch()
    sw.load_program(b.build())
    h1 = sw.table_add("fwd", [ExactKey(1)], ActionCall("set_port", (2,)))
    h2 = sw.table_add("fwd", [ExactKey(2)], ActionCall("set_port", (3,)))
    time.sleep(0.2)
    run(sw, [bytes([1, 0, 0, 0])])
    idle = sw.table_times_since_hit("fwd")
    assert set(idle) == {h1, h2}
    assert idle[h1] < 0.1 <= 0.2 <= idle[h2] < 10
    plain = Switch()
    plain.load_program(forward_program().build())
    with pytest.raises(InvalidRequestError, match="does not support idle timeouts"):
        plain.table_times_since_hit("fwd")
