"""Slot / shadow-set mapping and the AIMD window."""

from __future__ import annotations

from inalab.hosts.window import AimdWindow, seq_of, shadow_of, slot_of


def test_slot_reuse_flips_the_shadow_set() -> None:
    slots = 8
    for pid in range(100):
        assert slot_of(pid, slots) == slot_of(pid + slots, slots)
        assert shadow_of(pid, slots) != shadow_of(pid + slots, slots)
        assert shadow_of(pid, slots) == shadow_of(pid + 2 * slots, slots)
    assert seq_of((1 << 32) + 5) == 5


def test_aimd_grows_additively_and_halves_on_echo() -> None:
    w = AimdWindow(limit=64, cwnd=8)
    for _ in range(8):
        w.on_result(False)
    assert w.size == 8 or w.size == 9
    before = w.cwnd
    w.on_result(True)
    assert w.cwnd == before / 2 and w.decreases == 1
    w.on_result(True)  # a second echo within the same window does not cut again
    assert w.decreases == 1
    for _ in range(10_000):
        w.on_result(False)
    assert w.size == 64  # capped at the job's slots
    for _ in range(20):
        for _ in range(64):
            w.on_result(True)
    assert w.size == 1


def test_aimd_disabled_keeps_the_window() -> None:
    w = AimdWindow(limit=16, cwnd=16, enabled=False)
    for _ in range(50):
        w.on_result(True)
    assert w.size == 16
