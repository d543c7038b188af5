"""Match-action tables: keys, action lists, default entries, const entries, action profiles."""

from __future__ import annotations

from typing import Any

from . import ast as A
from .diagnostics import warn
from .errors import CompileError, UnsupportedError
from .exprs import Scope, Val, hex_value
from .externs import instantiate
from .typesys import BitT, BoolT, ExternT, width_of

Json = dict[str, Any]
_KINDS = {"exact", "lpm", "ternary", "range", "optional", "selector"}


def _key_name(k: A.KeyElem) -> str:
    for a in k.annotations:
        if a.name == "name" and a.args and isinstance(a.args[0], A.StrLit):
            return a.args[0].value
    return k.expr.frag.replace(" ", "") if k.expr.frag else "key"


def lower_table(low: Any, tv: Val, scope: Scope, pl: Json) -> Json:
    d: A.TableDecl = tv.members["$decl"]
    fq = tv.name
    if any(t["name"] == fq for t in pl["tables"]):
        raise CompileError(f"table {fq} is applied more than once", d.loc)
    keys: list[Json] = []
    pre_assigns: list[tuple[Val, Val, A.KeyElem]] = []
    key_info: list[tuple[str, int, str]] = []
    selector_inputs: list[Json] = []
    kinds: list[str] = []
    for k in d.keys or ():
        if k.match_kind not in _KINDS:
            raise CompileError(f"{k.match_kind}: unknown match kind", k.loc)
        v = low.ex.lower(k.expr, scope)
        kmask: str | None = None
        if v.kind == "expr" and isinstance(v.type, BoolT) and isinstance(k.expr, A.Call):
            target = v.json["value"]["right"]["value"]
            width = 1
        elif v.kind == "field" and v.json["type"] == "field":
            target = v.json["value"]
            width = width_of(v.type)
        elif (
            isinstance(k.expr, A.Binary)
            and k.expr.op == "&"
            and (fv := low.ex.lower(k.expr.left, scope)).kind == "field"
            and (mv := low.ex.lower(k.expr.right, scope, fv.type)).kind == "const"
        ):
            # field & constant: the field with a key mask, as p4c
            target = fv.json["value"]
            width = width_of(fv.type)
            kmask = hex_value(mv.const or 0, width)
        elif isinstance(v.type, (BitT, BoolT)):
            # any other expression: computed into a scalar key_N before the table, as p4c
            tmp = low.inst.scalar(low.inst.fresh("key"), v.type)
            pre_assigns.append((tmp, v, k))
            target = tmp.json["value"]
            width = width_of(v.type)
        else:
            raise UnsupportedError(f"table key {k.expr.frag!r} of this type", k.loc)
        if k.match_kind == "selector":
            selector_inputs.append({"type": "field", "value": target})
            continue
        name = _key_name(k)
        keys.append({"match_type": k.match_kind, "name": name, "target": target, "mask": kmask})
        key_info.append((name, width, k.match_kind))
        kinds.append(k.match_kind)
    if "range" in kinds:
        mt = "range"
    elif "ternary" in kinds or "optional" in kinds:
        mt = "ternary"
    elif "lpm" in kinds:
        mt = "lpm"
    else:
        mt = "exact"
    # actions
    action_names: list[str] = []
    local_ids: dict[str, int] = {}
    tv.members["$pre_assigns"] = pre_assigns
    action_refs: list[tuple[str, A.ActionRef]] = []
    for ar in d.actions:
        found = low._find_action(ar.name, scope)
        if found is None:
            raise CompileError(f"{ar.name}: no such action", ar.loc)
        act, afq = found
        local_ids[afq] = low.action(act, afq, scope, ar.args or (), scope)
        action_names.append(afq)
        action_refs.append((afq, ar))
    # default action
    dprop = d.prop("default_action")
    const_default = bool(dprop and dprop.const)
    if dprop is None:
        if "NoAction" not in action_names:
            local_ids["NoAction"] = low.action(low.env.actions["NoAction"], "NoAction", scope)
            action_names.append("NoAction")
        dname, ddata = "NoAction", list[str]()
    else:
        dname, ddata = _action_call(low, dprop.value, scope, action_names, d)
    # properties
    size = 1024
    sprop = d.prop("size")
    if sprop is not None:
        sv = low.env.const_value(sprop.value) if not isinstance(sprop.value, A.NameExpr) else None
        if sv is None:
            sval = low.ex.lower(sprop.value, scope)
            sv = sval.const
        if not isinstance(sv, int):
            raise CompileError("table size must be a constant", sprop.loc)
        size = sv
    ttype = "simple"
    profile = None
    impl = d.prop("implementation")
    if impl is not None:
        iv = impl.value
        if isinstance(iv, A.NameExpr):
            pv = scope.lookup(iv.name)
            if pv is None:
                raise CompileError(f"{iv.name}: declaration not found", iv.loc)
            profile = pv.name
        elif isinstance(iv, A.CtorCall) and isinstance(iv.type, A.NamedTypeRef):
            # inline instance: named by the property's @name (as given), else after the table
            given = next(
                (
                    str(a.args[0].value)
                    for a in impl.annotations
                    if a.name == "name" and a.args and isinstance(a.args[0], A.StrLit)
                ),
                None,
            )
            profile = given.lstrip(".") if given else f"{fq}_{iv.type.name}"
            if profile not in low.objs.info:
                ext_t = low.env.resolve(iv.type)
                if not isinstance(ext_t, ExternT):
                    raise CompileError(
                        "implementation must be an action profile or selector", iv.loc
                    )
                decl = A.Instantiation(profile, iv.type, iv.args, loc=iv.loc)
                args = [low.ex.lower(a, scope) for a in iv.args]
                instantiate(low.objs, decl, profile, ext_t, args)
        else:
            raise CompileError("implementation must name an action profile or selector", iv.loc)
        info = low.objs.info.get(profile, {})
        kind = info.get("kind")
        if kind not in ("action_profile", "action_selector"):
            raise CompileError(f"{profile} is not an action profile or selector", iv.loc)
        ttype = "indirect_ws" if kind == "action_selector" else "indirect"
        info.setdefault("tables", []).append(fq)
        if not any(p["name"] == profile for p in pl["action_profiles"]):
            ap: Json = {"name": profile, "id": len(pl["action_profiles"]), "max_size": info["size"]}
            if kind == "action_selector":
                ap["selector"] = {"algo": info["algo"], "input": selector_inputs}
            pl["action_profiles"].append(ap)
    direct_counter = None
    cprop = d.prop("counters")
    if cprop is not None and isinstance(cprop.value, A.NameExpr):
        cv = scope.lookup(cprop.value.name)
        if cv is None or low.objs.info.get(cv.name, {}).get("kind") != "direct_counter":
            raise CompileError("counters must name a direct_counter", cprop.loc)
        first = low.objs.info[cv.name].get("table")
        if first is not None and first != fq:
            # p4c's bmv2 backend (ControlConverter::convertTable)
            raise CompileError(
                f"Direct counters cannot be attached to multiple tables {first} and {fq}",
                cprop.loc,
            )
        direct_counter = cv.name
        low.objs.counter_arrays.append(
            {"name": cv.name, "id": len(low.objs.counter_arrays), "is_direct": True, "binding": fq}
        )
        low.objs.info[cv.name]["table"] = fq
    direct_meter = None
    mprop = d.prop("meters")
    if mprop is not None and isinstance(mprop.value, A.NameExpr):
        mv = scope.lookup(mprop.value.name)
        if mv is None or low.objs.info.get(mv.name, {}).get("kind") != "direct_meter":
            raise CompileError("meters must name a direct_meter", mprop.loc)
        first = low.objs.info[mv.name].get("table")
        if first is not None and first != fq:
            # p4c's bmv2 backend (DirectMeterMap::setTable)
            raise CompileError(
                f"{mprop.value.name}: Direct meters cannot be attached to multiple tables "
                f"{fq} and {first}",
                mprop.loc,
            )
        direct_meter = mv.name
        low.objs.info[mv.name]["table"] = fq
    timeout = d.prop("support_timeout")
    support_timeout = bool(timeout and isinstance(timeout.value, A.BoolLit) and timeout.value.value)
    t: Json = {
        "name": fq,
        "id": low.table_count,
        "source_info": low._source_info(d),
        "key": keys,
        "match_type": mt,
        "type": ttype,
        "max_size": size,
        "with_counters": direct_counter is not None,
        "support_timeout": support_timeout,
        "direct_meters": direct_meter,
        "action_ids": [local_ids[a] for a in action_names],
        "actions": action_names,
        "base_default_next": None,
        "next_tables": dict.fromkeys(action_names),
        "default_entry": {
            "action_id": local_ids[dname],
            "action_const": const_default,
            "action_data": ddata,
            "action_entry_const": const_default,
        },
    }
    if profile is not None:
        t["action_profile"] = profile
        # p4c's bmv2 backend (ControlConverter::convertTable): a table with an action profile
        # or selector gets no default entry; the default_action (p4c's frontend gives every
        # table one, NoAction when the program has none) is ignored with a warning.
        del t["default_entry"]
        warn(
            "unsupported",
            f"Target does not support default_action for {fq} (due to action profiles)",
            d.loc,
        )
    if d.entries is not None:
        t["entries"] = _entries(low, d, key_info, scope, action_names, local_ids)
    low.table_count += 1
    pl["tables"].append(t)
    low.tables_info.append(
        {
            "name": fq,
            "keys": key_info,
            "actions": action_refs,
            "action_names": action_names,
            "default": dname,
            "const_default": const_default,
            "size": size,
            "profile": profile,
            "direct_counter": direct_counter,
            "direct_meter": direct_meter,
            "const_entries": d.entries is not None and d.entries_const,
            "initial_entries": d.entries is not None,
            "support_timeout": support_timeout,
            "decl": d,
        }
    )
    if direct_meter is not None:
        info = low.objs.info[direct_meter]
        low.objs.meter_arrays.append(
            {
                "name": direct_meter,
                "id": len(low.objs.meter_arrays),
                "is_direct": True,
                "rate_count": 2,
                "type": info["unit"],
                "size": size,
                "binding": fq,
                "result_target": info.get("result", ["scalars", "unused"]),
            }
        )
    return t


def _action_call(
    low: Any, e: A.Expr, scope: Scope, names: list[str], d: A.TableDecl
) -> tuple[str, list[str]]:
    args: tuple[A.Expr, ...] = ()
    if isinstance(e, A.Call) and isinstance(e.func, A.NameExpr):
        aname, args = e.func.name, e.args
    elif isinstance(e, A.NameExpr):
        aname = e.name
    else:
        raise CompileError("default_action must name an action", e.loc)
    found = low._find_action(aname, scope)
    if found is None:
        raise CompileError(f"{aname}: no such action", e.loc)
    act, afq = found
    if afq not in names:
        raise CompileError(f"{aname} is not in the actions of table {d.name}", e.loc)
    data_params = [p for p in act.params if not p.direction]
    if len(args) == len(act.params):
        pairs = [(p, a) for p, a in zip(act.params, args, strict=True) if not p.direction]
    elif len(args) == len(data_params):
        pairs = list(zip(data_params, args, strict=True))
    else:
        raise CompileError(f"{aname} takes {len(data_params)} arguments", e.loc)
    data = []
    for p, a in pairs:
        t = low.env.resolve(p.type)
        v = low.ex.coerce(low.ex.lower(a, scope, t), t, a)
        if v.kind != "const":
            raise CompileError("action arguments here must be constants", a.loc)
        data.append(hex(v.const or 0))
    return afq, data


def _entries(
    low: Any,
    d: A.TableDecl,
    keys: list[tuple[str, int, str]],
    scope: Scope,
    names: list[str],
    local_ids: dict[str, int],
) -> list[Json]:
    out = []
    for i, en in enumerate(d.entries or ()):
        if len(en.keys) != len(keys):
            raise CompileError(f"entry has {len(en.keys)} keys, table has {len(keys)}", en.loc)
        mk = []
        for k, (_, w, kind) in zip(en.keys, keys, strict=True):
            mk.append(_match_key(low, k, w, kind, scope))
        aname, data = _action_call(
            low,
            A.Call(
                A.NameExpr(en.action.name, loc=en.action.loc),
                en.action.args or (),
                loc=en.action.loc,
            ),
            scope,
            names,
            d,
        )
        out.append(
            {
                "source_info": low._source_info(en),
                "match_key": mk,
                "action_entry": {"action_id": local_ids[aname], "action_data": data},
                "priority": _bmv2_priority(d, i, en),
            }
        )
    return out


def _bmv2_priority(d: A.TableDecl, i: int, en: A.Entry) -> int:
    """bmv2 matches the lowest priority value first. Entries in source order get 1, 2, ...
    (the first listed wins, as p4c emits); explicit P4 priorities (largest wins) are
    mapped to max + 1 - p."""
    entries = d.entries or ()
    explicit = [e.priority for e in entries if e.priority is not None]
    if not explicit:
        return i + 1
    if len(explicit) != len(entries):
        raise UnsupportedError("entries mixing explicit and implicit priorities", en.loc)
    assert en.priority is not None
    return max(explicit) + 1 - en.priority


def _const(low: Any, e: A.Expr, w: int, scope: Scope) -> int:
    v = low.ex.lower(e, scope, BitT(w))
    if v.kind != "const":
        raise CompileError("table entry keys must be constants", e.loc)
    return (v.const or 0) & ((1 << w) - 1)


def _match_key(low: Any, k: A.Expr, w: int, kind: str, scope: Scope) -> Json:
    full = (1 << w) - 1
    if kind == "exact":
        return {"match_type": "exact", "key": hex_value(_const(low, k, w, scope), w)}
    if kind in ("ternary", "optional"):
        if isinstance(k, (A.DontCare, A.DefaultKey)):
            return {"match_type": "ternary", "key": hex_value(0, w), "mask": hex_value(0, w)}
        if isinstance(k, A.MaskKey):
            return {
                "match_type": "ternary",
                "key": hex_value(_const(low, k.value, w, scope), w),
                "mask": hex_value(_const(low, k.mask, w, scope), w),
            }
        return {
            "match_type": "ternary",
            "key": hex_value(_const(low, k, w, scope), w),
            "mask": hex_value(full, w),
        }
    if kind == "lpm":
        if isinstance(k, (A.DontCare, A.DefaultKey)):
            return {"match_type": "lpm", "key": hex_value(0, w), "prefix_length": 0}
        if isinstance(k, A.MaskKey):
            m = _const(low, k.mask, w, scope)
            plen = bin(m).count("1")
            if m != (full ^ ((1 << (w - plen)) - 1)):
                raise CompileError("lpm mask is not a prefix", k.loc)
            return {
                "match_type": "lpm",
                "key": hex_value(_const(low, k.value, w, scope), w),
                "prefix_length": plen,
            }
        return {
            "match_type": "lpm",
            "key": hex_value(_const(low, k, w, scope), w),
            "prefix_length": w,
        }
    if kind == "range":
        if isinstance(k, (A.DontCare, A.DefaultKey)):
            return {"match_type": "range", "start": hex_value(0, w), "end": hex_value(full, w)}
        if isinstance(k, A.RangeKey):
            return {
                "match_type": "range",
                "start": hex_value(_const(low, k.lo, w, scope), w),
                "end": hex_value(_const(low, k.hi, w, scope), w),
            }
        v = hex_value(_const(low, k, w, scope), w)
        return {"match_type": "range", "start": v, "end": v}
    raise UnsupportedError(f"const entries with {kind} keys", k.loc)
