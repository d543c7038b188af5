"""A failing assert/assume: bmv2 aborts the switch; ours drops the packet, logs
an error naming the source location and counts it per location."""

from __future__ import annotations

import logging

import pytest

from inalab.switch.core import Switch
from inalab.switch.errors import PacketError
from inalab.switch.packet import AssertionFailed, Packet

from .assert_program import assert_program


def test_failing_assert_drops_the_packet_logs_its_location_and_counts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sw = Switch()
    sw.load_program(assert_program())
    out: list[int] = []
    sw.set_transmit_handler(lambda port, data: out.append(port))
    with caplog.at_level(logging.ERROR, logger="inalab.switch"):
        sw.receive(0, bytes([1, 1, 0, 0]))  # passes both checks
        sw.receive(0, bytes([0, 1, 0, 0]))  # assert fails
        sw.receive(0, bytes([0, 1, 0, 0]))
        sw.receive(0, bytes([1, 0, 0, 0]))  # assume fails
        sw.receive(0, bytes([1, 1, 0, 0]))  # the switch keeps running
    assert out == [1, 1]
    assert sw.assert_failures == {
        "prog.p4:42: assert(hdr.h.a != 0)": 2,
        "actions[0].primitives[1]": 1,  # no source_info: the JSON path
    }
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 3
    assert (
        errors[0]
        .getMessage()
        .startswith(
            "Assert error: prog.p4:42: assert(hdr.h.a != 0) failed (actions[0].primitives[0]);"
        )
    )
    assert "bmv2 would abort the switch" in errors[0].getMessage()
    assert errors[2].getMessage().startswith("Assume error: actions[0].primitives[1] failed")
    assert sw.faults == 0  # a program's assert is not an internal fault


def test_assert_counters_start_empty_and_survive_a_new_program() -> None:
    sw = Switch()
    sw.load_program(assert_program())
    assert sw.assert_failures == {}
    sw.receive(0, bytes(4))
    sw.load_program(assert_program())
    assert sum(sw.assert_failures.values()) == 1  # counters of the process, as drops


def test_only_an_assertion_failure_counts_as_one(caplog: pytest.LogCaptureFixture) -> None:
    """A fault is recognised by its class (AssertionFailed), not by its text."""
    sw = Switch()
    sw.load_program(assert_program())
    p = Packet([], [], [], b"", 7)
    with caplog.at_level(logging.WARNING, logger="inalab.switch"):
        sw._error(p, PacketError("assert failed (actions[0].primitives[0])"))
        assert sw.assert_failures == {}
        failure = AssertionFailed("assume", "actions[0].primitives[1]")
        assert isinstance(failure, PacketError)
        assert str(failure) == "assume failed (actions[0].primitives[1])"
        sw._error(p, failure)
    assert sw.assert_failures == {"actions[0].primitives[1]": 1}
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.ERROR]
