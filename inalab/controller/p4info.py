"""P4Info by name: ids, widths and match kinds of the objects the controller writes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from google.protobuf import text_format
from p4.config.v1 import p4info_pb2

from inalab.controller.errors import ConfigError, P4InfoError


@dataclass(frozen=True)
class FieldInfo:
    id: int
    name: str
    bitwidth: int
    match_type: int = 0  # p4info MatchField.MatchType for match fields, 0 for params


@dataclass(frozen=True)
class TableInfo:
    id: int
    name: str
    match: tuple[FieldInfo, ...]
    action_ids: tuple[int, ...]
    profile_id: int  # implementation id (action profile / selector), 0 = direct actions
    size: int

    def field(self, name: str) -> FieldInfo:
        for f in self.match:
            if f.name == name:
                return f
        raise P4InfoError(f"table {self.name}: no match field {name!r}")


@dataclass(frozen=True)
class ActionInfo:
    id: int
    name: str
    params: tuple[FieldInfo, ...]

    def param(self, name: str) -> FieldInfo:
        for p in self.params:
            if p.name == name:
                return p
        raise P4InfoError(f"action {self.name}: no parameter {name!r}")


@dataclass(frozen=True)
class ArrayInfo:
    """A counter, direct counter or register array."""

    id: int
    name: str
    size: int
    bitwidth: int = 0


def load_p4info(path: str | Path) -> p4info_pb2.P4Info:
    """Read a P4Info file: text (.txt, .txtpb), binary (.bin) or JSON (.json)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise ConfigError(f"{p}: cannot read P4Info: {e.strerror}") from None
    info = p4info_pb2.P4Info()
    try:
        if p.suffix == ".bin":
            info.ParseFromString(data)
        elif p.suffix == ".json":
            from google.protobuf import json_format

            json_format.Parse(data.decode(), info)
        else:
            text_format.Parse(data.decode(), info)
    except Exception as e:  # protobuf raises several unrelated types
        raise ConfigError(f"{p}: not a P4Info file: {e}") from None
    return info


class P4InfoIndex:
    """Lookups by fully qualified name (or unique last component) and by id."""

    def __init__(self, info: p4info_pb2.P4Info) -> None:
        self.info = info
        self.tables: dict[str, TableInfo] = {}
        self.actions: dict[str, ActionInfo] = {}
        self.profiles: dict[str, ArrayInfo] = {}
        self.counters: dict[str, ArrayInfo] = {}
        self.direct_counters: dict[str, ArrayInfo] = {}
        self.registers: dict[str, ArrayInfo] = {}
        for t in info.tables:
            fields = tuple(
                FieldInfo(m.id, m.name, m.bitwidth, m.match_type) for m in t.match_fields
            )
            self.tables[t.preamble.name] = TableInfo(
                t.preamble.id,
                t.preamble.name,
                fields,
                tuple(a.id for a in t.action_refs),
                t.implementation_id,
                t.size,
            )
        for a in info.actions:
            params = tuple(FieldInfo(p.id, p.name, p.bitwidth) for p in a.params)
            self.actions[a.preamble.name] = ActionInfo(a.preamble.id, a.preamble.name, params)
        for ap in info.action_profiles:
            self.profiles[ap.preamble.name] = ArrayInfo(ap.preamble.id, ap.preamble.name, ap.size)
        for c in info.counters:
            self.counters[c.preamble.name] = ArrayInfo(c.preamble.id, c.preamble.name, c.size)
        for dc in info.direct_counters:
            self.direct_counters[dc.preamble.name] = ArrayInfo(dc.preamble.id, dc.preamble.name, 0)
        for r in info.registers:
            width = r.type_spec.bitstring.bit.bitwidth
            self.registers[r.preamble.name] = ArrayInfo(
                r.preamble.id, r.preamble.name, r.size, width
            )
        self._by_id: dict[int, str] = {}
        for group in (
            self.tables,
            self.actions,
            self.profiles,
            self.counters,
            self.direct_counters,
            self.registers,
        ):
            for name, obj in group.items():
                self._by_id[obj.id] = name

    def name_of(self, obj_id: int) -> str:
        return self._by_id.get(obj_id, f"<id {obj_id:#x}>")

    @staticmethod
    def _get(kind: str, group: dict[str, object], name: str) -> object:
        if name in group:
            return group[name]
        hits = [v for k, v in group.items() if k.endswith("." + name)]
        if len(hits) == 1:
            return hits[0]
        raise P4InfoError(f"P4Info has no {kind} named {name!r}")

    def table(self, name: str) -> TableInfo:
        return self._get("table", self.tables, name)  # type: ignore[arg-type,return-value]

    def action(self, name: str) -> ActionInfo:
        return self._get("action", self.actions, name)  # type: ignore[arg-type,return-value]

    def profile(self, name: str) -> ArrayInfo:
        return self._get("action profile", self.profiles, name)  # type: ignore[arg-type,return-value]

    def counter(self, name: str) -> ArrayInfo:
        return self._get("counter", self.counters, name)  # type: ignore[arg-type,return-value]

    def direct_counter(self, name: str) -> ArrayInfo:
        return self._get("direct counter", self.direct_counters, name)  # type: ignore[arg-type,return-value]

    def register(self, name: str) -> ArrayInfo:
        return self._get("register", self.registers, name)  # type: ignore[arg-type,return-value]

    def value_registers(self) -> list[ArrayInfo]:
        """The per-lane value registers, lane order (their count is K)."""
        regs = [r for n, r in self.registers.items() if ".value_reg_" in n]
        return sorted(regs, key=lambda r: int(r.name.rsplit("_", 1)[1]))
