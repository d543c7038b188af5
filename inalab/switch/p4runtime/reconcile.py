"""RECONCILE_AND_COMMIT: carry forwarding state across a pipeline change.

Before the new program loads, every action-profile member and group, table
entry, default action, multicast group, clone session and digest config is
read out; afterwards each is re-written with its ids translated by name into
the new P4Info. An entity whose table, action, field or parameter no longer
exists with the same width and kind is dropped (as is anything the new
program refuses). Counter, meter and register values are not carried over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from p4.v1 import p4runtime_pb2

from inalab.p4info.index import P4InfoIndex
from inalab.switch.p4runtime import action_profiles, replication, table_entries
from inalab.switch.p4runtime.errors import P4RuntimeError
from inalab.switch.p4runtime.pipeline_state import PipelineState

Update = p4runtime_pb2.Update


@dataclass(frozen=True)
class Snapshot:
    index: P4InfoIndex
    updates: tuple[tuple[int, p4runtime_pb2.Entity], ...]  # (Update.type, entity)


class _Drop(Exception):
    """The entity has no counterpart in the new pipeline."""


def snapshot(state: PipelineState, digests: Iterable[p4runtime_pb2.Entity] = ()) -> Snapshot:
    """Everything :func:`restore` can carry over; ``digests`` are the DigestEntry reads."""
    out: list[tuple[int, p4runtime_pb2.Entity]] = []
    insert = [
        *action_profiles.read_members(state, p4runtime_pb2.ActionProfileMember()),
        *action_profiles.read_groups(state, p4runtime_pb2.ActionProfileGroup()),
        *(
            e
            for e in table_entries.read(state, p4runtime_pb2.TableEntry())
            if not e.table_entry.is_const
        ),
    ]
    for kind in ("multicast_group_entry", "clone_session_entry"):
        query = p4runtime_pb2.PacketReplicationEngineEntry()
        getattr(query, kind).SetInParent()
        insert += replication.read(state, query)
    insert += digests
    out += [(Update.INSERT, e) for e in insert]
    for table in state.index.tables.values():
        if table.implementation_id or table.const_default_action_id:
            continue
        query = p4runtime_pb2.TableEntry(table_id=table.id, is_default_action=True)
        out += [(Update.MODIFY, e) for e in table_entries.read(state, query)]
    return Snapshot(state.index, tuple(out))


def restore(
    state: PipelineState, snap: Snapshot, write: Callable[[p4runtime_pb2.Update], None]
) -> int:
    """Re-write what translates; returns how many entities were restored."""
    restored = 0
    for kind, ent in snap.updates:
        try:
            new = _translate(snap.index, state.index, ent)
            write(p4runtime_pb2.Update(type=kind, entity=new))
            restored += 1
        except (_Drop, P4RuntimeError):
            continue
    return restored


def _action(old: P4InfoIndex, new: P4InfoIndex, action: p4runtime_pb2.Action) -> None:
    oa = old.actions[action.action_id]
    na = new.action(oa.name)
    new_params = {p.name: p for p in na.params}
    for p in action.params:
        op = oa.find_param(p.param_id)
        np_ = None if op is None else new_params.get(op.name)
        if op is None or np_ is None or np_.bitwidth != op.bitwidth:
            raise _Drop
        p.param_id = np_.id
    if len(na.params) != len(oa.params):
        raise _Drop
    action.action_id = na.id


def _translate(
    old: P4InfoIndex, new: P4InfoIndex, ent: p4runtime_pb2.Entity
) -> p4runtime_pb2.Entity:
    out = p4runtime_pb2.Entity()
    out.CopyFrom(ent)
    kind = out.WhichOneof("entity")
    if kind == "table_entry":
        te = out.table_entry
        ot = old.tables[te.table_id]
        nt = new.table(ot.name)
        new_fields = {f.name: f for f in nt.match_fields}
        for m in te.match:
            of = next(f for f in ot.match_fields if f.id == m.field_id)
            nf = new_fields.get(of.name)
            if nf is None or (nf.bitwidth, nf.match_type) != (of.bitwidth, of.match_type):
                raise _Drop
            m.field_id = nf.id
        te.table_id = nt.id
        te.ClearField("is_const")
        which = te.action.WhichOneof("type")
        if which == "action":
            _action(old, new, te.action.action)
        elif which == "action_profile_action_set":
            for apa in te.action.action_profile_action_set.action_profile_actions:
                _action(old, new, apa.action)
    elif kind == "digest_entry":
        od = old.digests[out.digest_entry.digest_id]
        out.digest_entry.digest_id = new.digest(od.name).id
    elif kind in ("action_profile_member", "action_profile_group"):
        msg = getattr(out, kind)
        op = old.action_profiles[msg.action_profile_id]
        np_ = new.action_profile(op.name)
        msg.action_profile_id = np_.id
        if kind == "action_profile_member":
            _action(old, new, msg.action)
    return out
