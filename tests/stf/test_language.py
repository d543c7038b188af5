"""The STF language reader: add lines, action calls, packet data."""

from __future__ import annotations

import pytest

from inalab.stf.errors import StfError
from inalab.stf.language import (
    RemoveCommand,
    packet_hex,
    parse_action,
    parse_add,
    parse_remove,
    read_stf,
)


def test_read_skips_comments_and_blank_lines() -> None:
    cmds = read_stf("# c\n\nadd t k:1 a()  # trailing\nPACKET 0 00\n")
    assert [(c.line, c.verb, c.args) for c in cmds] == [
        (3, "add", "t k:1 a()"),
        (4, "packet", "0 00"),
    ]


def test_add_with_priority_keys_and_action_args() -> None:
    a = parse_add("test1 503 data.f1:0x****0202 ingress.setb1(val:7, port:3)", "x:1")
    assert a.table == "test1" and a.priority == 503
    assert a.keys == (("data.f1", "0x****0202"),)
    assert a.action == "ingress.setb1"
    assert a.params == (("val", "7"), ("port", "3"))


def test_add_without_priority_and_handle_binding() -> None:
    a = parse_add("t f.a:1 f.b:0x2 act() = h1", "x:1")
    assert a.priority is None and a.keys == (("f.a", "1"), ("f.b", "0x2")) and a.action == "act"


def test_bad_action_argument() -> None:
    with pytest.raises(StfError, match="x:3: bad action argument 'v'"):
        parse_action("a(v)", "x:3")


def test_packet_hex() -> None:
    assert packet_hex("00 11 aa **$", "x") == "0011AA**"
    with pytest.raises(StfError, match="bad packet data"):
        packet_hex("zz", "x")


def test_parse_remove() -> None:
    assert parse_remove("all", "w") == RemoveCommand(None)
    assert parse_remove("ALL", "w") == RemoveCommand(None)
    assert parse_remove("t h.a:1", "w") == RemoveCommand("t", None, (("h.a", "1"),))
    assert parse_remove("ingress.t 7 h.a:0x1* h.b:2/8", "w") == RemoveCommand(
        "ingress.t", 7, (("h.a", "0x1*"), ("h.b", "2/8"))
    )
    assert parse_remove("t", "w") == RemoveCommand("t")  # a keyless table's entry
    with pytest.raises(StfError, match="bad key 'set_port\\(port:1\\)'"):
        parse_remove("t h.a:1 set_port(port:1)", "w")
