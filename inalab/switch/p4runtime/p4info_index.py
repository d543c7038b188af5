"""An index of a P4Info message by id, joined to the bmv2 JSON it describes.

P4Runtime speaks ids; the switch speaks bmv2 JSON names. p4c gives both the
same fully-qualified names ("MyIngress.ipv4_lpm"), so objects are joined by
name; where a JSON object is named differently (digests are learn lists named
after their struct), the last name component or the declaration order decides.
Action parameters are reordered from P4Info ids to the JSON's runtime_data
order by name; a parameter count that differs is INVALID_ARGUMENT.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from p4.config.v1 import p4info_pb2

from inalab.switch.p4runtime.errors import invalid, not_found

MatchType = p4info_pb2.MatchField.MatchType
EXACT = MatchType.EXACT
LPM = MatchType.LPM
TERNARY = MatchType.TERNARY
RANGE = MatchType.RANGE
OPTIONAL = MatchType.OPTIONAL


@dataclass(frozen=True)
class Field:
    """A named, sized value: match field, action parameter, packet metadata, digest member."""

    id: int
    name: str
    bitwidth: int
    match_type: int = 0  # 0 (unspecified) for anything but a match field

    def __post_init__(self) -> None:
        # bitwidth 0: a P4 ``error``/enum-typed field p4c describes by type_name only
        if self.bitwidth < 0:
            raise invalid(f"P4Info field {self.name!r} has bitwidth {self.bitwidth}")


@dataclass(frozen=True)
class ActionInfo:
    id: int
    name: str
    params: tuple[Field, ...]
    json_order: tuple[int, ...]  # param ids in bmv2 runtime_data order
    json_name: str

    def param(self, param_id: int) -> Field:
        for p in self.params:
            if p.id == param_id:
                return p
        raise not_found(f"action {self.name!r} has no parameter id {param_id}")


@dataclass(frozen=True)
class TableInfo:
    id: int
    name: str
    match_fields: tuple[Field, ...]
    action_ids: frozenset[int]
    const_default_action_id: int
    implementation_id: int
    direct_counter_id: int
    direct_meter_id: int
    size: int
    idle_notify: bool
    is_const: bool

    @cached_property
    def needs_priority(self) -> bool:
        return any(f.match_type in (TERNARY, RANGE, OPTIONAL) for f in self.match_fields)

    @cached_property
    def field_ids(self) -> frozenset[int]:
        return frozenset(f.id for f in self.match_fields)


@dataclass(frozen=True)
class ActionProfileInfo:
    id: int
    name: str
    table_ids: tuple[int, ...]
    with_selector: bool
    size: int
    max_group_size: int


@dataclass(frozen=True)
class ArrayInfo:
    """An indexed extern: counter, meter or register array (and its unit or width)."""

    id: int
    name: str
    size: int
    unit: int = 0
    bitwidth: int = 0


@dataclass(frozen=True)
class DirectInfo:
    """A direct counter or meter, bound to one table."""

    id: int
    name: str
    table_id: int
    unit: int = 0


@dataclass(frozen=True)
class DigestInfo:
    id: int
    name: str
    json_name: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class PacketMetadataInfo:
    name: str
    fields: tuple[Field, ...]

    def field(self, metadata_id: int) -> Field:
        for f in self.fields:
            if f.id == metadata_id:
                return f
        raise not_found(f"controller header {self.name!r} has no metadata id {metadata_id}")


@dataclass(frozen=True)
class ValueSetInfo:
    id: int
    name: str
    json_name: str
    match: tuple[Field, ...]
    size: int


T = TypeVar("T")

_BYTES, _PACKETS = p4info_pb2.CounterSpec.BYTES, p4info_pb2.CounterSpec.PACKETS


def counter_values(unit: int, packets: int, bytes_: int) -> tuple[int, int]:
    """(packets, bytes) as a counter of ``unit`` reports them: a BYTES counter has
    no packet count and a PACKETS counter no byte count (0), as PI reports them."""
    if unit == _BYTES:
        return 0, bytes_
    if unit == _PACKETS:
        return packets, 0
    return packets, bytes_


def _lookup(table: Mapping[int, T], obj_id: int, kind: str) -> T:
    try:
        return table[obj_id]
    except KeyError:
        raise not_found(f"unknown {kind} id {obj_id}") from None


def _bitwidth_of(type_spec: p4info_pb2.P4DataTypeSpec) -> int:
    """Width of bit<W>/int<W>/bool data; 0 for what the server cannot carry as one
    bitstring (writes of such data then fail, the pipeline still loads)."""
    kind = type_spec.WhichOneof("type_spec")
    if kind == "bool":
        return 1
    if kind == "bitstring":
        bs = type_spec.bitstring
        which = bs.WhichOneof("type_spec")
        if which == "bit":
            return int(bs.bit.bitwidth)
        if which == "int":
            return int(bs.int.bitwidth)
    return 0


def _json_names(section: object) -> list[str]:
    if not isinstance(section, list):
        return []
    return [str(o["name"]) for o in section if isinstance(o, dict) and "name" in o]


def _match_json_name(name: str, json_names: list[str]) -> str | None:
    if name in json_names:
        return name
    last = name.rsplit(".", 1)[-1]
    hits = [j for j in json_names if j.rsplit(".", 1)[-1] == last]
    return hits[0] if len(hits) == 1 else None


@dataclass(frozen=True)
class P4InfoIndex:
    """P4Info by id, verified against a bmv2 JSON program."""

    tables: dict[int, TableInfo] = field(default_factory=dict)
    actions: dict[int, ActionInfo] = field(default_factory=dict)
    action_profiles: dict[int, ActionProfileInfo] = field(default_factory=dict)
    counters: dict[int, ArrayInfo] = field(default_factory=dict)
    direct_counters: dict[int, DirectInfo] = field(default_factory=dict)
    meters: dict[int, ArrayInfo] = field(default_factory=dict)
    direct_meters: dict[int, DirectInfo] = field(default_factory=dict)
    registers: dict[int, ArrayInfo] = field(default_factory=dict)
    digests: dict[int, DigestInfo] = field(default_factory=dict)
    value_sets: dict[int, ValueSetInfo] = field(default_factory=dict)
    packet_in: PacketMetadataInfo | None = None
    packet_out: PacketMetadataInfo | None = None

    # lookups raising NOT_FOUND ------------------------------------------------
    def table(self, table_id: int) -> TableInfo:
        return _lookup(self.tables, table_id, "table")

    def action(self, action_id: int) -> ActionInfo:
        return _lookup(self.actions, action_id, "action")

    def action_profile(self, profile_id: int) -> ActionProfileInfo:
        return _lookup(self.action_profiles, profile_id, "action profile")

    def counter(self, counter_id: int) -> ArrayInfo:
        return _lookup(self.counters, counter_id, "counter")

    def direct_counter(self, counter_id: int) -> DirectInfo:
        return _lookup(self.direct_counters, counter_id, "direct counter")

    def meter(self, meter_id: int) -> ArrayInfo:
        return _lookup(self.meters, meter_id, "meter")

    def direct_meter(self, meter_id: int) -> DirectInfo:
        return _lookup(self.direct_meters, meter_id, "direct meter")

    def register(self, register_id: int) -> ArrayInfo:
        return _lookup(self.registers, register_id, "register")

    def digest(self, digest_id: int) -> DigestInfo:
        return _lookup(self.digests, digest_id, "digest")

    def value_set(self, value_set_id: int) -> ValueSetInfo:
        return _lookup(self.value_sets, value_set_id, "value set")

    def digest_by_json_name(self, json_name: str) -> DigestInfo | None:
        for d in self.digests.values():
            if d.json_name == json_name:
                return d
        return None

    def action_by_json_name(self, json_name: str) -> ActionInfo:
        for a in self.actions.values():
            if a.json_name == json_name:
                return a
        raise not_found(f"the switch reports action {json_name!r}, absent from P4Info")

    def table_by_name(self, name: str) -> TableInfo | None:
        for t in self.tables.values():
            if t.name == name:
                return t
        return None

    # construction ---------------------------------------------------------------
    @classmethod
    def build(cls, p4info: p4info_pb2.P4Info, bmv2: Mapping[str, object]) -> P4InfoIndex:
        """Index ``p4info``; INVALID_ARGUMENT if it contradicts ``bmv2``.

        An object P4Info lists but the JSON lacks (p4c drops tables it proves
        unused) is kept: writes to it fail at the switch with NOT_FOUND."""
        json_actions: dict[str, dict[str, object]] = {}
        raw_actions = bmv2.get("actions")
        for a in raw_actions if isinstance(raw_actions, list) else []:
            if isinstance(a, dict):
                json_actions.setdefault(str(a.get("name")), a)

        actions: dict[int, ActionInfo] = {}
        for a in p4info.actions:
            params = tuple(Field(p.id, p.name, p.bitwidth) for p in a.params)
            json_name = _match_json_name(a.preamble.name, list(json_actions))
            runtime_data = json_actions[json_name].get("runtime_data") if json_name else None
            order = (
                _param_order(a.preamble.name, params, runtime_data)
                if json_name
                else tuple(p.id for p in params)
            )
            json_name = json_name or a.preamble.name
            actions[a.preamble.id] = ActionInfo(
                a.preamble.id, a.preamble.name, params, order, json_name
            )

        direct_counter_of: dict[int, int] = {}
        direct_counters: dict[int, DirectInfo] = {}
        for c in p4info.direct_counters:
            direct_counters[c.preamble.id] = DirectInfo(
                c.preamble.id, c.preamble.name, c.direct_table_id, c.spec.unit
            )
            direct_counter_of[c.direct_table_id] = c.preamble.id
        direct_meter_of: dict[int, int] = {}
        direct_meters: dict[int, DirectInfo] = {}
        for m in p4info.direct_meters:
            direct_meters[m.preamble.id] = DirectInfo(
                m.preamble.id, m.preamble.name, m.direct_table_id, m.spec.unit
            )
            direct_meter_of[m.direct_table_id] = m.preamble.id

        tables: dict[int, TableInfo] = {}
        for t in p4info.tables:
            fields = tuple(Field(m.id, m.name, m.bitwidth, m.match_type) for m in t.match_fields)
            for f in fields:
                if f.match_type not in (EXACT, LPM, TERNARY, RANGE, OPTIONAL):
                    raise invalid(
                        f"table {t.preamble.name!r}: match field {f.name!r} has an "
                        "unsupported match type"
                    )
            tables[t.preamble.id] = TableInfo(
                id=t.preamble.id,
                name=t.preamble.name,
                match_fields=fields,
                action_ids=frozenset(r.id for r in t.action_refs),
                const_default_action_id=t.const_default_action_id,
                implementation_id=t.implementation_id,
                direct_counter_id=direct_counter_of.get(t.preamble.id, 0),
                direct_meter_id=direct_meter_of.get(t.preamble.id, 0),
                size=int(t.size),
                idle_notify=t.idle_timeout_behavior == p4info_pb2.Table.NOTIFY_CONTROL,
                is_const=bool(t.is_const_table),
            )

        profiles = {
            p.preamble.id: ActionProfileInfo(
                p.preamble.id,
                p.preamble.name,
                tuple(p.table_ids),
                p.with_selector,
                int(p.size),
                int(p.max_group_size),
            )
            for p in p4info.action_profiles
        }
        counters = {
            c.preamble.id: ArrayInfo(c.preamble.id, c.preamble.name, int(c.size), c.spec.unit)
            for c in p4info.counters
        }
        meters = {
            m.preamble.id: ArrayInfo(m.preamble.id, m.preamble.name, int(m.size), m.spec.unit)
            for m in p4info.meters
        }
        registers = {
            r.preamble.id: ArrayInfo(
                r.preamble.id,
                r.preamble.name,
                int(r.size),
                bitwidth=_bitwidth_of(r.type_spec),
            )
            for r in p4info.registers
        }

        learn_names = _json_names(bmv2.get("learn_lists"))
        digests: dict[int, DigestInfo] = {}
        for i, d in enumerate(p4info.digests):
            json_name = _match_json_name(d.preamble.name, learn_names)
            if json_name is None and len(learn_names) == len(p4info.digests):
                json_name = learn_names[i]
            digests[d.preamble.id] = DigestInfo(
                d.preamble.id,
                d.preamble.name,
                json_name or d.preamble.name,
                _digest_fields(p4info, d),
            )

        vset_names = _json_names(bmv2.get("parse_vsets"))
        value_sets = {
            v.preamble.id: ValueSetInfo(
                v.preamble.id,
                v.preamble.name,
                _match_json_name(v.preamble.name, vset_names) or v.preamble.name,
                tuple(Field(m.id, m.name, m.bitwidth, m.match_type) for m in v.match),
                int(v.size),
            )
            for v in p4info.value_sets
        }

        packet_in = packet_out = None
        for cpm in p4info.controller_packet_metadata:
            info = PacketMetadataInfo(
                cpm.preamble.name,
                tuple(Field(m.id, m.name, m.bitwidth) for m in cpm.metadata),
            )
            if cpm.preamble.name == "packet_in":
                packet_in = info
            elif cpm.preamble.name == "packet_out":
                packet_out = info

        return cls(
            tables=tables,
            actions=actions,
            action_profiles=profiles,
            counters=counters,
            direct_counters=direct_counters,
            meters=meters,
            direct_meters=direct_meters,
            registers=registers,
            digests=digests,
            value_sets=value_sets,
            packet_in=packet_in,
            packet_out=packet_out,
        )


def _param_order(name: str, params: tuple[Field, ...], runtime_data: object) -> tuple[int, ...]:
    if not isinstance(runtime_data, list):
        runtime_data = []
    if len(runtime_data) != len(params):
        raise invalid(
            f"action {name!r}: P4Info has {len(params)} parameters, "
            f"the device config {len(runtime_data)}"
        )
    by_name = {p.name: p.id for p in params}
    json_names = [str(rd.get("name")) if isinstance(rd, dict) else "" for rd in runtime_data]
    if all(n in by_name for n in json_names) and len(set(json_names)) == len(json_names):
        return tuple(by_name[n] for n in json_names)
    return tuple(p.id for p in params)


def _digest_fields(p4info: p4info_pb2.P4Info, digest: p4info_pb2.Digest) -> tuple[Field, ...]:
    spec = digest.type_spec
    what = f"digest {digest.preamble.name!r}"
    if spec.HasField("struct"):
        struct = p4info.type_info.structs.get(spec.struct.name)
        if struct is None:
            raise invalid(f"{what}: struct {spec.struct.name!r} missing from type_info")
        return tuple(
            Field(i + 1, m.name, _bitwidth_of(m.type_spec)) for i, m in enumerate(struct.members)
        )
    return (Field(1, digest.preamble.name, _bitwidth_of(spec)),)
