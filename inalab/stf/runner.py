"""Runs an STF test against :class:`inalab.switch.core.Switch`, as p4c's bmv2 runner.

Outputs are collected per port; at the end every port named in a
``packet``/``expect`` line must have received exactly the expected packets,
in order (``expect PORT`` with no data accepts anything on that port).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inalab.stf.errors import StfError
from inalab.stf.language import (
    AddCommand,
    Command,
    RemoveCommand,
    packet_hex,
    parse_action,
    parse_add,
    parse_int,
    parse_remove,
    read_stf,
)
from inalab.switch.control import (
    ActionCall,
    ControlError,
    ExactKey,
    LpmKey,
    MatchKey,
    MirrorSession,
    OptionalKey,
    RangeKey,
    TernaryKey,
    ValidKey,
)
from inalab.switch.core import Switch
from inalab.switch.errors import JsonError


@dataclass(frozen=True)
class StfResult:
    """Outcome of one STF run: ``passed`` and the reasons when not."""

    name: str
    passed: bool
    errors: tuple[str, ...] = ()
    packets_in: int = 0
    packets_out: int = 0
    outputs: dict[int, tuple[str, ...]] = field(default_factory=dict)


def _match(expected: str, got: str, exact_len: bool) -> str | None:
    if len(got) < len(expected):
        return f"received packet too short ({len(got) // 2} vs {len(expected) // 2} bytes)"
    if exact_len and len(got) != len(expected):
        return f"received packet has {len(got) // 2} bytes, expected exactly {len(expected) // 2}"
    for i, (e, g) in enumerate(zip(expected, got, strict=False)):
        if e != "*" and e != g:
            return f"packet differs at nibble {i}: expected {e}, received {g}"
    return None


class StfRun:
    def __init__(self, sw: Switch, name: str) -> None:
        self.sw = sw
        self.name = name
        self.out: dict[int, list[str]] = {}
        self.expects: dict[int, list[tuple[str, bool, int]]] = {}
        self.any_ports: set[int] = set()
        self.ports: set[int] = set()
        self.errors: list[str] = []
        self.n_in = 0
        sw.set_transmit_handler(self._tx)
        prog = sw.prog
        assert prog is not None
        self.json: dict[str, Any] = prog.json

    def _tx(self, port: int, data: bytes) -> None:
        self.out.setdefault(port, []).append(data.hex().upper())

    # ------------------------------------------------------------------ names
    def _suffix(self, names: list[str], want: str, what: str, where: str) -> str:
        if want in names:
            return want
        cands = [n for n in names if n.endswith("." + want)] or [
            n for n in names if n.endswith(want)
        ]
        if len(cands) == 1:
            return cands[0]
        if not cands:
            raise StfError(where, f"unknown {what} '{want}'")
        raise StfError(where, f"ambiguous {what} '{want}': {', '.join(cands)}")

    def table(self, name: str, where: str) -> str:
        prog = self.sw.prog
        assert prog is not None
        return self._suffix(list(prog.tables), name, "table", where)

    def table_json(self, table: str) -> dict[str, Any]:
        for pl in self.json["pipelines"]:
            for t in pl["tables"]:
                if t["name"] == table:
                    return dict(t)
        raise KeyError(table)

    def action(self, table: str, name: str, where: str) -> tuple[str, list[str]]:
        prog = self.sw.prog
        assert prog is not None
        t = prog.tables[table]
        acts = t.profile.actions if t.profile is not None else t.actions
        aname = self._suffix(list(acts), name, f"action of table {table}", where)
        aid = acts[aname].id
        for a in self.json["actions"]:
            if a["id"] == aid:
                return aname, [r["name"] for r in a.get("runtime_data", [])]
        return aname, []

    def call(self, table: str, text: str, where: str) -> ActionCall:
        name, params = parse_action(text, where)
        return self._call(table, name, params, where)

    def _call(
        self, table: str, name: str, params: tuple[tuple[str, str], ...], where: str
    ) -> ActionCall:
        aname, pnames = self.action(table, name, where)
        given = dict(params)
        for k in given:
            if k not in pnames:
                raise StfError(where, f"action '{aname}' has no parameter '{k}'")
        missing = [p for p in pnames if p not in given]
        if missing:
            raise StfError(where, f"action '{aname}': missing parameter(s) {', '.join(missing)}")
        return ActionCall(aname, tuple(parse_int(given[p], where) for p in pnames))

    # ------------------------------------------------------------------ keys
    def keys(self, table: str, cmd: AddCommand | RemoveCommand, where: str) -> list[MatchKey]:
        tj = self.table_json(table)
        specs = []
        for k in tj.get("key", []):
            tgt = k.get("target")
            tname = ".".join(tgt) if isinstance(tgt, list) else str(tgt)
            specs.append((k.get("name") or tname, tname, k["match_type"]))
        prog = self.sw.prog
        assert prog is not None
        widths = [ks.width for ks in prog.tables[table].keys]
        values: dict[int, MatchKey] = {}
        for kname, kval in cmd.keys:
            kname = re.sub(r"\$([0-9]+)", r"[\1]", kname)
            idx = self._key_index(specs, kname, where)
            values[idx] = self._key_value(specs[idx][2], widths[idx], kval, where)
        out: list[MatchKey] = []
        for i, (_n, _t, mt) in enumerate(specs):
            if i in values:
                out.append(values[i])
            elif mt == "ternary":
                out.append(TernaryKey(0, 0))
            elif mt == "lpm":
                out.append(LpmKey(0, 0))
            elif mt == "optional":
                out.append(OptionalKey(None))
            elif mt == "range":
                out.append(RangeKey(0, (1 << widths[i]) - 1))
            elif mt == "valid":
                out.append(ValidKey(False))
            else:
                out.append(ExactKey(0))
        return out

    def _key_index(self, specs: list[tuple[str, str, str]], key: str, where: str) -> int:
        for forms in (
            lambda n, t: key in (n, t),
            lambda n, t: key + ".$valid$" in (n, t) or key + "$" in (n, t),
            lambda n, t: key.endswith(".valid") and key[:-5] + "$valid$" in (n, t),
            lambda n, t: n.endswith("." + key) or t.endswith("." + key),
            lambda n, t: key == "valid" and t.endswith("$valid$"),
        ):
            hits = [i for i, (n, t, _) in enumerate(specs) if forms(n, t)]
            if len(hits) == 1:
                return hits[0]
        raise StfError(where, f"unknown key field '{key}'")

    def _key_value(self, mt: str, width: int, v: str, where: str) -> MatchKey:
        if mt in ("ternary", "optional") and "&&&" in v:
            a, b = v.split("&&&", 1)
            val, m = parse_int(a, where), parse_int(b, where)
            return TernaryKey(val & m, m) if mt == "ternary" else OptionalKey(val if m else None)
        if (mt in ("ternary", "lpm", "optional") and "*" in v) or mt == "ternary":
            base, digits, bits = self._wild(v, where)
            if mt == "lpm":
                fixed = len(digits.rstrip("*"))
                return LpmKey(int(digits.replace("*", "0"), base), fixed * bits)
            mask = int(
                "".join(
                    "0" if c == "*" else ("F" if base == 16 else "7" if base == 8 else "1")
                    for c in digits
                ),
                base,
            )
            val = int(digits.replace("*", "0"), base)
            if mt == "optional":
                return OptionalKey(None if mask == 0 else val)
            return TernaryKey(val & mask, mask)
        if mt == "lpm":
            if "/" in v:
                a, b = v.split("/", 1)
                return LpmKey(parse_int(a, where), parse_int(b, where))
            return LpmKey(parse_int(v, where), width)
        if mt == "range":
            if ".." in v:
                a, b = v.split("..", 1)
                return RangeKey(parse_int(a, where), parse_int(b, where))
            x = parse_int(v, where)
            return RangeKey(x, x)
        if mt == "valid":
            return ValidKey(v.lower() in ("1", "true", "0x1"))
        if mt == "optional":
            return OptionalKey(parse_int(v, where))
        return ExactKey(parse_int(v, where))

    def _wild(self, v: str, where: str) -> tuple[int, str, int]:
        if v.startswith(("0x", "0X")):
            return 16, v[2:], 4
        if v.startswith(("0b", "0B")):
            return 2, v[2:], 1
        if v.startswith(("0o", "0O")):
            return 8, v[2:], 3
        if "*" not in v:
            raise StfError(where, f"decimal value {v} not supported for a ternary key")
        return 16, v, 4

    # ------------------------------------------------------------------ commands
    def run(self, cmds: list[Command]) -> None:
        for c in cmds:
            where = f"{self.name}:{c.line}"
            try:
                self.command(c, where)
            except ControlError as exc:
                raise StfError(where, f"{c.verb}: {exc}") from None
            except IndexError:
                raise StfError(
                    where, f"{c.verb}: missing arguments in '{c.verb} {c.args}'"
                ) from None

    def command(self, c: Command, where: str) -> None:
        sw = self.sw
        a = c.args.split()
        v = c.verb
        if v == "add":
            cmd = parse_add(c.args, where)
            table = self.table(cmd.table, where)
            keys = self.keys(table, cmd, where)
            call = self._call(table, cmd.action, cmd.params, where)
            sw.table_add(table, keys, call, cmd.priority)
        elif v == "remove":
            self.remove(parse_remove(c.args, where), where)
        elif v == "setdefault":
            parts = c.args.split(None, 1)
            if len(parts) != 2:
                raise StfError(where, "setdefault needs a table and an action")
            table = self.table(parts[0], where)
            sw.table_set_default(table, self.call(table, parts[1], where))
        elif v == "packet":
            if not a:
                raise StfError(where, "packet needs a port")
            port = parse_int(a[0], where)
            data = packet_hex(" ".join(a[1:]), where)
            if "*" in data or len(data) % 2:
                raise StfError(where, "packet data must be whole bytes without wildcards")
            self.ports.add(port)
            self.n_in += 1
            sw.receive(port, bytes.fromhex(data))
        elif v == "expect":
            if not a:
                raise StfError(where, "expect needs a port")
            port = parse_int(a[0], where)
            self.ports.add(port)
            rest = "".join(a[1:])
            if not rest:
                self.any_ports.add(port)
                return
            exact = rest.endswith("$")
            self.expects.setdefault(port, []).append((packet_hex(rest, where), exact, 0))
        elif v == "wait":
            sw.wait_idle(5.0)
        elif v == "mc_mgrp_create":
            sw.mc_group_create(parse_int(a[0], where))
        elif v == "mc_node_create":
            sw.mc_node_create(parse_int(a[0], where), [parse_int(x, where) for x in a[1:]])
        elif v == "mc_node_associate":
            sw.mc_node_associate(parse_int(a[0], where), parse_int(a[1], where))
        elif v == "mc_node_dissociate":
            sw.mc_node_dissociate(parse_int(a[0], where), parse_int(a[1], where))
        elif v == "mirroring_add":
            sw.mirroring_add(MirrorSession(parse_int(a[0], where), port=parse_int(a[1], where)))
        elif v == "mirroring_add_mc":
            sw.mirroring_add(MirrorSession(parse_int(a[0], where), mc_group=parse_int(a[1], where)))
        elif v == "register_write":
            sw.register_write(
                self._reg(a[0], where), parse_int(a[1], where), parse_int(a[2], where)
            )
        elif v in ("register_read", "check_register"):
            if len(a) < 2:
                raise StfError(where, f"{v} needs a register and an index")
            val = sw.register_read(self._reg(a[0], where), parse_int(a[1], where))
            if len(a) >= 3:
                want = parse_int(a[-1], where)
                if val != want:
                    self.errors.append(
                        f"{where}: register {a[0]}[{a[1]}] is {val}, expected {want}"
                    )
        elif v == "register_reset":
            sw.register_reset(self._reg(a[0], where))
        elif v == "check_counter":
            self.check_counter(c.args, where)
        elif v == "mirroring_get":
            sw.mirroring_get(parse_int(a[0], where))
        elif v == "no_packet":
            pass  # p4c's grammar has it; outputs are checked per port at the end anyway
        else:
            raise StfError(where, f"unknown STF command '{c.verb}'")

    def remove(self, cmd: RemoveCommand, where: str) -> None:
        """``remove all``: every non-const entry of every table; else the one entry
        with the given key (unnamed key fields as ``add`` fills them) and priority."""
        prog = self.sw.prog
        assert prog is not None
        if cmd.table is None:
            for t in prog.tables:
                self.sw.table_clear(t)
            return
        table = self.table(cmd.table, where)
        keys = self.keys(table, cmd, where)
        handle = self.sw.table_find(table, keys, cmd.priority)
        if handle is None:
            shown = " ".join(f"{k}:{v}" for k, v in cmd.keys) or "(empty key)"
            prio = f" priority {cmd.priority}" if cmd.priority is not None else ""
            raise StfError(where, f"remove: table {table} has no entry {shown}{prio}")
        self.sw.table_delete(table, handle)

    def _reg(self, name: str, where: str) -> str:
        prog = self.sw.prog
        assert prog is not None
        return self._suffix(list(prog.registers), name, "register", where)

    def check_counter(self, args: str, where: str) -> None:
        m = re.fullmatch(
            r"\s*([^\s(]+)\s*\(\s*([^)]+)\)\s*(?:(packets|bytes)\s*)?(?:(==|!=|<=|>=|<|>)\s*(\S+))?\s*",
            args,
        )
        if not m:
            raise StfError(where, f"bad check_counter '{args}'")
        prog = self.sw.prog
        assert prog is not None
        name = self._suffix(
            list(prog.counters) + list(prog.direct_counters), m.group(1), "counter", where
        )
        idx = parse_int(m.group(2), where)
        if name in prog.direct_counters:
            pk, by = self.sw.direct_counter_read(prog.direct_counters[name], idx)
        else:
            pk, by = self.sw.counter_read(name, idx)
        kind = m.group(3) or "packets"
        got = pk if kind == "packets" else by
        if m.group(4):
            want = parse_int(m.group(5), where)
            ok = {"==": got == want, "!=": got != want, "<=": got <= want, ">=": got >= want,
                  "<": got < want, ">": got > want}[m.group(4)]  # fmt: skip
            if not ok:
                self.errors.append(
                    f"{where}: counter {name}({idx}) {kind} is {got}, expected {m.group(4)} {want}"
                )

    # ------------------------------------------------------------------ verdict
    def check(self) -> None:
        for port in sorted(self.ports):
            if port in self.any_ports:
                continue
            exp = self.expects.get(port, [])
            got = self.out.get(port, [])
            if len(exp) != len(got):
                self.errors.append(f"port {port}: expected {len(exp)} packet(s), got {len(got)}")
                for g in got:
                    self.errors.append(f"  port {port} received {g}")
                continue
            for i, ((e, exact, _), g) in enumerate(zip(exp, got, strict=True)):
                why = _match(e, g, exact)
                if why:
                    self.errors.append(f"port {port} packet {i}: {why}")
                    self.errors.append(f"  expected {e}")
                    self.errors.append(f"  received {g}")


def load_program_text(program: str | Path | dict[str, object]) -> str | dict[str, object]:
    if isinstance(program, dict):
        return program
    path = Path(program)
    if path.suffix == ".p4":
        from inalab.compiler import CompileError, compile_file

        try:
            return compile_file(path).bmv2_json
        except CompileError as exc:
            raise StfError(str(path), f"compile error: {exc}") from None
    try:
        return path.read_text()
    except OSError as exc:
        raise StfError(str(path), f"cannot read: {exc.strerror}") from None


def run_stf(
    program: str | Path | dict[str, object], stf_path: str | Path, switch: Switch | None = None
) -> StfResult:
    """Run one STF file against a program (bmv2 JSON file/text/dict, or a .p4 file)."""
    stf = Path(stf_path)
    name = stf.name
    try:
        text = stf.read_text()
    except OSError as exc:
        raise StfError(str(stf), f"cannot read: {exc.strerror}") from None
    cmds = read_stf(text, name)
    sw = switch or Switch()
    try:
        sw.load_program(load_program_text(program))
    except JsonError as exc:
        raise StfError(
            str(program) if not isinstance(program, dict) else "program", str(exc)
        ) from None
    run = StfRun(sw, name)
    run.run(cmds)
    sw.wait_idle(5.0)
    run.check()
    return StfResult(
        name=name,
        passed=not run.errors,
        errors=tuple(run.errors),
        packets_in=run.n_in,
        packets_out=sum(len(v) for v in run.out.values()),
        outputs={k: tuple(v) for k, v in run.out.items()},
    )
