"""P4Runtime entities built from P4Info names, in canonical form, with identity
keys and readable descriptions (for diffs and error messages)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from p4.config.v1 import p4info_pb2
from p4.v1 import p4runtime_pb2
from p4.v1.p4runtime_pb2 import Entity

from inalab.controller.errors import P4InfoError
from inalab.p4info.index import P4InfoIndex

MatchValue = int | tuple[int, int]  # exact: value; lpm: (value, prefix_len); ternary: (value, mask)
_MT = p4info_pb2.MatchField


def encode(value: int, bitwidth: int, what: str) -> bytes:
    """Canonical P4Runtime bytestring (shortest, one byte for zero)."""
    if value < 0 or value >= 1 << bitwidth:
        raise P4InfoError(f"{what}: value {value} does not fit in {bitwidth} bits")
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def decode(data: bytes) -> int:
    return int.from_bytes(data, "big")


class Builder:
    """Entity constructors that take names (``names.py`` constants) and plain ints."""

    def __init__(self, index: P4InfoIndex) -> None:
        self.index = index

    def _action(self, action: str, params: Mapping[str, int]) -> p4runtime_pb2.Action:
        info = self.index.action(action)
        missing = {p.name for p in info.params} - set(params)
        extra = set(params) - {p.name for p in info.params}
        if missing or extra:
            raise P4InfoError(
                f"action {info.name}: missing {sorted(missing)} / unknown {sorted(extra)} params"
            )
        out = p4runtime_pb2.Action(action_id=info.id)
        for p in info.params:
            out.params.add(
                param_id=p.id, value=encode(params[p.name], p.bitwidth, f"{info.name}.{p.name}")
            )
        return out

    def table_entry(
        self,
        table: str,
        match: Mapping[str, MatchValue],
        action: str | None = None,
        params: Mapping[str, int] | None = None,
        *,
        member: int | None = None,
        group: int | None = None,
        priority: int = 0,
    ) -> Entity:
        info = self.index.table(table)
        ent = Entity()
        te = ent.table_entry
        te.table_id = info.id
        te.priority = priority
        for f in info.match_fields:  # P4Info order = field id order
            if f.name not in match:
                continue
            value = match[f.name]
            what = f"{info.name} key {f.name}"
            fm = te.match.add(field_id=f.id)
            if f.match_type == _MT.EXACT:
                fm.exact.value = encode(int(value), f.bitwidth, what)  # type: ignore[arg-type]
            elif f.match_type == _MT.LPM:
                v, plen = value  # type: ignore[misc]
                keep = ((1 << plen) - 1) << (f.bitwidth - plen)
                fm.lpm.value = encode(v & keep, f.bitwidth, what)
                fm.lpm.prefix_len = plen
            elif f.match_type == _MT.TERNARY:
                v, mask = value  # type: ignore[misc]
                fm.ternary.value = encode(v & mask, f.bitwidth, what)
                fm.ternary.mask = encode(mask, f.bitwidth, what)
            else:
                raise P4InfoError(f"{what}: match kind {f.match_type} not supported")
        unknown = set(match) - {f.name for f in info.match_fields}
        if unknown:
            raise P4InfoError(f"table {info.name}: unknown match fields {sorted(unknown)}")
        if member is not None:
            te.action.action_profile_member_id = member
        elif group is not None:
            te.action.action_profile_group_id = group
        elif action is not None:
            te.action.action.CopyFrom(self._action(action, params or {}))
        return ent

    def table_query(self, table: str | None = None) -> Entity:
        ent = Entity()
        ent.table_entry.table_id = 0 if table is None else self.index.table(table).id
        return ent

    def member(
        self, profile: str, member_id: int, action: str, params: Mapping[str, int]
    ) -> Entity:
        ent = Entity()
        m = ent.action_profile_member
        m.action_profile_id = self.index.action_profile(profile).id
        m.member_id = member_id
        m.action.CopyFrom(self._action(action, params))
        return ent

    def group(self, profile: str, group_id: int, members: Sequence[int]) -> Entity:
        ent = Entity()
        g = ent.action_profile_group
        g.action_profile_id = self.index.action_profile(profile).id
        g.group_id = group_id
        for m in sorted(members):
            g.members.add(member_id=m, weight=1)
        g.max_size = 0
        return ent

    def profile_query(self, profile: str, kind: str) -> Entity:
        ent = Entity()
        sub = getattr(ent, kind)
        sub.action_profile_id = self.index.action_profile(profile).id
        return ent

    @staticmethod
    def multicast_group(group_id: int, ports: Sequence[int], instance: int = 1) -> Entity:
        ent = Entity()
        g = ent.packet_replication_engine_entry.multicast_group_entry
        g.multicast_group_id = group_id
        for p in sorted(ports):
            g.replicas.add(egress_port=p, instance=instance)
        return ent

    @staticmethod
    def multicast_query() -> Entity:
        ent = Entity()
        ent.packet_replication_engine_entry.multicast_group_entry.multicast_group_id = 0
        return ent

    def register_cell(self, register: str, index: int | None, value: int) -> Entity:
        info = self.index.register(register)
        ent = Entity()
        r = ent.register_entry
        r.register_id = info.id
        if index is not None:
            r.index.index = index
        r.data.bitstring = encode(value, info.bitwidth, info.name)
        return ent

    def register_query(self, register: str, index: int | None = None) -> Entity:
        ent = Entity()
        ent.register_entry.register_id = self.index.register(register).id
        if index is not None:
            ent.register_entry.index.index = index
        return ent

    def counter_cell(self, counter: str, index: int, packets: int = 0, bytes_: int = 0) -> Entity:
        ent = Entity()
        c = ent.counter_entry
        c.counter_id = self.index.counter(counter).id
        c.index.index = index
        c.data.packet_count = packets
        c.data.byte_count = bytes_
        return ent

    def counter_query(self, counter: str, index: int | None = None) -> Entity:
        ent = Entity()
        ent.counter_entry.counter_id = self.index.counter(counter).id
        if index is not None:
            ent.counter_entry.index.index = index
        return ent

    # ------------------------------------------------------------------ descriptions
    def describe(self, ent: Entity) -> str:
        kind = ent.WhichOneof("entity")
        name = self.index.name_of
        if kind == "table_entry":
            te = ent.table_entry
            keys = []
            for fm in te.match:
                which = fm.WhichOneof("field_match_type")
                if which == "lpm":
                    keys.append(f"{decode(fm.lpm.value):#x}/{fm.lpm.prefix_len}")
                elif which == "ternary":
                    keys.append(f"{decode(fm.ternary.value):#x}&&&{decode(fm.ternary.mask):#x}")
                elif which == "exact":
                    keys.append(str(decode(fm.exact.value)))
            act = te.action
            if act.WhichOneof("type") == "action":
                vals = ",".join(str(decode(p.value)) for p in act.action.params)
                target = f"{name(act.action.action_id)}({vals})"
            elif act.WhichOneof("type") == "action_profile_member_id":
                target = f"member {act.action_profile_member_id}"
            elif act.WhichOneof("type") == "action_profile_group_id":
                target = f"group {act.action_profile_group_id}"
            else:
                target = "-"
            prio = f" prio {te.priority}" if te.priority else ""
            return f"table {name(te.table_id)} [{', '.join(keys)}]{prio} -> {target}"
        if kind == "action_profile_member":
            m = ent.action_profile_member
            return f"member {m.member_id} of {name(m.action_profile_id)}"
        if kind == "action_profile_group":
            g = ent.action_profile_group
            return f"group {g.group_id} of {name(g.action_profile_id)}"
        if kind == "packet_replication_engine_entry":
            g = ent.packet_replication_engine_entry.multicast_group_entry
            ports = [r.egress_port for r in g.replicas]
            return f"multicast group {g.multicast_group_id} ports {ports}"
        if kind == "register_entry":
            r = ent.register_entry
            return f"register {name(r.register_id)}[{r.index.index}]"
        return kind or "entity"


# --------------------------------------------------------------------------- identity
def normalize(ent: Entity) -> Entity:
    """A copy in one canonical form: sorted keys/params/replicas, shortest bytestrings,
    read-only fields cleared (so written and read-back entities compare equal)."""
    out = Entity()
    out.CopyFrom(ent)

    def canon(b: bytes) -> bytes:
        return b.lstrip(b"\0") or b"\0"

    kind = out.WhichOneof("entity")
    if kind == "table_entry":
        te = out.table_entry
        fields = sorted(te.match, key=lambda m: m.field_id)
        copies = [p4runtime_pb2.FieldMatch() for _ in fields]
        for c, f in zip(copies, fields, strict=True):
            c.CopyFrom(f)
            which = c.WhichOneof("field_match_type")
            if which == "exact":
                c.exact.value = canon(c.exact.value)
            elif which == "lpm":
                c.lpm.value = canon(c.lpm.value)
            elif which == "ternary":
                c.ternary.value = canon(c.ternary.value)
                c.ternary.mask = canon(c.ternary.mask)
        del te.match[:]
        te.match.extend(copies)
        if te.action.WhichOneof("type") == "action":
            _canon_action(te.action.action, canon)
        for f in ("controller_metadata", "metadata", "is_const", "idle_timeout_ns"):
            te.ClearField(f)
        te.ClearField("counter_data")
        te.ClearField("meter_config")
        te.ClearField("time_since_last_hit")
    elif kind == "action_profile_member":
        _canon_action(out.action_profile_member.action, canon)
    elif kind == "action_profile_group":
        g = out.action_profile_group
        ms = sorted(m.member_id for m in g.members)
        del g.members[:]
        for m in ms:
            g.members.add(member_id=m, weight=1)
        g.max_size = 0
    elif kind == "packet_replication_engine_entry":
        g = out.packet_replication_engine_entry.multicast_group_entry
        reps = sorted((r.egress_port or decode(r.port), r.instance) for r in g.replicas)
        del g.replicas[:]
        for port, inst in reps:
            g.replicas.add(egress_port=port, instance=inst)
        g.ClearField("metadata")
    return out


def _canon_action(action: p4runtime_pb2.Action, canon: object) -> None:
    params = sorted(action.params, key=lambda p: p.param_id)
    pairs = [(p.param_id, canon(p.value)) for p in params]  # type: ignore[operator]
    del action.params[:]
    for pid, value in pairs:
        action.params.add(param_id=pid, value=value)


def entity_key(ent: Entity) -> tuple[object, ...]:
    """Identity of a (normalized) entity: what P4Runtime matches on for MODIFY/DELETE."""
    kind = ent.WhichOneof("entity")
    if kind == "table_entry":
        te = ent.table_entry
        return (
            kind,
            te.table_id,
            tuple(m.SerializeToString(deterministic=True) for m in te.match),
            te.priority,
        )
    if kind == "action_profile_member":
        m = ent.action_profile_member
        return (kind, m.action_profile_id, m.member_id)
    if kind == "action_profile_group":
        g = ent.action_profile_group
        return (kind, g.action_profile_id, g.group_id)
    if kind == "packet_replication_engine_entry":
        return (kind, ent.packet_replication_engine_entry.multicast_group_entry.multicast_group_id)
    raise P4InfoError(f"no identity for a {kind} entity")
