"""simple_switch_CLI-style commands against the real switch core."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inalab.switch.core import Switch
from inalab.switch.io_control_commands import parse_value, run_command
from inalab.switch.io_errors import RuntimeCommandError
from inalab.switch.io_l3_program import l3_program
from inalab.switch.io_process import SwitchOptions, SwitchProcess


@pytest.fixture
def proc() -> Iterator[SwitchProcess]:
    sw = Switch()
    sw.load_program(l3_program())
    p = SwitchProcess(SwitchOptions(json_path=None, grpc_addr=None, runtime_addr=None), switch=sw)
    p.start()
    yield p
    p.stop()


def test_values() -> None:
    assert parse_value("10.0.2.1") == 0x0A000201
    assert parse_value("02:00:00:00:00:fe") == 0x0200000000FE
    assert parse_value("0x1f") == 31 and parse_value("7") == 7
    with pytest.raises(RuntimeCommandError, match="expected a number, IP or MAC"):
        parse_value("ten")


def test_table_add_dump_delete_and_default(proc: SwitchProcess) -> None:
    out = run_command(proc, "table_add ipv4_lpm ipv4_forward 10.0.2.0/24 => 02:00:00:00:00:02 2")
    assert out.startswith("Entry has been added with handle ")
    handle = int(out.rsplit(" ", 1)[1])
    assert proc.switch is not None
    entries = proc.switch.table_entries("MyIngress.ipv4_lpm")
    assert [(e.handle, e.action) for e in entries] == [(handle, entries[0].action)] and entries[
        0
    ].action.params == (0x020000000002, 2)  # type: ignore[union-attr]
    dump = run_command(proc, "table_dump MyIngress.ipv4_lpm")
    assert f"handle {handle}: 0xa000200/24 => MyIngress.ipv4_forward(0x20000000002, 0x2)" in dump
    assert "default: MyIngress.drop()" in dump
    run_command(proc, "table_set_default ipv4_lpm ipv4_forward 0 1")
    assert proc.switch.table_get_default("MyIngress.ipv4_lpm").params == (0, 1)
    run_command(proc, f"table_delete ipv4_lpm {handle}")
    assert proc.switch.table_entries("MyIngress.ipv4_lpm") == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("table_add nosuch a 1 => 2", "unknown table 'nosuch'"),
        ("table_add ipv4_lpm ipv4_forward 10.0.0.0/8 => 1", "takes 2 parameter"),
        ("table_add ipv4_lpm ipv4_forward 10.0.0.0 => 1 2", "expected VALUE/PREFIX_LEN"),
        ("table_add ipv4_lpm ipv4_forward 10.0.0.0/8 1 2", "missing '=>'"),
        ("table_add ipv4_lpm ipv4_forward 10.0.0.0/8 9/8 => 1 2", "has 1 key field"),
        ("table_delete ipv4_lpm 77", "table_delete: EntryNotFoundError"),
        ("register_read nosuch 0", "unknown register 'nosuch'"),
        ("set_queue_depth x", "must be an integer"),
    ],
)
def test_errors_are_one_line(proc: SwitchProcess, line: str, message: str) -> None:
    with pytest.raises(RuntimeCommandError, match=message) as exc:
        run_command(proc, line)
    assert "\n" not in str(exc.value)


def test_multicast_mirroring_and_queues(proc: SwitchProcess) -> None:
    run_command(proc, "mc_mgrp_create 1")
    node = int(run_command(proc, "mc_node_create 0 1 2").rsplit(" ", 1)[1])
    run_command(proc, f"mc_node_associate 1 {node}")
    assert f"group 1: node {node} rid 0 ports [1, 2]" in run_command(proc, "mc_dump")
    run_command(proc, "mirroring_add 5 3")
    assert proc.switch is not None and proc.switch.mirroring_get(5).port == 3
    assert run_command(proc, "set_queue_depth 16 1") == "Queue depth set"
    assert run_command(proc, "set_queue_rate 1000") == "Queue rate set"


def test_queue_stats_count_forwarded_frames(proc: SwitchProcess) -> None:
    assert proc.ports is not None and proc.switch is not None
    p1, p2 = proc.ports.add_virtual(1), proc.ports.add_virtual(2)
    run_command(proc, "table_add ipv4_lpm ipv4_forward 10.0.2.0/24 => 02:00:00:00:00:02 2")
    ipv4 = bytes.fromhex("4500001c00000000401100000a0001010a000201") + b"\x00" * 8
    for _ in range(3):
        p1.inject(bytes.fromhex("0200000000fe0200000000010800") + ipv4)
    assert proc.switch.wait_idle(2)  # type: ignore[attr-defined]
    assert len(p2.drain()) == 3
    out = run_command(proc, "queue_stats").splitlines()
    assert out[0].split() == ["port", "prio", "enqueued", "dropped", "dequeued"]
    assert ["2", "0", "3", "0", "3"] in [ln.split() for ln in out[1:]]


def test_cli_priorities_follow_simple_switch_cli_smaller_wins() -> None:
    """simple_switch_CLI: the smaller priority wins (P4Runtime: the larger; the
    core orders as P4Runtime and the CLI converts). table_dump shows what was typed."""
    from .test_core_tables import frame, kind_program, run

    sw = kind_program("ternary")
    p = SwitchProcess(SwitchOptions(json_path=None, grpc_addr=None, runtime_addr=None), switch=sw)
    p.start()
    try:
        run_command(p, "table_add t set_port 0x1200&&&0xff00 => 1 10")
        run_command(p, "table_add t set_port 0x1234&&&0xffff => 2 20")
        # 0x1234 matches both: priority 10 beats 20, as in bmv2
        assert [port for port, _ in run(sw, [frame(0x1234), frame(0x1299)])] == [1, 1]
        dump = run_command(p, "table_dump t")
        assert "=> set_port(0x1) priority 10" in dump and "=> set_port(0x2) priority 20" in dump
        run_command(p, "table_add t set_port 0x1234&&&0xffff => 3 0")
        assert [port for port, _ in run(sw, [frame(0x1234)])] == [3]
        with pytest.raises(RuntimeCommandError, match="priority -1 out of range"):
            run_command(p, "table_add t set_port 0x1&&&0xf => 3 -1")
    finally:
        p.stop()
