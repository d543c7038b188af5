"""Table entries: P4Runtime ``TableEntry`` writes and reads on the switch's tables.

Match fields follow P4Info order (which is the bmv2 key order). A field left
out of the message is a wildcard (never allowed for ``exact``); a ternary or
lpm value with bits outside its mask/prefix is rejected, as are a priority on
a table without ternary/range/optional keys and a missing one where needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import grpc
from p4.v1 import p4runtime_pb2

from inalab.p4info.model import (
    EXACT,
    LPM,
    OPTIONAL,
    RANGE,
    TERNARY,
    TableInfo,
    counter_values,
)
from inalab.switch import control
from inalab.switch.control import (
    ActionCall,
    ActionSpec,
    ExactKey,
    GroupRef,
    LpmKey,
    MatchKey,
    MemberRef,
    OptionalKey,
    RangeKey,
    TernaryKey,
)
from inalab.switch.p4runtime import actions, bytestrings, meters
from inalab.switch.p4runtime.errors import P4RuntimeError, invalid, not_found, unimplemented
from inalab.switch.p4runtime.pipeline_state import EntryExtras, OneShot, PipelineState
from inalab.switch.p4runtime.wire import DirectEntry, MatchSpec

Update = p4runtime_pb2.Update
_NS_PER_MS = 1_000_000


# --------------------------------------------------------------------------- match keys
def match_specs(matches: Iterable[p4runtime_pb2.FieldMatch]) -> list[MatchSpec]:
    """FieldMatch messages as the (field_id, kind, a, b) tuples :mod:`.wire` reads."""
    out: list[MatchSpec] = []
    for m in matches:
        kind = m.WhichOneof("field_match_type")
        if kind == "exact":
            out.append((m.field_id, kind, m.exact.value, b""))
        elif kind == "ternary":
            out.append((m.field_id, kind, m.ternary.value, m.ternary.mask))
        elif kind == "lpm":
            out.append((m.field_id, kind, m.lpm.value, m.lpm.prefix_len))
        elif kind == "range":
            out.append((m.field_id, kind, m.range.low, m.range.high))
        elif kind == "optional":
            out.append((m.field_id, kind, m.optional.value, b""))
        else:
            out.append((m.field_id, kind or "", b"", b""))
    return out


def keys_from_proto(
    table: TableInfo, matches: Iterable[p4runtime_pb2.FieldMatch]
) -> list[MatchKey]:
    return keys_from_specs(table, match_specs(matches))


def keys_from_specs(table: TableInfo, specs: list[MatchSpec]) -> list[MatchKey]:
    by_id: dict[int, MatchSpec] = {}
    known = table.field_ids
    for m in specs:
        if m[0] not in known:
            raise not_found(f"table {table.name!r} has no match field id {m[0]}")
        if m[0] in by_id:
            raise invalid(f"table {table.name!r}: match field id {m[0]} given twice")
        by_id[m[0]] = m
    keys: list[MatchKey] = []
    for f in table.match_fields:
        given = by_id.get(f.id)
        if given is None:
            if f.match_type == EXACT:
                raise invalid(
                    f"table {table.name!r} match field {f.name!r}: an exact match field cannot be omitted"
                )
            full = (1 << f.bitwidth) - 1
            keys.append(
                LpmKey(0, 0)
                if f.match_type == LPM
                else TernaryKey(0, 0)
                if f.match_type == TERNARY
                else RangeKey(0, full)
                if f.match_type == RANGE
                else OptionalKey(None)
            )
            continue
        _, kind, a, b = given
        if f.match_type == EXACT and kind == "exact":
            value = int.from_bytes(a, "big")
            if not a or value >> f.bitwidth:
                bytestrings.decode(a, f.bitwidth, f"table {table.name!r} match field {f.name!r}")
            keys.append(ExactKey(value))
            continue
        where = f"table {table.name!r} match field {f.name!r}"
        full = (1 << f.bitwidth) - 1
        if f.match_type == LPM and kind == "lpm":
            value = bytestrings.decode(a, f.bitwidth, where)
            plen = int(b) if isinstance(b, int) else -1
            if not 0 < plen <= f.bitwidth:
                raise invalid(f"{where}: prefix length {plen} outside 1..{f.bitwidth}")
            if value & (full >> plen):
                raise invalid(f"{where}: value has bits set past the /{plen} prefix")
            keys.append(LpmKey(value, plen))
        elif f.match_type == TERNARY and kind == "ternary" and isinstance(b, bytes):
            value = bytestrings.decode(a, f.bitwidth, where)
            mask = bytestrings.decode(b, f.bitwidth, where + " mask")
            if mask == 0:
                raise invalid(f"{where}: an all-zero mask must be omitted (don't care)")
            if value & ~mask:
                raise invalid(f"{where}: value has bits set outside the mask")
            keys.append(TernaryKey(value, mask))
        elif f.match_type == RANGE and kind == "range" and isinstance(b, bytes):
            low = bytestrings.decode(a, f.bitwidth, where + " low")
            high = bytestrings.decode(b, f.bitwidth, where + " high")
            if low > high:
                raise invalid(f"{where}: range low {low} is above high {high}")
            keys.append(RangeKey(low, high))
        elif f.match_type == OPTIONAL and kind == "optional":
            keys.append(OptionalKey(bytestrings.decode(a, f.bitwidth, where)))
        else:
            raise invalid(f"{where}: a {kind or 'empty'} match given for this match kind")
    return keys


def keys_to_proto(table: TableInfo, keys: tuple[MatchKey, ...]) -> list[p4runtime_pb2.FieldMatch]:
    out = []
    for f, k in zip(table.match_fields, keys, strict=False):
        m = p4runtime_pb2.FieldMatch(field_id=f.id)
        full = (1 << f.bitwidth) - 1
        if isinstance(k, ExactKey):
            m.exact.value = bytestrings.encode(k.value)
        elif isinstance(k, LpmKey):
            if k.prefix_len == 0:
                continue
            m.lpm.value = bytestrings.encode(k.value)
            m.lpm.prefix_len = k.prefix_len
        elif isinstance(k, TernaryKey):
            if k.mask == 0:
                continue
            m.ternary.value = bytestrings.encode(k.value)
            m.ternary.mask = bytestrings.encode(k.mask)
        elif isinstance(k, RangeKey):
            if k.low == 0 and k.high == full:
                continue
            m.range.low = bytestrings.encode(k.low)
            m.range.high = bytestrings.encode(k.high)
        elif isinstance(k, OptionalKey):
            if k.value is None:
                continue
            m.optional.value = bytestrings.encode(k.value)
        else:
            continue
        out.append(m)
    return out


def _priority(table: TableInfo, priority: int) -> int | None:
    if table.needs_priority:
        if priority <= 0:
            raise invalid(
                f"table {table.name!r} has ternary/range/optional keys: priority must be > 0"
            )
        if priority >= 1 << 31:
            raise invalid(f"table {table.name!r}: priority {priority} exceeds 2^31 - 1")
        return priority
    if priority != 0:
        raise invalid(
            f"table {table.name!r} has no ternary/range/optional keys: priority must be 0"
        )
    return None


# --------------------------------------------------------------------------- actions
def _action_spec(
    state: PipelineState, table: TableInfo, action: p4runtime_pb2.TableAction
) -> tuple[ActionSpec, OneShot | None]:
    kind = action.WhichOneof("type")
    where = f"table {table.name!r}"
    if kind is None:
        raise invalid(f"{where}: entry has no action")
    if table.implementation_id == 0:
        if kind != "action":
            raise invalid(f"{where}: no action profile, give a direct action")
        return actions.to_call(state.index, action.action, table.action_ids, where), None
    profile = state.index.action_profile(table.implementation_id)
    if kind == "action":
        raise invalid(
            f"{where}: implemented by action profile {profile.name!r}, direct action given"
        )
    if kind == "action_profile_member_id":
        handle = state.members.get(profile.id, {}).get(action.action_profile_member_id)
        if handle is None:
            raise not_found(
                f"{where}: no member {action.action_profile_member_id} in {profile.name!r}"
            )
        return MemberRef(handle), None
    if kind == "action_profile_group_id":
        handle = state.groups.get(profile.id, {}).get(action.action_profile_group_id)
        if handle is None:
            raise not_found(
                f"{where}: no group {action.action_profile_group_id} in {profile.name!r}"
            )
        return GroupRef(handle), None
    return _create_oneshot(state, table, profile.id, action.action_profile_action_set)


def _create_oneshot(
    state: PipelineState,
    table: TableInfo,
    profile_id: int,
    action_set: p4runtime_pb2.ActionProfileActionSet,
) -> tuple[ActionSpec, OneShot]:
    profile = state.index.action_profile(profile_id)
    where = f"table {table.name!r} one-shot action set"
    if not action_set.action_profile_actions:
        raise invalid(f"{where}: empty")
    calls = []
    for apa in action_set.action_profile_actions:
        if apa.weight < 1:
            raise invalid(f"{where}: weight must be >= 1")
        if apa.weight != 1:
            raise unimplemented(f"{where}: weights other than 1 are not supported")
        calls.append(actions.to_call(state.index, apa.action, table.action_ids, where))
    if not profile.with_selector and len(calls) != 1:
        raise invalid(f"{where}: profile {profile.name!r} has no selector: exactly one action")
    sw = state.switch
    members: list[int] = []
    group: int | None = None
    try:
        for call in calls:
            members.append(sw.act_prof_add_member(profile.name, call))
        if profile.with_selector:
            group = sw.act_prof_create_group(profile.name)
            for m in members:
                sw.act_prof_add_member_to_group(profile.name, m, group)
    except control.ControlError:
        _drop_oneshot(state, OneShot(profile.name, tuple(members), group, b""))
        raise
    canonical = p4runtime_pb2.ActionProfileActionSet()
    for apa in action_set.action_profile_actions:
        kept = canonical.action_profile_actions.add()
        kept.CopyFrom(apa)
        kept.action.CopyFrom(
            actions.from_call(state.index, actions.to_call(state.index, apa.action, None, where))
        )
    shot = OneShot(profile.name, tuple(members), group, canonical.SerializeToString())
    spec: ActionSpec = GroupRef(group) if group is not None else MemberRef(members[0])
    return spec, shot


def _drop_oneshot(state: PipelineState, shot: OneShot) -> None:
    sw = state.switch
    try:
        if shot.group is not None:
            for m in shot.members:
                sw.act_prof_remove_member_from_group(shot.profile, m, shot.group)
            sw.act_prof_delete_group(shot.profile, shot.group)
        for m in shot.members:
            sw.act_prof_delete_member(shot.profile, m)
    except control.ControlError:
        pass


def _action_to_proto(
    state: PipelineState, table: TableInfo, handle: int | None, spec: ActionSpec
) -> p4runtime_pb2.TableAction:
    out = p4runtime_pb2.TableAction()
    shot = state.oneshots.get((table.name, handle)) if handle is not None else None
    if shot is not None:
        out.action_profile_action_set.ParseFromString(shot.action_set)
    elif isinstance(spec, ActionCall):
        out.action.CopyFrom(actions.from_call(state.index, spec))
    elif isinstance(spec, MemberRef):
        mid = state.member_id_of(table.implementation_id, spec.member)
        out.action_profile_member_id = mid if mid is not None else spec.member
    else:
        gid = state.group_id_of(table.implementation_id, spec.group)
        out.action_profile_group_id = gid if gid is not None else spec.group
    return out


# --------------------------------------------------------------------------- writes
def write(state: PipelineState, kind: int, entry: p4runtime_pb2.TableEntry) -> None:
    table = state.index.table(entry.table_id)
    if entry.is_default_action:
        _write_default(state, table, kind, entry)
        return
    if entry.idle_timeout_ns and not table.idle_notify:
        raise invalid(f"table {table.name!r} does not support idle timeout (no NOTIFY_CONTROL)")
    if entry.idle_timeout_ns < 0:
        raise invalid("idle_timeout_ns must not be negative")
    _write_entry(
        state,
        kind,
        table,
        match_specs(entry.match),
        entry.priority,
        lambda: _action_spec(state, table, entry.action),
        entry,
    )


def write_direct(state: PipelineState, kind: int, entry: DirectEntry) -> None:
    """:func:`write` for an entry :mod:`.wire` read: same checks, no protobuf objects."""
    table = state.index.table(entry.table_id)

    def spec() -> tuple[ActionSpec, OneShot | None]:
        if table.implementation_id:
            profile = state.index.action_profile(table.implementation_id)
            raise invalid(
                f"table {table.name!r}: implemented by action profile {profile.name!r}, "
                "direct action given"
            )
        where = f"table {table.name!r}"
        call = actions.call_from_parts(
            state.index, entry.action_id, entry.params, table.action_ids, where
        )
        return call, None

    _write_entry(state, kind, table, entry.matches, entry.priority, spec, None)


def _write_entry(
    state: PipelineState,
    kind: int,
    table: TableInfo,
    matches: list[MatchSpec],
    priority_in: int,
    make_spec: Callable[[], tuple[ActionSpec, OneShot | None]],
    entry: p4runtime_pb2.TableEntry | None,
) -> None:
    """INSERT / MODIFY / DELETE of a non-default entry; ``entry`` carries the optional
    fields (counter data, meter config, idle timeout, metadata) when given."""
    if table.is_const:
        raise P4RuntimeError(
            grpc.StatusCode.PERMISSION_DENIED,
            f"table {table.name!r} is const: its entries are read-only",
        )
    keys = keys_from_specs(table, matches)
    priority = _priority(table, priority_in)
    sw = state.switch
    if kind == Update.INSERT:
        spec, shot = make_spec()
        try:
            handle = sw.table_add(table.name, keys, spec, priority)
        except control.ControlError:
            if shot is not None:
                _drop_oneshot(state, shot)
            raise
        try:
            if entry is not None:  # a new entry has no timeout and no direct data yet
                _apply_entry_resources(state, table, handle, entry)
        except (control.ControlError, P4RuntimeError):
            sw.table_delete(table.name, handle)
            if shot is not None:
                _drop_oneshot(state, shot)
            raise
        if shot is not None:
            state.oneshots[(table.name, handle)] = shot
        if entry is not None:
            state.extras[(table.name, handle)] = _extras(entry)
        return
    found = sw.table_find(table.name, keys, priority)
    if found is None:
        raise not_found(f"table {table.name!r}: no entry with this key")
    handle = found
    if kind == Update.MODIFY:
        spec, shot = make_spec()
        try:
            sw.table_modify(table.name, handle, spec)
        except control.ControlError:
            if shot is not None:
                _drop_oneshot(state, shot)
            raise
        old = state.oneshots.pop((table.name, handle), None)
        if old is not None:
            _drop_oneshot(state, old)
        if shot is not None:
            state.oneshots[(table.name, handle)] = shot
        _apply_entry_resources(state, table, handle, entry)
        if entry is not None:
            state.extras[(table.name, handle)] = _extras(entry)
        else:
            state.extras.pop((table.name, handle), None)
    elif kind == Update.DELETE:
        sw.table_delete(table.name, handle)
        state.extras.pop((table.name, handle), None)
        old = state.oneshots.pop((table.name, handle), None)
        if old is not None:
            _drop_oneshot(state, old)
    else:
        raise invalid("update type must be INSERT, MODIFY or DELETE")


def _extras(entry: p4runtime_pb2.TableEntry) -> EntryExtras:
    return EntryExtras(entry.controller_metadata, bytes(entry.metadata), entry.idle_timeout_ns)


def _apply_entry_resources(
    state: PipelineState, table: TableInfo, handle: int, entry: p4runtime_pb2.TableEntry | None
) -> None:
    sw = state.switch
    if entry is None:
        if table.idle_notify:
            sw.table_set_timeout(table.name, handle, None)
        return
    if entry.HasField("counter_data"):
        if not table.direct_counter_id:
            raise invalid(f"table {table.name!r} has no direct counter")
        sw.direct_counter_write(
            table.name, handle, entry.counter_data.packet_count, entry.counter_data.byte_count
        )
    if entry.HasField("meter_config"):
        if not table.direct_meter_id:
            raise invalid(f"table {table.name!r} has no direct meter")
        sw.direct_meter_set_rates(table.name, handle, meters.config_to_rates(entry.meter_config))
    if table.idle_notify:
        timeout_ms = -(-entry.idle_timeout_ns // _NS_PER_MS) if entry.idle_timeout_ns else None
        sw.table_set_timeout(table.name, handle, timeout_ms)


def _write_default(
    state: PipelineState, table: TableInfo, kind: int, entry: p4runtime_pb2.TableEntry
) -> None:
    where = f"table {table.name!r} default entry"
    if kind != Update.MODIFY:
        raise invalid(f"{where}: only MODIFY applies to the default entry")
    if len(entry.match) or entry.priority:
        raise invalid(f"{where}: must have no match and no priority")
    if not entry.HasField("action"):
        state.switch.table_reset_default(table.name)
        return
    if table.implementation_id:
        raise unimplemented(f"{where}: default actions of action-profile tables")
    call = actions.to_call(state.index, entry.action.action, table.action_ids, where)
    if table.const_default_action_id:
        current = state.switch.table_get_default(table.name)
        if current != call:
            raise P4RuntimeError(
                grpc.StatusCode.PERMISSION_DENIED, f"{where}: the default action is const"
            )
    state.switch.table_set_default(table.name, call)


# --------------------------------------------------------------------------- reads
def read(state: PipelineState, query: p4runtime_pb2.TableEntry) -> Iterator[p4runtime_pb2.Entity]:
    if query.table_id == 0:
        if len(query.match) or query.is_default_action:
            raise invalid("reading all tables (table_id 0) takes no match and no default flag")
        tables = sorted(state.index.tables.values(), key=lambda t: t.id)
    else:
        tables = [state.index.table(query.table_id)]
    if query.HasField("time_since_last_hit"):
        for table in tables:
            if not table.idle_notify:
                raise invalid(
                    f"table {table.name!r} has no idle timeout: do not ask for time_since_last_hit"
                )
    sw = state.switch
    for table in tables:
        hits: dict[int, float] | None = None
        if query.HasField("time_since_last_hit") and not query.is_default_action:
            hits = _times_since_hit(state, table)
        if query.is_default_action:
            ent = p4runtime_pb2.Entity()
            ent.table_entry.table_id = table.id
            ent.table_entry.is_default_action = True
            ent.table_entry.action.action.CopyFrom(
                actions.from_call(state.index, sw.table_get_default(table.name))
            )
            yield ent
            continue
        entries = sw.table_entries(table.name)
        if len(query.match):
            keys = tuple(keys_from_proto(table, list(query.match)))
            entries = [e for e in entries if e.keys == keys]
        if query.priority:
            entries = [e for e in entries if (e.priority or 0) == query.priority]
        for e in entries:
            ent = entry_entity(state, table, e, query)
            if hits is not None:
                # an entry added after the snapshot of hit times has just been added
                elapsed = hits.get(e.handle, 0.0)
                ent.table_entry.time_since_last_hit.elapsed_ns = int(elapsed * 1e9)
            yield ent


def _times_since_hit(state: PipelineState, table: TableInfo) -> dict[int, float]:
    return state.switch.table_times_since_hit(table.name)


def entry_entity(
    state: PipelineState, table: TableInfo, e: control.TableEntry, query: p4runtime_pb2.TableEntry
) -> p4runtime_pb2.Entity:
    ent = p4runtime_pb2.Entity()
    out = ent.table_entry
    out.table_id = table.id
    out.match.extend(keys_to_proto(table, e.keys))
    out.action.CopyFrom(_action_to_proto(state, table, e.handle, e.action))
    if e.priority is not None and table.needs_priority:
        out.priority = e.priority
    out.is_const = e.is_const
    extras = state.extras.get((table.name, e.handle))
    if extras is not None:
        out.controller_metadata = extras.controller_metadata
        out.metadata = extras.metadata
        out.idle_timeout_ns = extras.idle_timeout_ns
    elif e.timeout_ms:
        out.idle_timeout_ns = e.timeout_ms * _NS_PER_MS
    sw = state.switch
    if table.direct_counter_id and query.HasField("counter_data"):
        unit = state.index.direct_counter(table.direct_counter_id).unit
        packets, bytes_ = counter_values(unit, *sw.direct_counter_read(table.name, e.handle))
        out.counter_data.packet_count = packets
        out.counter_data.byte_count = bytes_
    if table.direct_meter_id and query.HasField("meter_config"):
        cfg = meters.rates_to_config(sw.direct_meter_get_rates(table.name, e.handle))
        if cfg is not None:
            out.meter_config.CopyFrom(cfg)
    return ent


def find_handle(state: PipelineState, entry: p4runtime_pb2.TableEntry) -> tuple[TableInfo, int]:
    """The table and switch handle of the entry ``entry`` names (NOT_FOUND if none)."""
    table = state.index.table(entry.table_id)
    keys = keys_from_proto(table, list(entry.match))
    handle = state.switch.table_find(table.name, keys, _priority(table, entry.priority))
    if handle is None:
        raise not_found(f"table {table.name!r}: no entry with this key")
    return table, handle
