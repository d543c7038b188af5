"""Indexed and direct externs: counters, meters, registers, and parser value sets.

These entities exist for every index of their array: only MODIFY applies
(INSERT and DELETE are INVALID_ARGUMENT), and an unset index reads (or writes)
every index of the array.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import grpc
from p4.v1 import p4runtime_pb2

from inalab.p4info.model import (
    EXACT,
    ArrayInfo,
    Field,
    TableInfo,
    ValueSetInfo,
    counter_values,
)
from inalab.switch.p4runtime import bytestrings, meters, table_entries
from inalab.switch.p4runtime.errors import P4RuntimeError, invalid
from inalab.switch.p4runtime.pipeline_state import PipelineState

Update = p4runtime_pb2.Update


def _modify_only(kind: int, what: str) -> None:
    if kind != Update.MODIFY:
        raise invalid(f"{what}: only MODIFY applies (entries exist for every index)")


def _indices(array: ArrayInfo, has_index: bool, index: int, what: str) -> range:
    if not has_index:
        return range(array.size)
    if not 0 <= index < array.size:
        raise P4RuntimeError(
            grpc.StatusCode.OUT_OF_RANGE, f"{what}: index {index} outside 0..{array.size - 1}"
        )
    return range(index, index + 1)


def _arrays(
    table: dict[int, ArrayInfo], obj_id: int, lookup: Callable[[int], ArrayInfo]
) -> list[ArrayInfo]:
    """Every array for id 0 (a wildcard read), else the one named (NOT_FOUND if unknown)."""
    if obj_id == 0:
        return sorted(table.values(), key=lambda a: a.id)
    return [lookup(obj_id)]


# --------------------------------------------------------------------------- counters
def write_counter(state: PipelineState, kind: int, msg: p4runtime_pb2.CounterEntry) -> None:
    counter = state.index.counter(msg.counter_id)
    what = f"counter {counter.name!r}"
    _modify_only(kind, what)
    for i in _indices(counter, msg.HasField("index"), msg.index.index, what):
        state.switch.counter_write(counter.name, i, msg.data.packet_count, msg.data.byte_count)


def read_counter(
    state: PipelineState, query: p4runtime_pb2.CounterEntry
) -> Iterator[p4runtime_pb2.Entity]:
    for counter in _arrays(state.index.counters, query.counter_id, state.index.counter):
        what = f"counter {counter.name!r}"
        for i in _indices(counter, query.HasField("index"), query.index.index, what):
            packets, bytes_ = counter_values(
                counter.unit, *state.switch.counter_read(counter.name, i)
            )
            ent = p4runtime_pb2.Entity()
            ent.counter_entry.counter_id = counter.id
            ent.counter_entry.index.index = i
            ent.counter_entry.data.packet_count = packets
            ent.counter_entry.data.byte_count = bytes_
            yield ent


def write_direct_counter(
    state: PipelineState, kind: int, msg: p4runtime_pb2.DirectCounterEntry
) -> None:
    _modify_only(kind, "direct counter")
    table, handle = table_entries.find_handle(state, msg.table_entry)
    if not table.direct_counter_id:
        raise invalid(f"table {table.name!r} has no direct counter")
    state.switch.direct_counter_write(
        table.name, handle, msg.data.packet_count, msg.data.byte_count
    )


def _direct_tables(state: PipelineState, table_id: int, attr: str, what: str) -> list[TableInfo]:
    """The tables a direct-resource read covers: the one named (which must have
    that resource) or, for table_id 0, every table that has it."""
    if not table_id:
        return [t for t in state.index.tables.values() if getattr(t, attr)]
    table = state.index.table(table_id)
    if not getattr(table, attr):
        raise invalid(f"table {table.name!r} has no {what}")
    return [table]


def read_direct_counter(
    state: PipelineState, query: p4runtime_pb2.DirectCounterEntry
) -> Iterator[p4runtime_pb2.Entity]:
    q = p4runtime_pb2.TableEntry()
    q.CopyFrom(query.table_entry)
    q.counter_data.SetInParent()
    for table in _direct_tables(state, q.table_id, "direct_counter_id", "direct counter"):
        q.table_id = table.id
        for te in table_entries.read(state, q):
            ent = p4runtime_pb2.Entity()
            ent.direct_counter_entry.data.CopyFrom(te.table_entry.counter_data)
            te.table_entry.ClearField("counter_data")
            ent.direct_counter_entry.table_entry.CopyFrom(te.table_entry)
            yield ent


# --------------------------------------------------------------------------- meters
def write_meter(state: PipelineState, kind: int, msg: p4runtime_pb2.MeterEntry) -> None:
    meter = state.index.meter(msg.meter_id)
    what = f"meter {meter.name!r}"
    _modify_only(kind, what)
    if not msg.HasField("config"):
        raise invalid(f"{what}: a meter config is required")
    rates = meters.config_to_rates(msg.config)
    for i in _indices(meter, msg.HasField("index"), msg.index.index, what):
        state.switch.meter_set_rates(meter.name, i, rates)


def read_meter(
    state: PipelineState, query: p4runtime_pb2.MeterEntry
) -> Iterator[p4runtime_pb2.Entity]:
    for meter in _arrays(state.index.meters, query.meter_id, state.index.meter):
        what = f"meter {meter.name!r}"
        for i in _indices(meter, query.HasField("index"), query.index.index, what):
            ent = p4runtime_pb2.Entity()
            ent.meter_entry.meter_id = meter.id
            ent.meter_entry.index.index = i
            cfg = meters.rates_to_config(state.switch.meter_get_rates(meter.name, i))
            if cfg is not None:
                ent.meter_entry.config.CopyFrom(cfg)
            yield ent


def write_direct_meter(
    state: PipelineState, kind: int, msg: p4runtime_pb2.DirectMeterEntry
) -> None:
    _modify_only(kind, "direct meter")
    table, handle = table_entries.find_handle(state, msg.table_entry)
    if not table.direct_meter_id:
        raise invalid(f"table {table.name!r} has no direct meter")
    if not msg.HasField("config"):
        raise invalid(f"direct meter of {table.name!r}: a meter config is required")
    state.switch.direct_meter_set_rates(table.name, handle, meters.config_to_rates(msg.config))


def read_direct_meter(
    state: PipelineState, query: p4runtime_pb2.DirectMeterEntry
) -> Iterator[p4runtime_pb2.Entity]:
    q = p4runtime_pb2.TableEntry()
    q.CopyFrom(query.table_entry)
    q.meter_config.SetInParent()
    for table in _direct_tables(state, q.table_id, "direct_meter_id", "direct meter"):
        q.table_id = table.id
        for te in table_entries.read(state, q):
            ent = p4runtime_pb2.Entity()
            if te.table_entry.HasField("meter_config"):
                ent.direct_meter_entry.config.CopyFrom(te.table_entry.meter_config)
            te.table_entry.ClearField("meter_config")
            ent.direct_meter_entry.table_entry.CopyFrom(te.table_entry)
            yield ent


# --------------------------------------------------------------------------- registers
def write_register(state: PipelineState, kind: int, msg: p4runtime_pb2.RegisterEntry) -> None:
    reg = state.index.register(msg.register_id)
    what = f"register {reg.name!r}"
    _modify_only(kind, what)
    if msg.data.WhichOneof("data") != "bitstring":
        raise invalid(f"{what}: data must be a bitstring")
    value = bytestrings.decode(msg.data.bitstring, reg.bitwidth, what)
    for i in _indices(reg, msg.HasField("index"), msg.index.index, what):
        state.switch.register_write(reg.name, i, value)


def read_register(
    state: PipelineState, query: p4runtime_pb2.RegisterEntry
) -> Iterator[p4runtime_pb2.Entity]:
    for reg in _arrays(state.index.registers, query.register_id, state.index.register):
        what = f"register {reg.name!r}"
        for i in _indices(reg, query.HasField("index"), query.index.index, what):
            ent = p4runtime_pb2.Entity()
            ent.register_entry.register_id = reg.id
            ent.register_entry.index.index = i
            ent.register_entry.data.bitstring = bytestrings.encode(
                state.switch.register_read(reg.name, i)
            )
            yield ent


# --------------------------------------------------------------------------- value sets
def _member_value(vs: ValueSetInfo, member: p4runtime_pb2.ValueSetMember) -> tuple[int, int | None]:
    by_id = {m.field_id: m for m in member.match}
    value = mask = 0
    masked = False
    for f in vs.match:
        where = f"value set {vs.name!r} field {f.name!r}"
        m = by_id.pop(f.id, None)
        full = (1 << f.bitwidth) - 1
        if m is None:
            v, k = 0, 0
            masked = True
        elif m.WhichOneof("field_match_type") == "exact":
            v, k = bytestrings.decode(m.exact.value, f.bitwidth, where), full
        elif m.WhichOneof("field_match_type") == "ternary":
            v = bytestrings.decode(m.ternary.value, f.bitwidth, where)
            k = bytestrings.decode(m.ternary.mask, f.bitwidth, where + " mask")
            if v & ~k:
                raise invalid(f"{where}: value has bits set outside the mask")
            masked = True
        else:
            raise invalid(f"{where}: only exact and ternary members are supported")
        value = (value << f.bitwidth) | v
        mask = (mask << f.bitwidth) | k
    if by_id:
        raise invalid(f"value set {vs.name!r}: unknown field ids {sorted(by_id)}")
    return value, (mask if masked else None)


def write_value_set(state: PipelineState, kind: int, msg: p4runtime_pb2.ValueSetEntry) -> None:
    vs = state.index.value_set(msg.value_set_id)
    what = f"value set {vs.name!r}"
    _modify_only(kind, what)
    wanted = [_member_value(vs, m) for m in msg.members]
    if vs.size and len(wanted) > vs.size:
        raise P4RuntimeError(
            grpc.StatusCode.RESOURCE_EXHAUSTED, f"{what}: {len(wanted)} members > size {vs.size}"
        )
    sw = state.switch
    for value, mask in sw.pvs_entries(vs.json_name):
        sw.pvs_remove(vs.json_name, value, mask)
    for value, mask in wanted:
        sw.pvs_add(vs.json_name, value, mask)


def _split(fields: tuple[Field, ...], value: int) -> list[int]:
    out = []
    for f in reversed(fields):
        out.append(value & ((1 << f.bitwidth) - 1))
        value >>= f.bitwidth
    return out[::-1]


def read_value_set(
    state: PipelineState, query: p4runtime_pb2.ValueSetEntry
) -> Iterator[p4runtime_pb2.Entity]:
    sets = (
        [state.index.value_set(query.value_set_id)]
        if query.value_set_id
        else sorted(state.index.value_sets.values(), key=lambda v: v.id)
    )
    for vs in sets:
        ent = p4runtime_pb2.Entity()
        ent.value_set_entry.value_set_id = vs.id
        for value, mask in state.switch.pvs_entries(vs.json_name):
            member = ent.value_set_entry.members.add()
            values = _split(vs.match, value)
            masks = _split(vs.match, mask) if mask is not None else None
            for i, f in enumerate(vs.match):
                fm = member.match.add(field_id=f.id)
                full = (1 << f.bitwidth) - 1
                if masks is None or (masks[i] == full and f.match_type == EXACT):
                    fm.exact.value = bytestrings.encode(values[i])
                elif masks[i] == 0:
                    del member.match[-1]
                else:
                    fm.ternary.value = bytestrings.encode(values[i])
                    fm.ternary.mask = bytestrings.encode(masks[i])
        yield ent
