"""Runtime command ``show_errors``: what the switch core lost and why: failed
``assert``/``assume`` by source location (bmv2 aborts the process on the first
one; we drop the packet and count it), internal faults, and packet drops by
reason. Registered into :data:`inalab.switch.io_control_commands.COMMANDS` on
import."""

from __future__ import annotations

from typing import TYPE_CHECKING

from inalab.switch.io_control_commands import _switch, command

if TYPE_CHECKING:
    from inalab.switch.io_process import SwitchProcess


@command("show_errors", "show_errors")
def _show_errors(proc: SwitchProcess, args: list[str]) -> str:
    sw = _switch(proc)
    asserts = dict(sw.assert_failures)
    drops = dict(sw.drops)
    lines = [f"assert/assume failures: {sum(asserts.values())}"]
    lines += [f"  {n:>8}  {where}" for where, n in sorted(asserts.items())]
    lines.append(f"internal faults: {sw.faults}")
    lines.append(f"dropped packets: {sum(drops.values())}")
    lines += [f"  {n:>8}  {why}" for why, n in sorted(drops.items(), key=lambda d: (-d[1], d[0]))]
    return "\n".join(lines)
