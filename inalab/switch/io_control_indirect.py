"""Runtime commands for action profiles / selectors, indirect table entries and
meters, in simple_switch_CLI's names (``act_prof_create_member``,
``table_indirect_add``, ``meter_set_rates`` ...). Registered into
:data:`inalab.switch.io_control_commands.COMMANDS` on import."""

from __future__ import annotations

from typing import TYPE_CHECKING

from inalab.switch.control import ActionCall, GroupRef, MemberRef, MeterRate
from inalab.switch.io_control_commands import (
    COMMANDS,
    Json,
    ProgramNames,
    _int_arg,
    _names,
    _need,
    _switch,
    command,
    match_keys,
    parse_value,
)
from inalab.switch.io_errors import RuntimeCommandError

if TYPE_CHECKING:
    from inalab.switch.io_process import SwitchProcess


def _profile(names: ProgramNames, given: str) -> str:
    return ProgramNames.resolve(names.profiles, given, "action profile")


def _member_action(names: ProgramNames, action: str, params: list[str]) -> ActionCall:
    name, act = names.action(action)
    want = len(act.get("runtime_data", []))
    if len(params) != want:
        raise RuntimeCommandError(f"action {name} takes {want} parameter(s), got {len(params)}")
    return ActionCall(name, tuple(parse_value(p) for p in params))


@command("act_prof_create_member", "act_prof_create_member PROFILE ACTION PARAM...")
def _create_member(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 2, COMMANDS["act_prof_create_member"][1])
    names = _names(proc)
    prof = _profile(names, args[0])
    member = _switch(proc).act_prof_add_member(prof, _member_action(names, args[1], args[2:]))
    return f"Member has been created with handle {member}"


@command("act_prof_modify_member", "act_prof_modify_member PROFILE ACTION MEMBER PARAM...")
def _modify_member(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 3, COMMANDS["act_prof_modify_member"][1])
    names = _names(proc)
    prof = _profile(names, args[0])
    action = _member_action(names, args[1], args[3:])
    _switch(proc).act_prof_modify_member(prof, _int_arg(args[2], "member"), action)
    return f"Member {args[2]} has been modified"


@command("act_prof_delete_member", "act_prof_delete_member PROFILE MEMBER")
def _delete_member(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 2, COMMANDS["act_prof_delete_member"][1], exact=True)
    prof = _profile(_names(proc), args[0])
    _switch(proc).act_prof_delete_member(prof, _int_arg(args[1], "member"))
    return f"Member {args[1]} has been deleted"


@command("act_prof_create_group", "act_prof_create_group PROFILE")
def _create_group(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["act_prof_create_group"][1], exact=True)
    prof = _profile(_names(proc), args[0])
    return f"Group has been created with handle {_switch(proc).act_prof_create_group(prof)}"


@command("act_prof_delete_group", "act_prof_delete_group PROFILE GROUP")
def _delete_group(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 2, COMMANDS["act_prof_delete_group"][1], exact=True)
    prof = _profile(_names(proc), args[0])
    _switch(proc).act_prof_delete_group(prof, _int_arg(args[1], "group"))
    return f"Group {args[1]} has been deleted"


@command("act_prof_add_member_to_group", "act_prof_add_member_to_group PROFILE MEMBER GROUP")
def _add_to_group(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 3, COMMANDS["act_prof_add_member_to_group"][1], exact=True)
    prof = _profile(_names(proc), args[0])
    member, group = _int_arg(args[1], "member"), _int_arg(args[2], "group")
    _switch(proc).act_prof_add_member_to_group(prof, member, group)
    return f"Member {member} added to group {group}"


@command(
    "act_prof_remove_member_from_group",
    "act_prof_remove_member_from_group PROFILE MEMBER GROUP",
)
def _remove_from_group(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 3, COMMANDS["act_prof_remove_member_from_group"][1], exact=True)
    prof = _profile(_names(proc), args[0])
    member, group = _int_arg(args[1], "member"), _int_arg(args[2], "group")
    _switch(proc).act_prof_remove_member_from_group(prof, member, group)
    return f"Member {member} removed from group {group}"


@command("act_prof_dump", "act_prof_dump PROFILE")
def _prof_dump(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["act_prof_dump"][1], exact=True)
    prof = _profile(_names(proc), args[0])
    sw = _switch(proc)
    lines = [f"Action profile {prof}:"]
    for m, a in sorted(sw.act_prof_members(prof).items()):
        lines.append(f"  member {m}: {a.action}({', '.join(hex(p) for p in a.params)})")
    for g, members in sorted(sw.act_prof_groups(prof).items()):
        lines.append(f"  group {g}: members {list(members)}")
    return "\n".join(lines)


def _indirect_add(proc: SwitchProcess, args: list[str], usage: str, group: bool) -> str:
    _need(args, 3, usage)
    if "=>" not in args:
        raise RuntimeCommandError(f"missing '=>'; usage: {usage}")
    names = _names(proc)
    tname, table = names.table(args[0])
    kind: Json = table
    if kind.get("type", "simple") == "simple":
        raise RuntimeCommandError(f"table {tname} has no action profile: use table_add")
    cut = args.index("=>")
    keys, priority, rest = match_keys(tname, table, args[1:cut], args[cut + 1 :])
    if len(rest) != 1:
        raise RuntimeCommandError(f"usage: {usage}")
    ref = _int_arg(rest[0], "group" if group else "member")
    spec = GroupRef(ref) if group else MemberRef(ref)
    handle = _switch(proc).table_add(tname, keys, spec, priority)
    return f"Entry has been added with handle {handle}"


@command("table_indirect_add", "table_indirect_add TABLE MATCH... => MEMBER [PRIORITY]")
def _table_indirect_add(proc: SwitchProcess, args: list[str]) -> str:
    return _indirect_add(proc, args, COMMANDS["table_indirect_add"][1], group=False)


@command(
    "table_indirect_add_with_group",
    "table_indirect_add_with_group TABLE MATCH... => GROUP [PRIORITY]",
)
def _table_indirect_add_with_group(proc: SwitchProcess, args: list[str]) -> str:
    return _indirect_add(proc, args, COMMANDS["table_indirect_add_with_group"][1], group=True)


def _rates(words: list[str]) -> list[MeterRate]:
    out = []
    for w in words:
        rate, sep, burst = w.partition(":")
        if not sep:
            raise RuntimeCommandError(f"rate {w!r}: expected RATE:BURST (units per microsecond)")
        try:
            out.append(MeterRate(float(rate), int(burst)))
        except ValueError:
            raise RuntimeCommandError(f"rate {w!r}: expected RATE:BURST numbers") from None
    return out


@command("meter_set_rates", "meter_set_rates METER INDEX RATE:BURST RATE:BURST")
def _meter_set_rates(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 4, COMMANDS["meter_set_rates"][1], exact=True)
    names = _names(proc)
    name = ProgramNames.resolve(names.meters, args[0], "meter")
    index = _int_arg(args[1], "index")
    rates = _rates(args[2:])
    sw = _switch(proc)
    if names.meters[name].get("is_direct"):
        sw.direct_meter_set_rates(names.meters[name]["binding"], index, rates)
    else:
        sw.meter_set_rates(name, index, rates)
    return f"{name}[{index}] rates set"


@command("meter_get_rates", "meter_get_rates METER INDEX")
def _meter_get_rates(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 2, COMMANDS["meter_get_rates"][1], exact=True)
    names = _names(proc)
    name = ProgramNames.resolve(names.meters, args[0], "meter")
    index = _int_arg(args[1], "index")
    sw = _switch(proc)
    if names.meters[name].get("is_direct"):
        rates = sw.direct_meter_get_rates(names.meters[name]["binding"], index)
    else:
        rates = sw.meter_get_rates(name, index)
    return "\n".join(
        f"{i}: info rate = {r.rate_per_us}, burst size = {r.burst}" for i, r in enumerate(rates)
    )
