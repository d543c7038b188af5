"""Runtime commands for bmv2's configurable CRCs: ``set_crc16_parameters`` and
``set_crc32_parameters`` (simple_switch_CLI's names and syntax), plus
``get_crc_parameters`` to read them back. Registered into
:data:`inalab.switch.io_control_commands.COMMANDS` on import."""

from __future__ import annotations

from typing import TYPE_CHECKING

from inalab.switch.hashes import CrcConfig
from inalab.switch.io_control_commands import COMMANDS, ProgramNames, _need, _switch, command
from inalab.switch.io_errors import RuntimeCommandError

if TYPE_CHECKING:
    from inalab.switch.io_process import SwitchProcess


def _crc_int(text: str, width: int, what: str) -> int:
    try:
        v = int(text, 0)
    except ValueError:
        raise RuntimeCommandError(f"{what} must be an integer, got {text!r}") from None
    if not 0 <= v < (1 << width):
        raise RuntimeCommandError(f"{what} {text} does not fit within {width} bits")
    return v


def parse_bool(text: str) -> bool:
    """simple_switch_CLI's booleans: true/True/false/False or an integer (0 is false)."""
    if text in ("true", "True"):
        return True
    if text in ("false", "False"):
        return False
    try:
        return bool(int(text, 0))
    except ValueError:
        raise RuntimeCommandError(f"invalid bool parameter {text!r}") from None


def _calculation(proc: SwitchProcess, given: str, width: int | None) -> str:
    sw = _switch(proc)
    calcs = sw.custom_crc_calculations()
    pool = {n: a for n, a in calcs.items() if width is None or a == f"crc{width}_custom"}
    if not pool:
        kind = f"crc{width}_custom" if width else "custom CRC"
        raise RuntimeCommandError(f"the program has no {kind} calculation")
    return ProgramNames.resolve(
        {n: {} for n in pool}, given, f"crc{width}_custom calculation" if width else "calculation"
    )


def _set(proc: SwitchProcess, args: list[str], width: int) -> str:
    _need(args, 6, COMMANDS[f"set_crc{width}_parameters"][1], exact=True)
    name = _calculation(proc, args[0], width)
    config = CrcConfig(
        width,
        _crc_int(args[1], width, "polynomial"),
        _crc_int(args[2], width, "initial remainder"),
        _crc_int(args[3], width, "final xor value"),
        parse_bool(args[4]),
        parse_bool(args[5]),
    )
    _switch(proc).set_crc_parameters(name, config)
    return f"crc{width} parameters of {name} set: {_describe(config)}"


def _describe(c: CrcConfig) -> str:
    digits = c.width // 4
    return (
        f"polynomial 0x{c.polynomial:0{digits}x}, initial remainder "
        f"0x{c.initial_remainder:0{digits}x}, final xor value 0x{c.final_xor_value:0{digits}x}, "
        f"reflect data {str(c.data_reflected).lower()}, "
        f"reflect remainder {str(c.remainder_reflected).lower()}"
    )


@command(
    "set_crc16_parameters",
    "set_crc16_parameters CALC POLYNOMIAL INITIAL_REMAINDER FINAL_XOR REFLECT_DATA "
    "REFLECT_REMAINDER",
)
def _set_crc16(proc: SwitchProcess, args: list[str]) -> str:
    return _set(proc, args, 16)


@command(
    "set_crc32_parameters",
    "set_crc32_parameters CALC POLYNOMIAL INITIAL_REMAINDER FINAL_XOR REFLECT_DATA "
    "REFLECT_REMAINDER",
)
def _set_crc32(proc: SwitchProcess, args: list[str]) -> str:
    return _set(proc, args, 32)


@command("get_crc_parameters", "get_crc_parameters [CALC]")
def _get_crc(proc: SwitchProcess, args: list[str]) -> str:
    sw = _switch(proc)
    if args:
        names = [_calculation(proc, args[0], None)]
    else:
        names = sorted(sw.custom_crc_calculations())
        if not names:
            return "the program has no custom CRC calculation"
    lines = []
    for n in names:
        c = sw.crc_parameters(n)
        lines.append(f"{n} (crc{c.width}_custom): {_describe(c)}")
    return "\n".join(lines)
