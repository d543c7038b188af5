"""ROLLBACK_ON_ERROR batches: all updates or none.

Before each update its inverse is read from the current state (INSERT is
undone by DELETE; MODIFY and DELETE by writing back what was read, direct
counter and meter data included). At the first refusal the applied updates
are undone in reverse order; the refused update carries its own error and
every other update of the batch ABORTED. The batch is not atomic for packets
in flight (that is DATAPLANE_ATOMIC, which the switch cannot offer).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import grpc
from p4.v1 import p4runtime_pb2

from inalab.switch.p4runtime.device import Device
from inalab.switch.p4runtime.errors import P4RuntimeError

Update = p4runtime_pb2.Update
log = logging.getLogger(__name__)

# fields that carry a value, cleared to turn an update's entity into a read query
_VALUE_FIELDS = {
    "table_entry": ("action", "counter_data", "meter_config", "idle_timeout_ns", "metadata"),
    "action_profile_member": ("action",),
    "action_profile_group": ("members", "max_size"),
    "counter_entry": ("data",),
    "direct_counter_entry": ("data",),
    "meter_entry": ("config", "counter_data"),
    "direct_meter_entry": ("config", "counter_data"),
    "register_entry": ("data",),
    "value_set_entry": ("members",),
    "digest_entry": ("config",),
}


def _query(entity: p4runtime_pb2.Entity) -> p4runtime_pb2.Entity:
    query = p4runtime_pb2.Entity()
    query.CopyFrom(entity)
    which = query.WhichOneof("entity")
    inner = getattr(query, which)
    for name in _VALUE_FIELDS.get(which, ()):
        inner.ClearField(name)
    if which == "table_entry":
        inner.counter_data.SetInParent()  # read direct resources back too
        inner.meter_config.SetInParent()
    elif which == "packet_replication_engine_entry":
        sub = getattr(inner, inner.WhichOneof("type"))
        sub.ClearField("replicas")
    return query


def _inverse(device: Device, kind: int, entity: p4runtime_pb2.Entity) -> list[p4runtime_pb2.Update]:
    if kind == Update.INSERT:
        return [Update(type=Update.DELETE, entity=entity)]
    current = device.read_entity(_query(entity))
    te = entity.table_entry if entity.HasField("table_entry") else None
    if te is not None and not te.is_default_action:
        table = device.require_state().index.table(te.table_id)
        for e in current:  # ask back only what the table has
            if not table.direct_counter_id:
                e.table_entry.ClearField("counter_data")
            if not table.direct_meter_id:
                e.table_entry.ClearField("meter_config")
            e.table_entry.ClearField("is_const")
    back = Update.INSERT if kind == Update.DELETE else Update.MODIFY
    return [Update(type=back, entity=e) for e in current]


def write_all_or_none(
    device: Device, updates: Sequence[tuple[int, p4runtime_pb2.Entity]]
) -> dict[int, P4RuntimeError]:
    """Apply ``updates``; on the first refusal undo them all. Returns the errors by index."""
    undo: list[list[p4runtime_pb2.Update]] = []
    with device.lock:
        for i, (kind, entity) in enumerate(updates):
            try:
                inverse = _inverse(device, kind, entity)
            except P4RuntimeError:
                inverse = []  # nothing to read back: the update itself will say why
            try:
                device.write_entity(kind, entity)
            except P4RuntimeError as e:
                _undo(device, undo)
                aborted = P4RuntimeError(
                    grpc.StatusCode.ABORTED, f"batch rolled back: update {i} failed"
                )
                return {j: (e if j == i else aborted) for j in range(len(updates))}
            undo.append(inverse)
    return {}


def _undo(device: Device, undo: list[list[p4runtime_pb2.Update]]) -> None:
    for inverse in reversed(undo):
        for update in inverse:
            try:
                device.write_update(update)
            except P4RuntimeError as e:  # nothing better to do than say so
                log.error("rollback of %s failed: %s", update.entity.WhichOneof("entity"), e)
