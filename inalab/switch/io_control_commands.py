"""The runtime-control commands, in simple_switch_CLI's names and syntax where
we serve them, plus link impairment and port statistics.

:func:`run_command` takes one command line and returns its text output, or
raises :class:`RuntimeCommandError` with a one-line reason. It talks to the
core only through :class:`~inalab.switch.control.SwitchControl`; names may be
given in full (``MyIngress.ipv4_lpm``) or by a unique dotted suffix
(``ipv4_lpm``), as simple_switch_CLI resolves them.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inalab.switch.control import (
    ActionCall,
    ControlError,
    ExactKey,
    LpmKey,
    MatchKey,
    MemberRef,
    MirrorSession,
    OptionalKey,
    RangeKey,
    SwitchControl,
    TernaryKey,
    ValidKey,
)
from inalab.switch.impairment import DIRECTIONS, Direction, ImpairmentConfig
from inalab.switch.io_errors import RuntimeCommandError, SwitchIOError

if TYPE_CHECKING:
    from inalab.switch.io_process import SwitchProcess

Json = dict[str, Any]


# --------------------------------------------------------------------------- values
def parse_value(text: str) -> int:
    """An int (decimal/0x/0b), IPv4/IPv6 address or MAC address."""
    try:
        return int(text, 0)
    except ValueError:
        pass
    if text.count(":") == 5 and all(len(p) <= 2 for p in text.split(":")):
        try:
            return int(text.replace(":", ""), 16)
        except ValueError:
            pass
    try:
        return int(ipaddress.ip_address(text))
    except ValueError:
        raise RuntimeCommandError(f"bad value {text!r}: expected a number, IP or MAC") from None


def _int_arg(text: str, what: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise RuntimeCommandError(f"{what} must be an integer, got {text!r}") from None


def _match_key(kind: str, text: str) -> MatchKey:
    if kind == "exact":
        return ExactKey(parse_value(text))
    if kind == "lpm":
        value, sep, length = text.partition("/")
        if not sep:
            raise RuntimeCommandError(f"lpm key {text!r}: expected VALUE/PREFIX_LEN")
        return LpmKey(parse_value(value), _int_arg(length, "prefix length"))
    if kind == "ternary":
        value, sep, mask = text.partition("&&&")
        if not sep:
            raise RuntimeCommandError(f"ternary key {text!r}: expected VALUE&&&MASK")
        return TernaryKey(parse_value(value), parse_value(mask))
    if kind == "range":
        low, sep, high = text.partition("->")
        if not sep:
            raise RuntimeCommandError(f"range key {text!r}: expected LOW->HIGH")
        return RangeKey(parse_value(low), parse_value(high))
    if kind == "optional":
        return OptionalKey(None if text in ("*", "_") else parse_value(text))
    if kind == "valid":
        if text.lower() in ("1", "true"):
            return ValidKey(True)
        if text.lower() in ("0", "false"):
            return ValidKey(False)
        raise RuntimeCommandError(f"valid key {text!r}: expected 0 or 1")
    raise RuntimeCommandError(f"match kind {kind!r} is not supported by this CLI")


def _format_key(key: MatchKey) -> str:
    if isinstance(key, ExactKey):
        return hex(key.value)
    if isinstance(key, LpmKey):
        return f"{key.value:#x}/{key.prefix_len}"
    if isinstance(key, TernaryKey):
        return f"{key.value:#x}&&&{key.mask:#x}"
    if isinstance(key, RangeKey):
        return f"{key.low:#x}->{key.high:#x}"
    if isinstance(key, OptionalKey):
        return "*" if key.value is None else hex(key.value)
    return "1" if key.valid else "0"


# --------------------------------------------------------------------------- program names
class ProgramNames:
    """Tables, actions, counters, registers of the loaded program, by full name."""

    def __init__(self, program: Json | None) -> None:
        if program is None:
            raise RuntimeCommandError("no program is loaded")
        self.tables: dict[str, Json] = {}
        for pipe in program.get("pipelines", []):
            for t in pipe.get("tables", []):
                self.tables[t["name"]] = t
        self.actions: dict[str, Json] = {a["name"]: a for a in program.get("actions", [])}
        self.counters: dict[str, Json] = {c["name"]: c for c in program.get("counter_arrays", [])}
        self.registers: dict[str, Json] = {r["name"]: r for r in program.get("register_arrays", [])}
        self.meters: dict[str, Json] = {m["name"]: m for m in program.get("meter_arrays", [])}
        self.profiles: dict[str, Json] = {}
        for pipe in program.get("pipelines", []):
            for prof in pipe.get("action_profiles", []):
                self.profiles[prof["name"]] = prof

    @staticmethod
    def resolve(names: dict[str, Json], given: str, what: str) -> str:
        if given in names:
            return given
        hits = [n for n in names if n.endswith("." + given)]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise RuntimeCommandError(f"{what} {given!r} is ambiguous: {', '.join(sorted(hits))}")
        raise RuntimeCommandError(f"unknown {what} {given!r}")

    def table(self, given: str) -> tuple[str, Json]:
        name = self.resolve(self.tables, given, "table")
        return name, self.tables[name]

    def action(self, given: str, table: Json | None = None) -> tuple[str, Json]:
        if table is not None:
            allowed = {n: self.actions[n] for n in table.get("actions", []) if n in self.actions}
            if allowed:
                name = self.resolve(allowed, given, f"action of table {table['name']}")
                return name, allowed[name]
        name = self.resolve(self.actions, given, "action")
        return name, self.actions[name]


def _action_call(names: ProgramNames, action: str, params: list[str], table: Json) -> ActionCall:
    name, act = names.action(action, table)
    want = len(act.get("runtime_data", []))
    if len(params) != want:
        raise RuntimeCommandError(
            f"action {name} takes {want} parameter(s), got {len(params)}: "
            + ", ".join(d["name"] for d in act.get("runtime_data", []))
        )
    return ActionCall(name, tuple(parse_value(p) for p in params))


# Entry priorities. The switch core orders entries as P4Runtime does: the larger
# numeric priority wins. simple_switch_CLI speaks bmv2's own convention, where the
# *smaller* one wins (PI converts between the two; behavioral-model issue 1121),
# and scripts written for it rely on that. The runtime CLI converts both ways with
# this constant, so `table_add ... 1` beats `table_add ... 2` as in bmv2, and
# table_dump shows the number that was typed.
CLI_PRIORITY_MAX = (1 << 31) - 1


def cli_to_core_priority(priority: int) -> int:
    if not 0 <= priority < CLI_PRIORITY_MAX:
        raise RuntimeCommandError(f"priority {priority} out of range 0..{CLI_PRIORITY_MAX - 1}")
    return CLI_PRIORITY_MAX - priority


def core_to_cli_priority(priority: int) -> int:
    return CLI_PRIORITY_MAX - priority


def match_keys(
    tname: str, table: Json, keys_text: list[str], rest: list[str]
) -> tuple[list[MatchKey], int | None, list[str]]:
    """Keys of ``table`` from their words; the priority (taken from the end of
    ``rest``, bmv2's CLI convention: smaller wins) when the table needs one, as the
    core's (larger wins); the rest of ``rest``."""
    kinds = [k["match_type"] for k in table.get("key", [])]
    if len(keys_text) != len(kinds):
        raise RuntimeCommandError(
            f"table {tname} has {len(kinds)} key field(s) ({', '.join(kinds)}), "
            f"got {len(keys_text)}"
        )
    keys = [_match_key(kind, text) for kind, text in zip(kinds, keys_text, strict=True)]
    priority = None
    if any(k in ("ternary", "range", "optional") for k in kinds):
        if not rest:
            raise RuntimeCommandError(f"table {tname} needs a priority after the parameters")
        priority = cli_to_core_priority(_int_arg(rest[-1], "priority"))
        rest = rest[:-1]
    return keys, priority, rest


# --------------------------------------------------------------------------- commands
Command = Callable[["SwitchProcess", list[str]], str]
COMMANDS: dict[str, tuple[Command, str]] = {}


def command(name: str, usage: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        COMMANDS[name] = (fn, usage)
        return fn

    return register


def _switch(proc: SwitchProcess) -> SwitchControl:
    if proc.switch is None:
        raise RuntimeCommandError("the switch is not running")
    return proc.switch


def _names(proc: SwitchProcess) -> ProgramNames:
    return ProgramNames(_switch(proc).program_json())


def _need(args: list[str], n: int, usage: str, exact: bool = False) -> None:
    if len(args) < n or (exact and len(args) != n):
        raise RuntimeCommandError(f"usage: {usage}")


@command("help", "help")
def _help(proc: SwitchProcess, args: list[str]) -> str:
    return "\n".join(usage for _, usage in sorted(COMMANDS.values(), key=lambda c: c[1]))


@command("table_add", "table_add TABLE ACTION MATCH... => PARAM... [PRIORITY]")
def _table_add(proc: SwitchProcess, args: list[str]) -> str:
    usage = COMMANDS["table_add"][1]
    _need(args, 2, usage)
    if "=>" not in args:
        raise RuntimeCommandError(f"missing '=>' between match keys and parameters; {usage}")
    names = _names(proc)
    tname, table = names.table(args[0])
    if table.get("type", "simple") != "simple":
        raise RuntimeCommandError(
            f"table {tname} uses an action profile: use table_indirect_add or "
            "table_indirect_add_with_group"
        )
    cut = args.index("=>")
    keys, priority, rest = match_keys(tname, table, args[2:cut], args[cut + 1 :])
    action = _action_call(names, args[1], rest, table)
    handle = _switch(proc).table_add(tname, keys, action, priority)
    return f"Entry has been added with handle {handle}"


@command("table_modify", "table_modify TABLE ACTION HANDLE PARAM...")
def _table_modify(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 3, COMMANDS["table_modify"][1])
    names = _names(proc)
    tname, table = names.table(args[0])
    action = _action_call(names, args[1], args[3:], table)
    _switch(proc).table_modify(tname, _int_arg(args[2], "handle"), action)
    return f"Entry {args[2]} has been modified"


@command("table_delete", "table_delete TABLE HANDLE")
def _table_delete(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 2, COMMANDS["table_delete"][1], exact=True)
    tname, _ = _names(proc).table(args[0])
    _switch(proc).table_delete(tname, _int_arg(args[1], "handle"))
    return f"Entry {args[1]} has been deleted"


@command("table_clear", "table_clear TABLE")
def _table_clear(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["table_clear"][1], exact=True)
    tname, _ = _names(proc).table(args[0])
    _switch(proc).table_clear(tname)
    return f"Table {tname} cleared"


@command("table_set_default", "table_set_default TABLE ACTION PARAM...")
def _table_set_default(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 2, COMMANDS["table_set_default"][1])
    names = _names(proc)
    tname, table = names.table(args[0])
    action = _action_call(names, args[1], args[2:], table)
    _switch(proc).table_set_default(tname, action)
    return f"Default action of {tname} set to {action.action}"


@command("table_dump", "table_dump TABLE")
def _table_dump(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["table_dump"][1], exact=True)
    tname, _ = _names(proc).table(args[0])
    sw = _switch(proc)
    lines = [f"Table {tname}:"]
    for e in sw.table_entries(tname):
        keys = " ".join(_format_key(k) for k in e.keys)
        act = e.action
        if isinstance(act, ActionCall):
            desc = f"{act.action}({', '.join(hex(p) for p in act.params)})"
        elif isinstance(act, MemberRef):
            desc = f"member {act.member}"
        else:
            desc = f"group {act.group}"
        prio = f" priority {core_to_cli_priority(e.priority)}" if e.priority is not None else ""
        lines.append(f"  handle {e.handle}: {keys} => {desc}{prio}")
    default = sw.table_get_default(tname)
    lines.append(f"  default: {default.action}({', '.join(hex(p) for p in default.params)})")
    return "\n".join(lines)


@command("set_queue_depth", "set_queue_depth DEPTH [PORT [PRIORITY]]")
def _set_queue_depth(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["set_queue_depth"][1])
    nums = [_int_arg(a, "argument") for a in args[:3]]
    _switch(proc).set_queue_depth(nums[0], *nums[1:])
    return "Queue depth set"


@command("set_queue_rate", "set_queue_rate PPS [PORT [PRIORITY]]")
def _set_queue_rate(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["set_queue_rate"][1])
    try:
        rate = float(args[0])
    except ValueError:
        raise RuntimeCommandError(f"rate must be a number, got {args[0]!r}") from None
    rest = [_int_arg(a, "argument") for a in args[1:3]]
    _switch(proc).set_queue_rate(rate, *rest)
    return "Queue rate set"


@command("mc_mgrp_create", "mc_mgrp_create GROUP")
def _mc_mgrp_create(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["mc_mgrp_create"][1], exact=True)
    _switch(proc).mc_group_create(_int_arg(args[0], "group"))
    return f"Creating multicast group {args[0]}"


@command("mc_mgrp_destroy", "mc_mgrp_destroy GROUP")
def _mc_mgrp_destroy(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["mc_mgrp_destroy"][1], exact=True)
    _switch(proc).mc_group_delete(_int_arg(args[0], "group"))
    return f"Destroying multicast group {args[0]}"


@command("mc_node_create", "mc_node_create RID PORT...")
def _mc_node_create(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["mc_node_create"][1])
    ports = [_int_arg(a, "port") for a in args[1:]]
    handle = _switch(proc).mc_node_create(_int_arg(args[0], "rid"), ports)
    return f"node was created with handle {handle}"


@command("mc_node_destroy", "mc_node_destroy NODE")
def _mc_node_destroy(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["mc_node_destroy"][1], exact=True)
    _switch(proc).mc_node_delete(_int_arg(args[0], "node"))
    return f"node {args[0]} destroyed"


@command("mc_node_associate", "mc_node_associate GROUP NODE")
def _mc_node_associate(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 2, COMMANDS["mc_node_associate"][1], exact=True)
    _switch(proc).mc_node_associate(_int_arg(args[0], "group"), _int_arg(args[1], "node"))
    return f"Associating node {args[1]} to multicast group {args[0]}"


@command("mc_dump", "mc_dump")
def _mc_dump(proc: SwitchProcess, args: list[str]) -> str:
    groups = _switch(proc).mc_groups()
    lines = []
    for g, nodes in sorted(groups.items()):
        desc = ", ".join(f"node {n.handle} rid {n.rid} ports {list(n.ports)}" for n in nodes)
        lines.append(f"group {g}: {desc or 'empty'}")
    return "\n".join(lines) or "no multicast groups"


@command("mirroring_add", "mirroring_add SESSION PORT")
def _mirroring_add(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 2, COMMANDS["mirroring_add"][1], exact=True)
    session = MirrorSession(_int_arg(args[0], "session"), port=_int_arg(args[1], "port"))
    _switch(proc).mirroring_add(session)
    return f"Mirroring session {args[0]} -> port {args[1]}"


@command("mirroring_add_mc", "mirroring_add_mc SESSION GROUP")
def _mirroring_add_mc(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 2, COMMANDS["mirroring_add_mc"][1], exact=True)
    session = MirrorSession(_int_arg(args[0], "session"), mc_group=_int_arg(args[1], "group"))
    _switch(proc).mirroring_add(session)
    return f"Mirroring session {args[0]} -> multicast group {args[1]}"


@command("mirroring_delete", "mirroring_delete SESSION")
def _mirroring_delete(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["mirroring_delete"][1], exact=True)
    _switch(proc).mirroring_delete(_int_arg(args[0], "session"))
    return f"Mirroring session {args[0]} deleted"


@command("register_read", "register_read REGISTER [INDEX]")
def _register_read(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["register_read"][1])
    name = ProgramNames.resolve(_names(proc).registers, args[0], "register")
    sw = _switch(proc)
    if len(args) > 1:
        index = _int_arg(args[1], "index")
        return f"{name}[{index}]= {sw.register_read(name, index)}"
    values = [str(sw.register_read(name, i)) for i in range(sw.register_size(name))]
    return f"{name}= {', '.join(values)}"


@command("register_write", "register_write REGISTER INDEX VALUE")
def _register_write(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 3, COMMANDS["register_write"][1], exact=True)
    name = ProgramNames.resolve(_names(proc).registers, args[0], "register")
    _switch(proc).register_write(name, _int_arg(args[1], "index"), parse_value(args[2]))
    return f"{name}[{args[1]}] written"


@command("register_reset", "register_reset REGISTER")
def _register_reset(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["register_reset"][1], exact=True)
    name = ProgramNames.resolve(_names(proc).registers, args[0], "register")
    _switch(proc).register_reset(name)
    return f"{name} reset"


@command("counter_read", "counter_read COUNTER INDEX|HANDLE")
def _counter_read(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 2, COMMANDS["counter_read"][1], exact=True)
    names = _names(proc)
    name = ProgramNames.resolve(names.counters, args[0], "counter")
    info = names.counters[name]
    index = _int_arg(args[1], "index")
    sw = _switch(proc)
    if info.get("is_direct"):
        packets, nbytes = sw.direct_counter_read(info["binding"], index)
    else:
        packets, nbytes = sw.counter_read(name, index)
    return f"{name}[{index}]=  BmCounterValue(packets={packets}, bytes={nbytes})"


@command("counter_reset", "counter_reset COUNTER")
def _counter_reset(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["counter_reset"][1], exact=True)
    name = ProgramNames.resolve(_names(proc).counters, args[0], "counter")
    _switch(proc).counter_reset(name)
    return f"{name} reset"


@command("show_ports", "show_ports")
def _show_ports(proc: SwitchProcess, args: list[str]) -> str:
    if proc.ports is None:
        return "no ports"
    lines = [
        f"{'port':>5}  {'interface':<16}{'rx pkts':>10}{'rx bytes':>12}"
        f"{'tx pkts':>10}{'tx bytes':>12}{'tx err':>8}"
    ]
    for n, port in proc.ports.ports().items():
        s = port.stats
        lines.append(
            f"{n:>5}  {port.name:<16}{s.rx_packets:>10}{s.rx_bytes:>12}"
            f"{s.tx_packets:>10}{s.tx_bytes:>12}{s.tx_errors:>8}"
        )
    lines.append(f"frames sent to unbound ports: {proc.ports.tx_unknown_port}")
    return "\n".join(lines)


COMMANDS["port_stats"] = (_show_ports, "port_stats")


@command("queue_stats", "queue_stats")
def _queue_stats(proc: SwitchProcess, args: list[str]) -> str:
    stats = _switch(proc).queue_stats()
    lines = [f"{'port':>5} {'prio':>5}{'enqueued':>11}{'dropped':>10}{'dequeued':>11}"]
    for (port, prio), q in sorted(stats.items()):
        lines.append(f"{port:>5} {prio:>5}{q.enqueued:>11}{q.dropped:>10}{q.dequeued:>11}")
    return "\n".join(lines)


def _direction(text: str) -> tuple[Direction, ...]:
    if text == "both":
        return DIRECTIONS
    if text in DIRECTIONS:
        return (text,)
    raise RuntimeCommandError(f"direction must be ingress, egress or both, got {text!r}")


@command(
    "impair",
    "impair PORT ingress|egress|both KEY=VALUE... (loss= delay= jitter= dup= "
    "reorder= rate= burst= limit= ge_p= ge_r= ge_loss_good= ge_loss_bad= | clear)",
)
def _impair(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 3, COMMANDS["impair"][1])
    port = _int_arg(args[0], "port")
    out = []
    for d in _direction(args[1]):
        new = proc.impairments.update(port, d, args[2:])
        out.append(f"port {port} {d}: {new.to_dict() or 'perfect'}")
    return "\n".join(out)


@command("impair_load", "impair_load FILE.json (the --impairment format; its seed is ignored)")
def _impair_load(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["impair_load"][1], exact=True)
    config = ImpairmentConfig.from_json_file(Path(args[0]))
    proc.impairments.apply_config(config)
    return f"{len(config.links)} link direction(s) set from {args[0]}"


@command("impair_show", "impair_show")
def _impair_show(proc: SwitchProcess, args: list[str]) -> str:
    configured = proc.impairments.configured()
    counters = proc.impairments.counters()
    lines = []
    for (port, d), imp in configured.items():
        c = counters[(port, d)].as_dict()
        nonzero = {k: v for k, v in c.items() if v}
        lines.append(f"port {port} {d}: {imp.to_dict() or 'perfect'} counters {nonzero}")
    return "\n".join(lines) or "no impairment configured"


@command("show_tables", "show_tables")
def _show_tables(proc: SwitchProcess, args: list[str]) -> str:
    names = _names(proc)
    lines = []
    for name, t in sorted(names.tables.items()):
        keys = ", ".join(f"{'.'.join(k['target'])}({k['match_type']})" for k in t.get("key", []))
        lines.append(f"{name:<40} [{t.get('type', 'simple')}, size {t.get('max_size')}] {keys}")
    return "\n".join(lines)


@command("show_actions", "show_actions")
def _show_actions(proc: SwitchProcess, args: list[str]) -> str:
    names = _names(proc)
    lines = []
    for name, a in sorted(names.actions.items()):
        params = ", ".join(f"{d['name']}({d['bitwidth']})" for d in a.get("runtime_data", []))
        lines.append(f"{name:<40} [{params}]")
    return "\n".join(lines)


@command("table_num_entries", "table_num_entries TABLE")
def _table_num_entries(proc: SwitchProcess, args: list[str]) -> str:
    _need(args, 1, COMMANDS["table_num_entries"][1], exact=True)
    tname, _ = _names(proc).table(args[0])
    return str(len(_switch(proc).table_entries(tname)))


def run_command(proc: SwitchProcess, line: str) -> str:
    """Run one command line; RuntimeCommandError with a one-line reason on failure."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError as exc:
        raise RuntimeCommandError(f"cannot parse command: {exc}") from None
    if not words:
        return ""
    entry = COMMANDS.get(words[0])
    if entry is None:
        raise RuntimeCommandError(f"unknown command {words[0]!r} (try 'help')")
    try:
        return entry[0](proc, words[1:])
    except (ControlError, SwitchIOError) as exc:
        if isinstance(exc, RuntimeCommandError):
            raise
        raise RuntimeCommandError(f"{words[0]}: {type(exc).__name__}: {exc}") from None


# Action profiles, indirect tables and meters, the custom CRCs and the error
# counters register their commands here.
from inalab.switch import (  # noqa: E402, F401
    io_control_diagnostics,
    io_control_hashes,
    io_control_indirect,
)
