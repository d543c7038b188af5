"""set_crc16_parameters / set_crc32_parameters (simple_switch_CLI syntax) and
get_crc_parameters against the real switch core."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inalab.switch.core import Switch
from inalab.switch.io_control_commands import run_command
from inalab.switch.io_errors import RuntimeCommandError
from inalab.switch.io_process import SwitchOptions, SwitchProcess

from .crc_program import crc_program


@pytest.fixture
def proc() -> Iterator[SwitchProcess]:
    sw = Switch()
    sw.load_program(crc_program())
    p = SwitchProcess(SwitchOptions(json_path=None, grpc_addr=None, runtime_addr=None), switch=sw)
    p.start()
    yield p
    p.stop()


def hashes(proc: SwitchProcess) -> tuple[int, int]:
    assert proc.switch is not None
    out: list[bytes] = []
    proc.switch.set_transmit_handler(lambda port, data: out.append(data))
    proc.switch.receive(0, bytes(8))
    assert proc.switch.wait_idle(5)
    (data,) = out
    return int.from_bytes(data[2:4], "big"), int.from_bytes(data[4:8], "big")


def test_set_crc_parameters_as_simple_switch_cli(proc: SwitchProcess) -> None:
    assert hashes(proc) == (0xBB3D, 0xCBF43926)
    # CRC-16/CCITT-FALSE; booleans as simple_switch_CLI takes them (true/false/0/1)
    out = run_command(proc, "set_crc16_parameters calc16 0x1021 0xffff 0x0000 false 0")
    assert out.startswith("crc16 parameters of calc16 set: polynomial 0x1021")
    # CRC-32C (iSCSI)
    run_command(proc, "set_crc32_parameters calc32 0x1EDC6F41 0xFFFFFFFF 0xFFFFFFFF True 1")
    assert hashes(proc) == (0x29B1, 0xE3069283)
    shown = run_command(proc, "get_crc_parameters")
    assert shown.splitlines() == [
        "calc16 (crc16_custom): polynomial 0x1021, initial remainder 0xffff, final xor value "
        "0x0000, reflect data false, reflect remainder false",
        "calc32 (crc32_custom): polynomial 0x1edc6f41, initial remainder 0xffffffff, final xor "
        "value 0xffffffff, reflect data true, reflect remainder true",
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("set_crc16_parameters calc16 0x1021 0 0 true", "usage: set_crc16_parameters CALC"),
        ("set_crc16_parameters calc32 0x1021 0 0 1 1", "unknown crc16_custom calculation"),
        ("set_crc16_parameters plain 0x1021 0 0 1 1", "unknown crc16_custom calculation"),
        ("set_crc16_parameters calc16 0x11021 0 0 1 1", "does not fit within 16 bits"),
        ("set_crc32_parameters calc32 0x04c11db7 x 0 1 1", "must be an integer"),
        ("set_crc32_parameters calc32 0x04c11db7 0 0 maybe 1", "invalid bool parameter"),
    ],
)
def test_bad_crc_commands_are_one_line_errors(proc: SwitchProcess, line: str, message: str) -> None:
    with pytest.raises(RuntimeCommandError, match=message):
        run_command(proc, line)
    assert hashes(proc) == (0xBB3D, 0xCBF43926)  # nothing changed
