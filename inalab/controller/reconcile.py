"""Desired state vs what a switch holds: read, diff, and write the difference in
an order P4Runtime accepts (members before groups before the entries using them;
deletes in reverse)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from p4.v1.p4runtime_pb2 import (
    Entity,
    Update,
)

from inalab.controller.connection import SwitchConnection
from inalab.controller.entities import Builder, entity_key, normalize

Key = tuple[object, ...]
# write phases: (entity kind, update type); each phase is its own Write RPC
_PHASES = (
    ("action_profile_member", Update.INSERT),
    ("action_profile_member", Update.MODIFY),
    ("action_profile_group", Update.INSERT),
    ("action_profile_group", Update.MODIFY),
    ("packet_replication_engine_entry", Update.INSERT),
    ("packet_replication_engine_entry", Update.MODIFY),
    ("table_entry", Update.DELETE),
    ("table_entry", Update.INSERT),
    ("table_entry", Update.MODIFY),
    ("packet_replication_engine_entry", Update.DELETE),
    ("action_profile_group", Update.DELETE),
    ("action_profile_member", Update.DELETE),
)


@dataclass
class Diff:
    inserts: list[Entity] = field(default_factory=list)
    modifies: list[Entity] = field(default_factory=list)
    deletes: list[Entity] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.inserts or self.modifies or self.deletes)

    def counts(self) -> dict[str, int]:
        return {
            "inserted": len(self.inserts),
            "modified": len(self.modifies),
            "deleted": len(self.deletes),
        }


def index_entities(entities: Iterable[Entity]) -> dict[Key, Entity]:
    out: dict[Key, Entity] = {}
    for e in entities:
        n = normalize(e)
        out[entity_key(n)] = n
    return out


def diff(desired: dict[Key, Entity], actual: dict[Key, Entity]) -> Diff:
    d = Diff()
    for key, ent in desired.items():
        have = actual.get(key)
        if have is None:
            d.inserts.append(ent)
        elif have.SerializeToString(deterministic=True) != ent.SerializeToString(
            deterministic=True
        ):
            d.modifies.append(ent)
    d.deletes = [ent for key, ent in actual.items() if key not in desired]
    return d


def read_state(
    conn: SwitchConnection, builder: Builder, profiles: Iterable[str]
) -> dict[Key, Entity]:
    """Everything the controller manages on a switch: table entries of all tables,
    members and groups of ``profiles``, multicast groups."""
    queries = [builder.table_query(), builder.multicast_query()]
    for prof in profiles:
        queries.append(builder.profile_query(prof, "action_profile_member"))
        queries.append(builder.profile_query(prof, "action_profile_group"))
    return index_entities(conn.read(queries))


def apply(conn: SwitchConnection, d: Diff) -> None:
    """Write a diff phase by phase; raises WriteError (naming the entries) if any
    update is refused (the rest are still applied)."""
    from inalab.controller.errors import WriteError

    groups = {
        Update.INSERT: d.inserts,
        Update.MODIFY: d.modifies,
        Update.DELETE: d.deletes,
    }
    failures: list[tuple[str, str]] = []
    for kind, utype in _PHASES:
        updates = [
            Update(type=utype, entity=e) for e in groups[utype] if e.WhichOneof("entity") == kind
        ]
        if not updates:
            continue
        try:
            conn.write(updates)
        except WriteError as e:
            failures += e.failures
    if failures:
        raise WriteError(conn.name, failures)
