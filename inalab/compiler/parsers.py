"""Parsers (states, ops, transitions), deparsers and checksum controls in bmv2 JSON."""

from __future__ import annotations

from typing import Any

from . import ast as A
from .diagnostics import warn
from .errors import CompileError, UnsupportedError
from .exprs import Scope, Val, as_bool, param_json
from .externs import algo_name, flatten_fields
from .selectcases import KeyMatch, cross_product, range_to_masks, signed_value, transition_value
from .typesys import BitT, ExternT, StackT, StructLikeT, VarbitT, width_of

Json = dict[str, Any]


def lower_parser(low: Any, d: A.ParserDecl, scope: Scope) -> Json:
    _parser_locals(low, d, scope, d.name)
    states = []
    if "start" not in {s.name for s in d.states}:
        raise CompileError("parser has no start state", d.loc)
    split: list[tuple[A.ParserState, Scope]] = []
    taken = {s.name for s in d.states}
    for st in d.states:
        state_scope = scope.child()
        for part, part_scope in _expand_subparsers(low, st, state_scope, taken):
            split.extend((p, part_scope) for p in _split_ifs(part, taken))
    names = {s.name for s, _ in split}
    for i, (st, st_scope) in enumerate(split):
        states.append(_state(low, st, i, st_scope, names))
    return {"name": "parser", "id": 0, "init_state": "start", "parse_states": states}


def _parser_locals(low: Any, d: A.ParserDecl, scope: Scope, prefix: str) -> None:
    for loc in d.locals:
        if (
            isinstance(loc, A.Instantiation)
            and isinstance(loc.type, A.NamedTypeRef)
            and loc.type.name in low.env.parsers
        ):
            sub = low.env.parsers[loc.type.name]
            fq = f"{prefix}.{loc.name}"
            ctor = low.bind_ctor_args(sub, loc.args, scope, fq, loc)
            scope.names[loc.name] = Val(
                {"type": "parser"},
                BitT(0),
                "extern",
                name=fq,
                members={"$parser": sub, "$ctor": ctor},
            )
            continue
        if isinstance(loc, A.VarDecl):
            low.declare_var(loc, scope) if loc.init is None else None
            if loc.init is not None:
                raise UnsupportedError("parser-level variable with an initializer", loc.loc)
        elif isinstance(loc, A.ConstDecl):
            t = low.env.resolve(loc.type)
            scope.names[loc.name] = low.ex.coerce(low.ex.lower(loc.value, scope, t), t, loc)
        elif isinstance(loc, A.ValueSetDecl):
            t = low.env.resolve(loc.type)
            size = low.env.const_value(loc.size)
            w = width_of(t)
            vs = Val(
                {"type": "parse_vset", "value": f"{prefix}.{loc.name}"},
                t,
                "extern",
                name=f"{prefix}.{loc.name}",
            )
            if any(x["name"] == vs.name for x in low.parse_vsets):
                scope.names[loc.name] = vs  # a further call of the same instance
                continue
            low.parse_vsets.append(
                {
                    "name": f"{prefix}.{loc.name}",
                    "id": len(low.parse_vsets),
                    "compressed_bitwidth": w,
                }
            )
            low.vset_info.append(
                {
                    "name": f"{prefix}.{loc.name}",
                    "vset": loc.name,
                    "width": w,
                    "size": size,
                    "type": t,
                }
            )
            scope.names[loc.name] = vs
        else:
            raise UnsupportedError(f"{type(loc).__name__} in a parser", loc.loc)


def _expand_subparsers(
    low: Any, st: A.ParserState, scope: Scope, taken: set[str]
) -> list[tuple[A.ParserState, Scope]]:
    """``sub.apply(...)`` of a parser instance: the caller's state is split at the call and
    the sub-parser's states are inlined (renamed ``<instance>_<state>``); the sub-parser's
    accept continues in a join state with the rest of the caller's state (as p4c). Every
    call is inlined on its own (an instance may be applied from several states); its value
    sets belong to the instance and are shared by the calls."""
    for k, s in enumerate(st.stmts):
        if not (
            isinstance(s, A.CallStmt)
            and isinstance(s.call.func, A.Member)
            and s.call.func.name == "apply"
            and isinstance(s.call.func.expr, A.NameExpr)
        ):
            continue
        inst = scope.lookup(s.call.func.expr.name)
        if inst is None or "$parser" not in inst.members:
            continue
        sub: A.ParserDecl = inst.members["$parser"]
        if len(s.call.args) != len(sub.params):
            raise CompileError(f"{sub.name}.apply takes {len(sub.params)} arguments", s.loc)
        sub_scope = Scope(low.globals)
        sub_scope.names.update(inst.members.get("$ctor", {}))
        for p, a in zip(sub.params, s.call.args, strict=True):
            sub_scope.names[p.name] = low.ex.lower(a, scope)
        _parser_locals(low, sub, sub_scope, inst.name)
        tag = inst.name.split(".")[-1]
        rename = {x.name: _fresh_state(f"{tag}_{x.name}", taken) for x in sub.states}
        join = _fresh_state(f"{st.name}_after_{tag}", taken)
        rename["accept"] = join
        rename["reject"] = "reject"
        if "start" not in {x.name for x in sub.states}:
            raise CompileError(f"parser {sub.name} has no start state", sub.loc)
        loc = s.loc
        out: list[tuple[A.ParserState, Scope]] = [
            (
                A.ParserState(
                    st.name,
                    st.stmts[:k],
                    A.Transition(rename["start"], loc=loc),
                    annotations=st.annotations,
                    loc=st.loc,
                ),
                scope,
            )
        ]
        for x in sub.states:
            tr = x.transition
            if tr is not None:
                tr = A.Transition(
                    rename.get(tr.state, tr.state) if tr.state is not None else None,
                    tr.select,
                    tuple((ks, rename.get(n, n)) for ks, n in tr.cases),
                    loc=tr.loc,
                )
            renamed = A.ParserState(rename[x.name], x.stmts, tr, loc=x.loc)
            out.extend(_expand_subparsers(low, renamed, sub_scope.child(), taken))
        rest = A.ParserState(join, st.stmts[k + 1 :], st.transition, loc=loc)
        return out + _expand_subparsers(low, rest, scope, taken)
    return [(st, scope)]


def _fresh_state(base: str, taken: set[str]) -> str:
    n = 0
    while f"{base}_{n}" in taken:
        n += 1
    taken.add(f"{base}_{n}")
    return f"{base}_{n}"


def _split_ifs(st: A.ParserState, taken: set[str]) -> list[A.ParserState]:
    """``if`` in a parser state becomes a select on the condition: the state is split into
    the part before the if, one state per branch and a join state (as p4c does)."""
    stmts = list(st.stmts)
    for k, s in enumerate(stmts):
        if isinstance(s, A.Block):
            stmts[k : k + 1] = list(s.stmts)
            return _split_ifs(
                A.ParserState(
                    st.name, tuple(stmts), st.transition, annotations=st.annotations, loc=st.loc
                ),
                taken,
            )
        if not isinstance(s, A.If):
            continue
        join = _fresh_state(f"{st.name}_join", taken)
        then_name = _fresh_state(f"{st.name}_true", taken)
        else_name = _fresh_state(f"{st.name}_false", taken)
        loc = s.loc
        head = A.ParserState(
            st.name,
            tuple(stmts[:k]),
            A.Transition(
                None,
                (s.cond,),
                ((A.BoolLit(True, loc=loc), then_name), (A.DefaultKey(loc=loc), else_name)),
                loc=loc,
            ),
            annotations=st.annotations,
            loc=st.loc,
        )
        to_join = A.Transition(join, loc=loc)
        parts = [head]
        for name, body in ((then_name, s.then), (else_name, s.other)):
            body_stmts = (
                () if body is None else (body.stmts if isinstance(body, A.Block) else (body,))
            )
            parts.extend(_split_ifs(A.ParserState(name, body_stmts, to_join, loc=s.loc), taken))
        rest = A.ParserState(join, tuple(stmts[k + 1 :]), st.transition, loc=s.loc)
        return parts + _split_ifs(rest, taken)
    return [st]


def _state(low: Any, st: A.ParserState, sid: int, scope: Scope, names: set[str]) -> Json:
    ops: list[Json] = []
    saved = low.cur_prims, low.parser_ops
    low.cur_prims, low.parser_ops = ops, True
    try:
        for s in st.stmts:
            _parser_stmt(low, s, scope, ops)
        trans, key = _transition(low, st, scope, names)
    finally:
        low.cur_prims, low.parser_ops = saved
    return {
        "name": st.name,
        "id": sid,
        "parser_ops": ops,
        "transitions": trans,
        "transition_key": key,
    }


def _parser_stmt(low: Any, s: A.Stmt, scope: Scope, ops: list[Json]) -> None:
    if isinstance(s, A.CallStmt):
        c = s.call
        f = c.func
        if isinstance(f, A.Member):
            obj = low.ex.lower(f.expr, scope)
            if (
                obj.kind == "extern"
                and isinstance(obj.type, ExternT)
                and obj.type.name == "packet_in"
            ):
                allowed = {"extract": (1, 2), "advance": (1,)}.get(f.name, ())
                if allowed and len(c.args) not in allowed:
                    raise CompileError(f"packet_in.{f.name}: wrong number of arguments", c.loc)
                if f.name == "extract":
                    target = low.ex.lower(c.args[0], scope)
                    if target.kind == "stack_next":
                        p = {"type": "stack", "value": target.name}
                    elif target.kind == "header":
                        p = {"type": "regular", "value": target.name}
                    else:
                        raise CompileError("extract needs a header", c.args[0].loc)
                    if len(c.args) == 2:
                        n = low.ex.lower(c.args[1], scope, BitT(32))
                        ops.append({"parameters": [p, param_json(n)], "op": "extract_VL"})
                    else:
                        ops.append({"parameters": [p], "op": "extract"})
                    return
                if f.name == "advance":
                    n = low.ex.lower(c.args[0], scope, BitT(32))
                    ops.append({"parameters": [param_json(n)], "op": "advance"})
                    return
                raise UnsupportedError(f"packet_in.{f.name} as a statement", c.loc)
        if isinstance(f, A.NameExpr) and f.name == "verify":
            if len(c.args) != 2:
                raise CompileError("verify takes 2 arguments", c.loc)
            cond = low.ex.lower(c.args[0], scope)
            err = low.ex.lower(c.args[1], scope)
            ops.append(
                {
                    "parameters": [
                        {"type": "expression", "value": as_bool(cond)}
                        if cond.kind != "const"
                        else cond.json,
                        err.json,
                    ],
                    "op": "verify",
                }
            )
            return
        prims: list[Json] = []
        low.stmts_to_prims((s,), scope, prims, in_action=False)
        for p in prims:
            p.pop("source_info", None)
            ops.append({"parameters": [p], "op": "primitive"})
        return
    if isinstance(s, A.Assign):
        prims = []
        low.stmts_to_prims((s,), scope, prims, in_action=False)
        for p in prims:
            if p["op"] == "assign":
                ops.append({"parameters": p["parameters"], "op": "set"})
            else:
                p.pop("source_info", None)
                ops.append({"parameters": [p], "op": "primitive"})
        return
    if isinstance(s, A.VarDecl):
        low.declare_var(A.VarDecl(s.name, s.type, None, loc=s.loc), scope)
        if s.init is not None:
            _parser_stmt(
                low,
                A.Assign(A.NameExpr(s.name, loc=s.loc), s.init, loc=s.loc, frag=s.frag),
                scope,
                ops,
            )
        return
    if isinstance(s, A.ConstDecl):
        t = low.env.resolve(s.type)
        scope.names[s.name] = low.ex.coerce(low.ex.lower(s.value, scope, t), t, s)
        return
    if isinstance(s, A.Block):
        for x in s.stmts:
            _parser_stmt(low, x, scope, ops)
        return
    if isinstance(s, A.EmptyStmt):
        return
    raise UnsupportedError(f"{type(s).__name__} in a parser state", s.loc)


def _next(name: str, names: set[str], node: A.Node) -> str | None:
    # p4c's bmv2 backend ends the parser the same way for accept and reject (next_state
    # null); we do the same so real bmv2 and our switch agree on p4c's and our JSON.
    if name in ("accept", "reject"):
        return None
    if name not in names:
        raise CompileError(f"{name}: no such parser state", node.loc)
    return name


def _transition(
    low: Any, st: A.ParserState, scope: Scope, names: set[str]
) -> tuple[list[Json], list[Json]]:
    tr = st.transition
    if tr is None:
        raise CompileError(f"state {st.name} has no transition", st.loc)
    if tr.state is not None:
        return [
            {
                "type": "default",
                "value": None,
                "mask": None,
                "next_state": _next(tr.state, names, tr),
            }
        ], []
    keys: list[Json] = []
    widths: list[int] = []
    signs: list[bool] = []
    for e in tr.select:
        low.allow_lookahead = True
        try:
            v = low.ex.lower(e, scope)
        finally:
            low.allow_lookahead = False
        if v.kind == "stack_next" or (v.kind == "field" and v.json["type"] == "lookahead"):
            keys.append(v.json)
        elif isinstance(e, A.Member) and isinstance(e.expr, A.Member) and e.expr.name == "last":
            st_v = low.ex.lower(e.expr.expr, scope)
            keys.append({"type": "stack_field", "value": [st_v.name, e.name]})
        elif v.kind == "field":
            keys.append(v.json)
        else:
            tmp = low.inst.scalar(low.inst.fresh("tmp"), v.type)
            low.cur_prims.append({"parameters": [tmp.json, param_json(v)], "op": "set"})
            keys.append(tmp.json)
        widths.append(width_of(v.type))
        if widths[-1] <= 0:
            raise CompileError("a select key needs at least one bit", e.loc)
        signs.append(isinstance(v.type, BitT) and v.type.signed)
    out: list[Json] = []
    for ks, state in tr.cases:
        items = ks.items if isinstance(ks, A.TupleKey) else (ks,)
        if len(items) == 1 and isinstance(items[0], (A.DefaultKey, A.DontCare)):
            out.append(
                {
                    "type": "default",
                    "value": None,
                    "mask": None,
                    "next_state": _next(state, names, tr),
                }
            )
            continue
        if len(items) == 1 and isinstance(items[0], A.NameExpr):
            vs = scope.lookup(items[0].name)
            if vs is not None and vs.json.get("type") == "parse_vset":
                out.append(
                    {
                        "type": "parse_vset",
                        "value": vs.name,
                        "mask": None,
                        "next_state": _next(state, names, tr),
                    }
                )
                continue
        if len(items) != len(keys):
            raise CompileError(f"select has {len(keys)} keys, case has {len(items)}", tr.loc)
        components = [
            _keyset(low, it, w, signed, scope)
            for it, w, signed in zip(items, widths, signs, strict=True)
        ]
        for expanded in cross_product(components):
            vm = transition_value(expanded)
            out.append(
                {
                    "type": "default" if vm is None else "hexstr",
                    "value": None if vm is None else vm[0],
                    "mask": None if vm is None else vm[1],
                    "next_state": _next(state, names, tr),
                }
            )
    return out, keys


def _keyset(low: Any, it: A.Expr, w: int, signed: bool, scope: Scope) -> list[KeyMatch]:
    """The value/mask keysets of one component of a select case (a range gives several)."""
    if isinstance(it, (A.DefaultKey, A.DontCare)):
        return [KeyMatch.anything(w)]
    if isinstance(it, A.MaskKey):
        return [KeyMatch.masked(_c(low, it.value, w, scope), _c(low, it.mask, w, scope), w)]
    if isinstance(it, A.RangeKey):
        lo, hi = _c(low, it.lo, w, scope), _c(low, it.hi, w, scope)
        if signed:
            lo, hi = signed_value(lo, w), signed_value(hi, w)
        if hi < lo:  # p4c's ReplaceSelectRange: a warning, and the case matches nothing
            warn(
                "invalid",
                f"{it.lo.frag}-{it.hi.frag}: Range with end less than start is treated as "
                "an empty range",
                it.loc,
            )
        return range_to_masks(lo, hi, w, signed)
    return [KeyMatch.exactly(_c(low, it, w, scope), w)]


def _c(low: Any, e: A.Expr, w: int, scope: Scope) -> int:
    v = low.ex.lower(e, scope, BitT(w))
    if v.kind != "const":
        raise CompileError("select case values must be constants", e.loc)
    return (v.const or 0) & ((1 << w) - 1)


def lower_deparser(low: Any, d: A.ControlDecl, scope: Scope) -> Json:
    order: list[str] = []

    def emit_val(v: Val, node: A.Node) -> None:
        if v.kind == "header":
            order.append(v.name)
        elif v.kind in ("stack", "union"):
            for m in v.members.values():
                order.append(m.name)
        elif v.kind == "struct":
            for m in v.members.values():
                emit_val(m, node)
        else:
            raise CompileError("emit needs a header, stack or struct of headers", node.loc)

    def walk(stmts: tuple[A.Stmt, ...]) -> None:
        for s in stmts:
            if isinstance(s, A.Block):
                walk(s.stmts)
            elif (
                isinstance(s, A.CallStmt)
                and isinstance(s.call.func, A.Member)
                and s.call.func.name == "emit"
            ):
                if len(s.call.args) != 1:
                    raise CompileError("emit takes 1 argument", s.loc)
                emit_val(low.ex.lower(s.call.args[0], scope), s)
            elif isinstance(s, A.EmptyStmt):
                pass
            else:
                raise UnsupportedError(f"{type(s).__name__} in a deparser (only emit)", s.loc)

    if d.locals:
        raise UnsupportedError("declarations in a deparser", d.locals[0].loc)
    walk(d.body.stmts)
    return {
        "name": "deparser",
        "id": 0,
        "source_info": low._source_info(d),
        "order": order,
        "primitives": [],
    }


def lower_checksums(low: Any, d: A.ControlDecl, scope: Scope, verify: bool) -> None:
    def walk(stmts: tuple[A.Stmt, ...]) -> None:
        for s in stmts:
            if isinstance(s, A.Block):
                walk(s.stmts)
                continue
            if isinstance(s, A.EmptyStmt):
                continue
            if not (isinstance(s, A.CallStmt) and isinstance(s.call.func, A.NameExpr)):
                raise UnsupportedError(f"{type(s).__name__} in a checksum control", s.loc)
            name = s.call.func.name
            want = "verify_checksum" if verify else "update_checksum"
            if name not in (want, f"{want}_with_payload"):
                raise UnsupportedError(
                    f"{name} in a {'verify' if verify else 'compute'} checksum control", s.loc
                )
            args = [low.ex.lower(a, scope) for a in s.call.args]
            if len(args) != 4:
                raise CompileError(f"{name} takes 4 arguments", s.loc)
            inputs = []
            for f in flatten_fields(args[1], s):
                j = dict(f.json)
                if f.kind == "const":
                    j["bitwidth"] = width_of(f.type)
                inputs.append(j)
            if name.endswith("_with_payload"):
                inputs.append({"type": "payload", "value": None})
            calc = low.objs.calculation(algo_name(args[3], s), inputs, s)
            target = args[2]
            if target.kind != "field" or isinstance(target.type, VarbitT):
                raise CompileError("checksum target must be a header field", s.call.args[2].loc)
            n = len(low.checksums)
            cond = args[0]
            low.checksums.append(
                {
                    "name": "cksum" if n == 0 else f"cksum_{n - 1}",
                    "id": n,
                    "source_info": low._source_info(s),
                    "target": target.json["value"],
                    "type": "generic",
                    "calculation": calc,
                    "verify": verify,
                    "update": not verify,
                    "if_cond": cond.json if cond.kind == "const" else as_bool(cond),
                }
            )

    if d.locals:
        raise UnsupportedError("declarations in a checksum control", d.locals[0].loc)
    walk(d.body.stmts)


_ = (StackT, StructLikeT)
