"""One index of a P4Info message: objects by id and by name, joined to the bmv2
JSON it describes when there is one.

P4Runtime speaks ids, the controller names, the switch bmv2 JSON names. p4c
gives P4Info and JSON the same fully-qualified names ("MyIngress.ipv4_lpm"), so
objects are joined by name; where a JSON object is named differently (digests
are learn lists named after their struct), the last name component or the
declaration order decides. Action parameters are reordered from P4Info ids to
the JSON's runtime_data order by name; a parameter count that differs is an
invalid P4Info. Without JSON (the controller's use) JSON names are the P4Info
names and parameters keep their P4Info order.

Every lookup takes an id (int) or a name (str): the fully-qualified name, or
its last components when they name one object only (``"ipv4_lpm"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol, Self, TypedDict, TypeVar

from p4.config.v1 import p4info_pb2

from inalab.p4info.errors import ErrorPolicy, InvalidP4InfoError
from inalab.p4info.model import (
    MATCH_TYPES,
    ActionInfo,
    ActionProfileInfo,
    ArrayInfo,
    DigestInfo,
    DirectInfo,
    Field,
    PacketMetadataInfo,
    TableInfo,
    ValueSetInfo,
)


class _Named(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)

_NO_JSON: Mapping[str, object] = {}
RAISE_OWN = ErrorPolicy()  # this package's UnknownObjectError / InvalidP4InfoError


def find_named(objects: Iterable[N], name: str) -> N | None:
    """The object called ``name``, or the only one whose name ends in ``.name``."""
    suffix = "." + name
    hits = []
    for obj in objects:
        if obj.name == name:
            return obj
        if obj.name.endswith(suffix):
            hits.append(obj)
    return hits[0] if len(hits) == 1 else None


@dataclass(frozen=True)
class P4InfoIndex:
    """P4Info by id and name, checked against a bmv2 JSON program if given.

    Build it with :meth:`build`; a failed lookup raises ``errors.not_found``."""

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
    errors: ErrorPolicy = field(default=RAISE_OWN, repr=False, compare=False)

    # lookups by id or name ------------------------------------------------------
    def _get(self, kind: str, objects: Mapping[int, N], key: int | str) -> N:
        if isinstance(key, str):
            hit = find_named(objects.values(), key)
            if hit is None:
                raise self.errors.not_found(f"P4Info has no {kind} named {key!r}")
            return hit
        try:
            return objects[key]
        except KeyError:
            raise self.errors.not_found(f"unknown {kind} id {key}") from None

    def table(self, key: int | str) -> TableInfo:
        return self._get("table", self.tables, key)

    def action(self, key: int | str) -> ActionInfo:
        return self._get("action", self.actions, key)

    def action_profile(self, key: int | str) -> ActionProfileInfo:
        return self._get("action profile", self.action_profiles, key)

    def counter(self, key: int | str) -> ArrayInfo:
        return self._get("counter", self.counters, key)

    def direct_counter(self, key: int | str) -> DirectInfo:
        return self._get("direct counter", self.direct_counters, key)

    def meter(self, key: int | str) -> ArrayInfo:
        return self._get("meter", self.meters, key)

    def direct_meter(self, key: int | str) -> DirectInfo:
        return self._get("direct meter", self.direct_meters, key)

    def register(self, key: int | str) -> ArrayInfo:
        return self._get("register", self.registers, key)

    def digest(self, key: int | str) -> DigestInfo:
        return self._get("digest", self.digests, key)

    def value_set(self, key: int | str) -> ValueSetInfo:
        return self._get("value set", self.value_sets, key)

    @cached_property
    def _names_by_id(self) -> dict[int, str]:
        groups: tuple[Mapping[int, _Named], ...] = (
            self.tables,
            self.actions,
            self.action_profiles,
            self.counters,
            self.direct_counters,
            self.meters,
            self.direct_meters,
            self.registers,
            self.digests,
            self.value_sets,
        )
        return {obj_id: obj.name for group in groups for obj_id, obj in group.items()}

    def name_of(self, obj_id: int) -> str:
        """The name of any object by id, ``<id 0x..>`` for an unknown id (for messages)."""
        return self._names_by_id.get(obj_id, f"<id {obj_id:#x}>")

    # lookups by bmv2 JSON name ---------------------------------------------------
    def digest_by_json_name(self, json_name: str) -> DigestInfo | None:
        for d in self.digests.values():
            if d.json_name == json_name:
                return d
        return None

    def action_by_json_name(self, json_name: str) -> ActionInfo:
        for a in self.actions.values():
            if a.json_name == json_name:
                return a
        raise self.errors.not_found(f"the switch reports action {json_name!r}, absent from P4Info")

    # construction ---------------------------------------------------------------
    @classmethod
    def build(
        cls,
        p4info: p4info_pb2.P4Info,
        bmv2: Mapping[str, object] = _NO_JSON,
        *,
        errors: ErrorPolicy = RAISE_OWN,
    ) -> Self:
        """Index ``p4info``; ``errors.invalid`` if it cannot be served or contradicts
        ``bmv2``. An object P4Info lists but the JSON lacks (p4c drops tables it
        proves unused) is kept: writes to it fail at the switch."""
        try:
            return cls(**_index_fields(p4info, bmv2), errors=errors)
        except InvalidP4InfoError as e:
            raise errors.invalid(str(e)) from None


class _Fields(TypedDict):
    tables: dict[int, TableInfo]
    actions: dict[int, ActionInfo]
    action_profiles: dict[int, ActionProfileInfo]
    counters: dict[int, ArrayInfo]
    direct_counters: dict[int, DirectInfo]
    meters: dict[int, ArrayInfo]
    direct_meters: dict[int, DirectInfo]
    registers: dict[int, ArrayInfo]
    digests: dict[int, DigestInfo]
    value_sets: dict[int, ValueSetInfo]
    packet_in: PacketMetadataInfo | None
    packet_out: PacketMetadataInfo | None


def _index_fields(p4info: p4info_pb2.P4Info, bmv2: Mapping[str, object]) -> _Fields:
    json_actions: dict[str, dict[str, object]] = {}
    raw_actions = bmv2.get("actions")
    for a in raw_actions if isinstance(raw_actions, list) else []:
        if isinstance(a, dict):
            json_actions.setdefault(str(a.get("name")), a)

    actions: dict[int, ActionInfo] = {}
    for a in p4info.actions:
        params = tuple(Field(p.id, p.name, p.bitwidth) for p in a.params)
        json_name = _match_json_name(a.preamble.name, list(json_actions))
        order = (
            _param_order(a.preamble.name, params, json_actions[json_name].get("runtime_data"))
            if json_name
            else tuple(p.id for p in params)
        )
        actions[a.preamble.id] = ActionInfo(
            a.preamble.id, a.preamble.name, params, order, json_name or a.preamble.name
        )

    direct_counters = {
        c.preamble.id: DirectInfo(c.preamble.id, c.preamble.name, c.direct_table_id, c.spec.unit)
        for c in p4info.direct_counters
    }
    direct_meters = {
        m.preamble.id: DirectInfo(m.preamble.id, m.preamble.name, m.direct_table_id, m.spec.unit)
        for m in p4info.direct_meters
    }
    direct_counter_of = {d.table_id: d.id for d in direct_counters.values()}
    direct_meter_of = {d.table_id: d.id for d in direct_meters.values()}

    tables: dict[int, TableInfo] = {}
    for t in p4info.tables:
        fields = tuple(Field(m.id, m.name, m.bitwidth, m.match_type) for m in t.match_fields)
        for f in fields:
            if f.match_type not in MATCH_TYPES:
                raise InvalidP4InfoError(
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

    learn_names = _json_names(bmv2.get("learn_lists"))
    digests: dict[int, DigestInfo] = {}
    for i, d in enumerate(p4info.digests):
        json_name = _match_json_name(d.preamble.name, learn_names)
        if json_name is None and len(learn_names) == len(p4info.digests):
            json_name = learn_names[i]
        digests[d.preamble.id] = DigestInfo(
            d.preamble.id, d.preamble.name, json_name or d.preamble.name, _digest_fields(p4info, d)
        )

    vset_names = _json_names(bmv2.get("parse_vsets"))
    packet_metadata = {
        cpm.preamble.name: PacketMetadataInfo(
            cpm.preamble.name, tuple(Field(m.id, m.name, m.bitwidth) for m in cpm.metadata)
        )
        for cpm in p4info.controller_packet_metadata
    }
    return {
        "tables": tables,
        "actions": actions,
        "action_profiles": {
            p.preamble.id: ActionProfileInfo(
                p.preamble.id,
                p.preamble.name,
                tuple(p.table_ids),
                p.with_selector,
                int(p.size),
                int(p.max_group_size),
            )
            for p in p4info.action_profiles
        },
        "counters": {
            c.preamble.id: ArrayInfo(c.preamble.id, c.preamble.name, int(c.size), c.spec.unit)
            for c in p4info.counters
        },
        "direct_counters": direct_counters,
        "meters": {
            m.preamble.id: ArrayInfo(m.preamble.id, m.preamble.name, int(m.size), m.spec.unit)
            for m in p4info.meters
        },
        "direct_meters": direct_meters,
        "registers": {
            r.preamble.id: ArrayInfo(
                r.preamble.id, r.preamble.name, int(r.size), bitwidth=_bitwidth_of(r.type_spec)
            )
            for r in p4info.registers
        },
        "digests": digests,
        "value_sets": {
            v.preamble.id: ValueSetInfo(
                v.preamble.id,
                v.preamble.name,
                _match_json_name(v.preamble.name, vset_names) or v.preamble.name,
                tuple(Field(m.id, m.name, m.bitwidth, m.match_type) for m in v.match),
                int(v.size),
            )
            for v in p4info.value_sets
        },
        "packet_in": packet_metadata.get("packet_in"),
        "packet_out": packet_metadata.get("packet_out"),
    }


def _bitwidth_of(type_spec: p4info_pb2.P4DataTypeSpec) -> int:
    """Width of bit<W>/int<W>/bool data; 0 for what cannot be carried as one
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


def _param_order(name: str, params: tuple[Field, ...], runtime_data: object) -> tuple[int, ...]:
    if not isinstance(runtime_data, list):
        runtime_data = []
    if len(runtime_data) != len(params):
        raise InvalidP4InfoError(
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
            raise InvalidP4InfoError(f"{what}: struct {spec.struct.name!r} missing from type_info")
        return tuple(
            Field(i + 1, m.name, _bitwidth_of(m.type_spec)) for i, m in enumerate(struct.members)
        )
    return (Field(1, digest.preamble.name, _bitwidth_of(spec)),)
