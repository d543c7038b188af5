"""P4Info generation as p4c's control-plane serializer does it (names, ids, aliases)."""

from __future__ import annotations

from typing import Any

from p4.config.v1 import p4info_pb2

from .typespec import type_spec
from .typesys import StructLikeT, width_of

# P4Ids.Prefix values (p4runtime p4info.proto)
ACTION, TABLE, VALUE_SET, CONTROLLER_HEADER = 0x01, 0x02, 0x03, 0x04
ACTION_PROFILE, COUNTER, DIRECT_COUNTER, METER, DIRECT_METER, REGISTER, DIGEST = (
    0x11,
    0x12,
    0x13,
    0x14,
    0x15,
    0x16,
    0x17,
)


def name_hash(name: str) -> int:
    """Jenkins one-at-a-time hash of a fully qualified name (what p4c uses for ids)."""
    h = 0
    for c in name.encode():
        h = (h + c) & 0xFFFFFFFF
        h = (h + (h << 10)) & 0xFFFFFFFF
        h ^= h >> 6
    h = (h + (h << 3)) & 0xFFFFFFFF
    h ^= h >> 11
    h = (h + (h << 15)) & 0xFFFFFFFF
    return h


class IdAllocator:
    def __init__(self) -> None:
        self.used: set[int] = set()

    def id_for(self, prefix: int, name: str, explicit: int | None = None) -> int:
        if explicit is not None:
            i = (prefix << 24) | (explicit & 0xFFFFFF) if explicit < (1 << 24) else explicit
            self.used.add(i)
            return i
        h = name_hash(name) & 0xFFFFFF
        while (prefix << 24) | h in self.used:
            h = (h + 1) & 0xFFFFFF
        i = (prefix << 24) | h
        self.used.add(i)
        return i


def aliases(names: list[str]) -> dict[str, str]:
    """Shortest unique dotted suffix of each name."""
    out = {}
    for n in names:
        parts = n.split(".")
        for k in range(1, len(parts) + 1):
            suffix = ".".join(parts[-k:])
            clash = [m for m in names if m != n and (m == suffix or m.endswith("." + suffix))]
            if not clash:
                out[n] = suffix
                break
        else:
            out[n] = n
    return out


_MATCH = {
    k: p4info_pb2.MatchField.MatchType.Value(k.upper())
    for k in ("exact", "lpm", "ternary", "range", "optional")
}
_UNITS = {"packets": 2, "bytes": 1, "packets_and_bytes": 3}


def _explicit_id(decl: Any) -> int | None:
    for a in getattr(decl, "annotations", ()) or ():
        if a.name == "id" and a.args and hasattr(a.args[0], "value"):
            return int(a.args[0].value)
    return None


_SKIP_ANNOTATIONS = {
    "name",
    "id",
    "hidden",
    "tableonly",
    "defaultonly",
    "globalname",
    "controller_header",
    "pipeline",
    "deparser",
    "metadata",
    "alias",
}


def _render_arg(e: Any) -> str:
    from . import ast as A

    if isinstance(e, A.StrLit):
        return '"' + e.value.replace('"', '\\"') + '"'
    if isinstance(e, A.IntLit):
        return str(e.value)
    if isinstance(e, A.BoolLit):
        return "true" if e.value else "false"
    return e.frag or "?"


def _annotations(decl: Any) -> list[str]:
    """Annotations p4c copies into a P4Info preamble, rendered as in the source."""
    out = []
    for a in getattr(decl, "annotations", ()) or ():
        if a.name in _SKIP_ANNOTATIONS:
            continue
        out.append(
            f"@{a.name}" + (f"({', '.join(_render_arg(x) for x in a.args)})" if a.args else "")
        )
    return out


def _declaration_order(env: Any) -> dict[int, int]:
    """Source order of declarations (P4Info lists objects in declaration order, as p4c)."""
    order: dict[int, int] = {}
    for d in env.decls.values():
        order.setdefault(id(d), len(order))
        for loc in getattr(d, "locals", ()):
            order.setdefault(id(loc), len(order))
    for a in env.actions.values():
        order.setdefault(id(a), len(order))
    return order


def build_p4info(low: Any) -> p4info_pb2.P4Info:
    info = p4info_pb2.P4Info()
    info.pkg_info.arch = "v1model"
    ids = IdAllocator()
    order = _declaration_order(low.env)
    user_actions = sorted(
        (n for n, a in low.action_info.items() if not a["synth"]),
        key=lambda n: (order.get(id(low.action_info[n]["decl"]), 1 << 30), n),
    )
    tables = sorted(low.tables_info, key=lambda t: (order.get(id(t["decl"]), 1 << 30), t["name"]))
    objs = low.objs.info
    all_names = user_actions + [t["name"] for t in tables] + list(objs)
    al = aliases(all_names)
    action_id: dict[str, int] = {}
    for n in user_actions:
        action_id[n] = ids.id_for(ACTION, n, _explicit_id(low.action_info[n]["decl"]))
    table_id = {t["name"]: ids.id_for(TABLE, t["name"], _explicit_id(t["decl"])) for t in tables}
    obj_id: dict[str, int] = {}
    prefix = {
        "counter": COUNTER,
        "direct_counter": DIRECT_COUNTER,
        "meter": METER,
        "direct_meter": DIRECT_METER,
        "register": REGISTER,
        "action_profile": ACTION_PROFILE,
        "action_selector": ACTION_PROFILE,
        "digest": DIGEST,
    }
    for n, o in objs.items():
        obj_id[n] = ids.id_for(prefix[o["kind"]], n, _explicit_id(o.get("decl")))
    for t in tables:
        pt = info.tables.add()
        pt.preamble.id = table_id[t["name"]]
        pt.preamble.name = t["name"]
        pt.preamble.alias = al[t["name"]]
        pt.preamble.annotations.extend(_annotations(t["decl"]))
        for i, (kname, w, kind) in enumerate(t["keys"], 1):
            mf = pt.match_fields.add()
            mf.id, mf.name, mf.bitwidth = i, kname, w
            mf.match_type = _MATCH[kind]
        refs = {afq: ar for afq, ar in t["actions"]}
        for afq in t["action_names"]:
            r = pt.action_refs.add()
            r.id = action_id[afq]
            ar = refs.get(afq)
            annos = {a.name for a in ar.annotations} if ar is not None else set()
            if "tableonly" in annos:
                r.scope = p4info_pb2.ActionRef.TABLE_ONLY
            elif "defaultonly" in annos or ar is None:
                r.scope = p4info_pb2.ActionRef.DEFAULT_ONLY
        if t["const_default"]:
            pt.const_default_action_id = action_id[t["default"]]
        pt.initial_default_action.action_id = action_id[t["default"]]
        if t["profile"] is not None:
            pt.implementation_id = obj_id[t["profile"]]
        for r in (t["direct_counter"], t["direct_meter"]):
            if r is not None:
                pt.direct_resource_ids.append(obj_id[r])
        pt.size = t["size"]
        if t["support_timeout"]:
            pt.idle_timeout_behavior = p4info_pb2.Table.NOTIFY_CONTROL
        if t["const_entries"]:
            pt.is_const_table = True
        if t["initial_entries"]:
            pt.has_initial_entries = True
    for n in user_actions:
        pa = info.actions.add()
        pa.preamble.id, pa.preamble.name, pa.preamble.alias = action_id[n], n, al[n]
        pa.preamble.annotations.extend(_annotations(low.action_info[n]["decl"]))
        for i, (pname, w, _p) in enumerate(low.action_info[n]["params"], 1):
            pp = pa.params.add()
            pp.id, pp.name, pp.bitwidth = i, pname, w
    for n, o in objs.items():
        k = o["kind"]
        if k in ("action_profile", "action_selector"):
            ap = info.action_profiles.add()
            ap.preamble.id, ap.preamble.name, ap.preamble.alias = obj_id[n], n, al[n]
            for tn in o.get("tables", []):
                ap.table_ids.append(table_id[tn])
            ap.with_selector = k == "action_selector"
            ap.size = o["size"]
        elif k in ("counter", "direct_counter"):
            c = info.counters.add() if k == "counter" else info.direct_counters.add()
            c.preamble.id, c.preamble.name, c.preamble.alias = obj_id[n], n, al[n]
            c.spec.unit = _UNITS.get(o["unit"], 2)
            if k == "counter":
                c.size = o["size"]
            elif "table" in o:
                c.direct_table_id = table_id[o["table"]]
        elif k in ("meter", "direct_meter"):
            m = info.meters.add() if k == "meter" else info.direct_meters.add()
            m.preamble.id, m.preamble.name, m.preamble.alias = obj_id[n], n, al[n]
            m.spec.unit = 2 if o["unit"] == "packets" else 1
            if k == "meter":
                m.size = o["size"]
            elif "table" in o:
                m.direct_table_id = table_id[o["table"]]
        elif k == "register":
            r = info.registers.add()
            r.preamble.id, r.preamble.name, r.preamble.alias = obj_id[n], n, al[n]
            type_spec(r.type_spec, o["type"], info, low.env.errors)
            r.size = o["size"]
        elif k == "digest":
            d = info.digests.add()
            d.preamble.id, d.preamble.name, d.preamble.alias = obj_id[n], n, al[n]
            t = o["type"]
            if isinstance(t, StructLikeT):
                type_spec(d.type_spec, t, info, low.env.errors)
    for vs in low.vset_info:
        v = info.value_sets.add()
        v.preamble.id = ids.id_for(VALUE_SET, vs["name"])
        v.preamble.name, v.preamble.alias = vs["name"], vs["vset"]
        mf = v.match.add()
        mf.id, mf.name, mf.bitwidth = 1, "", vs["width"]
        mf.match_type = p4info_pb2.MatchField.EXACT
        v.size = int(vs["size"] or 0)
    for h in low.controller_headers:
        cname = h.name
        for a in h.annotations:
            if a.name == "controller_header" and a.args and hasattr(a.args[0], "value"):
                cname = str(a.args[0].value)
        cm = info.controller_packet_metadata.add()
        cm.preamble.id = ids.id_for(CONTROLLER_HEADER, cname)
        cm.preamble.name = cname
        cm.preamble.alias = cname
        for i, (fname, ft) in enumerate(h.fields, 1):
            md = cm.metadata.add()
            md.id, md.name, md.bitwidth = i, fname, width_of(ft)
    info.type_info.SetInParent()
    return info
