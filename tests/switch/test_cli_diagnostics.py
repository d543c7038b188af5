"""show_errors: assert/assume failures by source location, faults and drops,
against the real switch core."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inalab.switch.core import Switch
from inalab.switch.io_control_commands import run_command
from inalab.switch.io_process import SwitchOptions, SwitchProcess

from .assert_program import assert_program


@pytest.fixture
def proc() -> Iterator[SwitchProcess]:
    sw = Switch()
    sw.load_program(assert_program())
    p = SwitchProcess(SwitchOptions(json_path=None, grpc_addr=None, runtime_addr=None), switch=sw)
    p.start()
    yield p
    p.stop()


def test_show_errors_counts_assert_failures_by_location(proc: SwitchProcess) -> None:
    assert run_command(proc, "show_errors").splitlines() == [
        "assert/assume failures: 0",
        "internal faults: 0",
        "dropped packets: 0",
    ]
    sw = proc.switch
    assert sw is not None
    for frame in (bytes([0, 1, 0, 0]), bytes([0, 1, 0, 0]), bytes([1, 0, 0, 0])):
        sw.receive(0, frame)
    assert sw.wait_idle(5)
    lines = run_command(proc, "show_errors").splitlines()
    assert lines[:3] == [
        "assert/assume failures: 3",
        "         1  actions[0].primitives[1]",
        "         2  prog.p4:42: assert(hdr.h.a != 0)",
    ]
    assert lines[3:5] == ["internal faults: 0", "dropped packets: 3"]
    assert lines[5].endswith("fault in ingress: assert failed (actions[0].primitives[0])")
