"""The scenarios' switch programming against a real inalab-switch process
running p4src/ina.p4 (no interfaces needed: table state is read back)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from inalab.protocol.constants import JobMode
from inalab.scenarios.errors import ProgrammingError
from inalab.scenarios.programming import (
    AGG,
    FWD,
    QA,
    QM,
    RD,
    FabricProgrammer,
    JobPlacement,
    SwitchControl,
)
from inalab.scenarios.testbed import build_program
from inalab.topologies.builders import single_rack

PORT = 23790  # runtime channel; below the ephemeral range


def test_placement_validates_itself() -> None:
    with pytest.raises(ValueError, match="no members"):
        JobPlacement(1, 0, 8, (), 1)
    with pytest.raises(ValueError, match="distinct"):
        JobPlacement(1, 0, 8, ((1, 0), (2, 0)), 1)
    with pytest.raises(ValueError, match="multicast"):
        JobPlacement(1, 0, 8, ((1, 0),), 0)
    with pytest.raises(ValueError, match="region"):
        JobPlacement(1, 0, 0, ((1, 0),), 1)
    assert JobPlacement(1, 0, 8, ((3, 0), (4, 1)), 1).ports == (3, 4)


@pytest.fixture(scope="module")
def switch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwitchControl]:
    build = tmp_path_factory.mktemp("build")
    program = build_program(build, defines={"INA_SLOTS": 64})
    proc = subprocess.Popen(
        [sys.executable, "-m", "inalab.switch", "--no-grpc", "--thrift-port", str(PORT),
         "--log-level", "warn", str(program)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                control = SwitchControl("s1", PORT)
                break
            except ProgrammingError:
                if proc.poll() is not None:
                    pytest.fail(
                        f"inalab-switch exited: {proc.stderr.read() if proc.stderr else ''}"
                    )
                time.sleep(0.1)
        else:
            pytest.fail("inalab-switch did not open its runtime channel")
        yield control
        control.close()
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.integration
def test_single_rack_forwarding_and_a_job(switch: SwitchControl) -> None:
    topo = single_rack(2)
    fab = FabricProgrammer(topo, {"s1": switch})
    fab.program_forwarding()
    lpm = switch.call(f"table_dump {FWD}.ipv4_lpm")
    assert "0xa000101/32" in lpm and "0xa000164/32" in lpm
    rd = switch.call(f"table_dump {RD}.result_destination")
    assert "0x20000000102, 0xa000102" in rd
    assert fab.region_slots("s1") == 64
    switch.call(f"register_write {AGG}.bitmap_reg 70 5")
    fab.place_job(
        "s1", JobPlacement(9, 4, 8, ((1, 0), (2, 1)), 9, mode=JobMode.DEDICATED, index=3),
        zero=True,
    )  # fmt: skip
    assert switch.register(f"{AGG}.bitmap_reg", 70) == 0  # 64 + base 4 + slot 2: zeroed
    region = switch.call(f"table_dump {AGG}.job_region")
    assert "set_job_region(0x4, 0x8, 0x2, 0x9, 0x0, 0x0, 0x0, 0x3)" in region
    assert "group 9" in switch.call("mc_dump")
    fab.drop_simulator("s1", 0.25)
    assert "0x4000" in switch.call("table_dump InaIngress.drop_simulator_control.drop_simulator")
    assert fab.events("s1")["completed"] == 0
    assert fab.drops("s1")["not_member"] == 0
    assert fab.tail_drops("s1") == 0
    with pytest.raises(ProgrammingError, match="refused"):
        switch.call("table_add nosuch_table foo 1 => 2")


@pytest.mark.integration
def test_queue_thresholds_default_and_per_port_override(switch: SwitchControl) -> None:
    fab = FabricProgrammer(single_rack(2), {"s1": switch})
    fab.queue_thresholds("s1", {0: (2, 4), 3: (8, 16)}, rate_pps=200.0)
    fab.queue_thresholds("s1", {0: (1, 1)}, rate_pps=50.0, port=2)
    fab.queue_thresholds("s1", {1: (5, 6)})  # no rate: ECN only
    adm = switch.call(f"table_dump {QA}.queue_admission")
    # 200 packets/s: 5000 us per packet, drop from 4 waiting: wait > 20000 us
    # simple_switch_CLI's convention: the per-port override (1) beats the default (2)
    assert f"0x0&&&0x0 0x0 => {QA}.set_queue_admission(0x1388, 0x4e21) priority 2" in adm
    assert f"0x0&&&0x0 0x3 => {QA}.set_queue_admission(0x1388, 0x13881) priority 2" in adm
    assert f"0x2&&&0xffff 0x0 => {QA}.set_queue_admission(0x4e20, 0x4e21) priority 1" in adm
    assert adm.count("set_queue_admission(") == 3
    ecn = switch.call(f"table_dump {QM}.ecn_threshold")
    assert ecn.count("set_ecn_threshold(") == 4
    assert f"0x2&&&0x1ff 0x0 => {QM}.set_ecn_threshold(0x1) priority 1" in ecn
    assert fab.queue_drops("s1") == {"low": 0, "normal": 0, "high": 0, "critical": 0}


def test_a_switch_that_is_not_there_is_a_clear_error() -> None:
    with pytest.raises(ProgrammingError, match="cannot reach"):
        SwitchControl("s9", 1)
