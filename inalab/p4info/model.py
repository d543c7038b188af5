"""The P4Info objects an index holds: frozen records of what P4Runtime and the
controller need (ids, names, widths, match kinds, units, bindings)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from p4.config.v1 import p4info_pb2

from inalab.p4info.errors import InvalidP4InfoError

MatchType = p4info_pb2.MatchField.MatchType
EXACT = MatchType.EXACT
LPM = MatchType.LPM
TERNARY = MatchType.TERNARY
RANGE = MatchType.RANGE
OPTIONAL = MatchType.OPTIONAL
MATCH_TYPES = frozenset((EXACT, LPM, TERNARY, RANGE, OPTIONAL))


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
            raise InvalidP4InfoError(f"P4Info field {self.name!r} has bitwidth {self.bitwidth}")


def _find(fields: tuple[Field, ...], field_id: int) -> Field | None:
    for f in fields:
        if f.id == field_id:
            return f
    return None


@dataclass(frozen=True)
class ActionInfo:
    id: int
    name: str
    params: tuple[Field, ...]
    json_order: tuple[int, ...]  # param ids in bmv2 runtime_data order
    json_name: str

    def find_param(self, param_id: int) -> Field | None:
        return _find(self.params, param_id)


@dataclass(frozen=True)
class TableInfo:
    id: int
    name: str
    match_fields: tuple[Field, ...]  # P4Info order (= field id order for p4c)
    action_ids: frozenset[int]
    const_default_action_id: int
    implementation_id: int  # action profile / selector id, 0 = direct actions
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

    def find_field(self, metadata_id: int) -> Field | None:
        return _find(self.fields, metadata_id)


@dataclass(frozen=True)
class ValueSetInfo:
    id: int
    name: str
    json_name: str
    match: tuple[Field, ...]
    size: int


_BYTES, _PACKETS = p4info_pb2.CounterSpec.BYTES, p4info_pb2.CounterSpec.PACKETS


def counter_values(unit: int, packets: int, bytes_: int) -> tuple[int, int]:
    """(packets, bytes) as a counter of ``unit`` reports them: a BYTES counter has
    no packet count and a PACKETS counter no byte count (0), as PI reports them."""
    if unit == _BYTES:
        return 0, bytes_
    if unit == _PACKETS:
        return packets, 0
    return packets, bytes_
