"""Control flow of a control's apply block -> bmv2 pipeline: tables, conditionals,
synthesized keyless tables for straight-line code, hit/miss and action_run branches,
inlined sub-control instances."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import ast as A
from .errors import CompileError, UnsupportedError
from .exprs import Scope, Val, as_bool, hex_value, param_json
from .externs import instantiate
from .sideeffects import SideEffectLowering, has_side_calls
from .typesys import CURRENT_LOC, BitT, BoolT, EnumT, ExternT, type_name, width_of

Json = dict[str, Any]
Setter = Callable[[str | None], None]


def _setter(d: Json, key: str) -> Setter:
    def set_next(n: str | None) -> None:
        d[key] = n

    return set_next


def _annotation_str(d: A.Decl | A.KeyElem, name: str) -> str | None:
    annos = d.annotations
    for a in annos:
        if a.name == name and a.args and isinstance(a.args[0], A.StrLit):
            return a.args[0].value
    return None


_BLOCK_DECLS = (A.ParserDecl, A.ControlDecl, A.TypeDeclProto)

_EXTERNS = {
    "counter",
    "direct_counter",
    "meter",
    "direct_meter",
    "register",
    "action_profile",
    "action_selector",
}


class ControlFlowLowering(SideEffectLowering):
    # ================================================================ pipelines
    def _pipeline(
        self, pname: str, d: A.ControlDecl, vals: list[Val], ctor: dict[str, Val] | None = None
    ) -> Json:
        scope = self._bind_params(d, vals, ctor)  # type: ignore[arg-type]
        pl: Json = {
            "name": pname,
            "id": len(self.pipelines),
            "source_info": self._source_info(d),
            "init_table": None,
            "tables": [],
            "action_profiles": [],
            "conditionals": [],
        }
        self._control_locals(d, scope, d.name)
        self._returns.append([])
        entry, pending = self._seq(_with_initializers(d), scope, pl, d.name)
        pl["init_table"] = entry
        for f in pending + self._returns.pop():
            f(None)
        return pl

    def top_level_externs(self) -> list[str]:
        """Extern instances declared at the top level of the program (outside any block),
        visible in every parser, control, action and function through ``self.globals``.
        p4c names them by their own name (or ``@name``), with no block prefix, and keeps
        them even when nothing uses them; returns their names in declaration order."""
        names: list[str] = []
        for d in self.env.decls.values():
            if not isinstance(d, A.Instantiation) or d.name == "main":
                continue
            tname = d.type.name if isinstance(d.type, A.NamedTypeRef) else None
            if isinstance(self.env.decls.get(tname or ""), _BLOCK_DECLS):
                continue  # a parser/control/package instance: only main's arguments count
            CURRENT_LOC.set(d.loc)
            t = self.env.resolve(d.type)
            if not isinstance(t, ExternT):
                raise CompileError(f"{d.name}: cannot instantiate {type_name(t)}", d.loc)
            if t.name not in _EXTERNS:
                raise UnsupportedError(f"top-level instantiation of {t.name}", d.loc)
            fq = (_annotation_str(d, "name") or d.name).lstrip(".")
            args = [self.ex.lower(a, self.globals) for a in d.args]
            self.globals.names[d.name] = instantiate(self.objs, d, fq, t, args)
            names.append(fq)
        return names

    def _control_locals(self, d: A.ControlDecl, scope: Scope, prefix: str) -> None:
        actions: dict[str, Val] = {}
        scope.names["$actions"] = Val({"type": "actions"}, BoolT(), "extern", members=actions)
        for loc in d.locals:
            CURRENT_LOC.set(loc.loc)
            given = _annotation_str(loc, "name") or loc.name
            fq = given[1:] if given.startswith(".") else f"{prefix}.{given}"
            if isinstance(loc, A.ActionDecl):
                actions[loc.name] = Val(
                    {"type": "action"}, BoolT(), "extern", name=fq, members={"$decl": loc}
                )
            elif isinstance(loc, A.TableDecl):
                scope.names[loc.name] = Val(
                    {"type": "table"}, BoolT(), "table", name=fq, members={"$decl": loc}
                )
            elif (
                isinstance(loc, A.Instantiation)
                and isinstance(loc.type, A.NamedTypeRef)
                and loc.type.name in self.env.controls
            ):
                sub = self.env.controls[loc.type.name]
                ctor = self.bind_ctor_args(sub, loc.args, scope, fq, loc)
                scope.names[loc.name] = Val(
                    {"type": "control"},
                    BoolT(),
                    "extern",
                    name=fq,
                    members={"$control": sub, "$ctor": ctor},
                )
            elif isinstance(loc, A.Instantiation):
                t = self.env.resolve(loc.type)
                if not isinstance(t, ExternT) or t.name not in _EXTERNS:
                    raise UnsupportedError(f"instantiation of {getattr(t, 'name', t)}", loc.loc)
                if self._reapply and fq in self.objs.info:
                    # an instance applied again: its externs are the instance's, shared
                    scope.names[loc.name] = Val(
                        {"type": "extern", "value": fq}, t, "extern", name=fq
                    )
                    continue
                args = [self.ex.lower(a, scope) for a in loc.args]
                scope.names[loc.name] = instantiate(self.objs, loc, fq, t, args)
            elif isinstance(loc, A.VarDecl):
                t = self.env.resolve(loc.type)
                scope.names[loc.name] = self.inst.variable(self.inst.local_name(loc.name), t)
            elif isinstance(loc, A.ConstDecl):
                t = self.env.resolve(loc.type)
                scope.names[loc.name] = self.ex.coerce(self.ex.lower(loc.value, scope, t), t, loc)
            elif isinstance(loc, A.FunctionDecl):
                scope.names[f"$fn:{loc.name}"] = Val(
                    {"type": "function"},
                    BoolT(),
                    "extern",
                    name=fq,
                    members={"$decl": loc, "$scope": scope},
                )
            else:
                raise UnsupportedError(f"{type(loc).__name__} in a control", loc.loc)

    def _is_simple(self, s: A.Stmt, scope: Scope) -> bool:
        if isinstance(s, (A.Assign, A.Exit, A.EmptyStmt, A.ConstDecl)):
            return True
        if isinstance(s, A.VarDecl):
            return True
        if isinstance(s, A.CallStmt):
            f = s.call.func
            if isinstance(f, A.Member) and f.name == "apply":
                return False
            if (
                isinstance(f, A.NameExpr)
                and self._find_action(f.name, scope) is not None
                and f.name not in self.env.extern_funcs
            ):
                # a call with run-time arguments is inlined into a synthesized action
                return not all(self._is_const_arg(a, scope) for a in s.call.args)
            return True
        return False

    def _is_const_arg(self, e: A.Expr, scope: Scope) -> bool:
        if isinstance(e, A.NameExpr):
            v = scope.lookup(e.name)
            if v is not None:
                return v.kind == "const"
        return self.env.const_value(e) is not None

    def _seq(
        self, stmts: tuple[A.Stmt, ...], scope: Scope, pl: Json, ctl: str
    ) -> tuple[str | None, list[Setter]]:
        entry: str | None = None
        pending: list[Setter] = []
        e: str | None
        i = 0
        returned = False
        while i < len(stmts):
            s = stmts[i]
            if isinstance(s, A.Return):
                if s.value is not None:
                    raise CompileError("a control's apply block cannot return a value", s.loc)
                # the rest is unreachable: what was pending continues after the control
                self._returns[-1].extend(pending)
                pending = []
                returned = True
                break
            if self._is_simple(s, scope):
                j = i
                while j < len(stmts) and self._is_simple(stmts[j], scope):
                    j += 1
                group = tuple(x for x in stmts[i:j] if not isinstance(x, A.EmptyStmt))
                # declarations without initializers only allocate storage
                work = []
                for x in group:
                    if isinstance(x, A.VarDecl) and x.init is None:
                        self.declare_var(x, scope)
                    elif isinstance(x, A.ConstDecl):
                        self._stmt_prim(x, scope)
                    else:
                        work.append(x)
                i = j
                if not work:
                    continue
                name = self.synth_action(tuple(work), scope)
                e, p = self._keyless_table(f"tbl_{name}", name, [], work[0], pl)
            else:
                e, p = self._node(s, scope, pl, ctl)
                i += 1
            if e is None:
                continue
            if entry is None:
                entry = e
            for f in pending:
                f(e)
            pending = p
        # callers read this right after: an empty sequence that returned must continue at
        # the control's end, not after the statement that holds it
        self._seq_returned = returned and entry is None
        return entry, pending

    def _dangling(self, setter: Setter, pending: list[Setter]) -> None:
        """Route the continuation of an empty branch (just read by _branch/_seq)."""
        (self._returns[-1] if self._seq_returned else pending).append(setter)

    def _keyless_table(
        self, tname: str, action: str, data: list[str], s: A.Node, pl: Json, aid: int | None = None
    ) -> tuple[str, list[Setter]]:
        """A keyless table that runs one action (``aid``: which copy of it, when an action
        name has several, as in a control instance applied twice)."""
        if aid is None:
            aid = self.action_ids[action]
        n = self._synth.get(tname, 0)
        self._synth[tname] = n + 1
        if n:
            tname = f"{tname}_{n - 1}"
        t: Json = {
            "name": tname,
            "id": self.table_count,
            "source_info": self._source_info(s),
            "key": [],
            "match_type": "exact",
            "type": "simple",
            "max_size": 1024,
            "with_counters": False,
            "support_timeout": False,
            "direct_meters": None,
            "action_ids": [aid],
            "actions": [action],
            "base_default_next": None,
            "next_tables": {action: None},
            "default_entry": {
                "action_id": aid,
                "action_const": True,
                "action_data": data,
                "action_entry_const": True,
            },
        }
        self.table_count += 1
        pl["tables"].append(t)

        def setter(nxt: str | None) -> None:
            t["base_default_next"] = nxt
            t["next_tables"][action] = nxt

        return tname, [setter]

    def _node(self, s: A.Stmt, scope: Scope, pl: Json, ctl: str) -> tuple[str | None, list[Setter]]:
        if isinstance(s, A.Block):
            return self._seq(s.stmts, scope.child(), pl, ctl)
        if isinstance(s, A.CallStmt):
            f = s.call.func
            if isinstance(f, A.Member) and f.name == "apply":
                tv = self.ex.lower(f.expr, scope)
                if "$control" in tv.members:
                    return self._apply_control(tv, s.call, scope, pl)
                if tv.kind != "table":
                    raise UnsupportedError("apply of something other than a table", s.loc)
                t = self._table(tv, scope, pl)
                return t.pop("$entry"), [self._table_setter(t, None)]
            assert isinstance(f, A.NameExpr)
            found = self._find_action(f.name, scope)
            assert found is not None
            act, fq = found
            aid = self.action(act, fq, scope)
            data = []
            for p, a in zip(act.params, s.call.args, strict=False):
                pt = self.env.resolve(p.type)
                v = self.ex.coerce(self.ex.lower(a, scope, pt), pt, a)
                if v.kind != "const":
                    raise UnsupportedError("direct action call with non-constant arguments", a.loc)
                data.append(hex(v.const or 0))
            return self._keyless_table(f"tbl_{fq.split('.')[-1]}", fq, data, s, pl, aid)
        if isinstance(s, A.If):
            return self._if(s, scope, pl, ctl)
        if isinstance(s, A.Switch):
            return self._switch(s, scope, pl, ctl)
        if isinstance(s, A.Return):
            raise UnsupportedError("return in a control's apply block", s.loc)
        raise UnsupportedError(f"{type(s).__name__} in a control's apply block", s.loc)

    def _apply_control(
        self, cv: Val, c: A.Call, scope: Scope, pl: Json
    ) -> tuple[str | None, list[Setter]]:
        """Inline a sub-control's apply: its objects are named <caller>.<instance>.<name>.

        An instance applied again is inlined again (as p4c does): its externs are shared,
        its locals are fresh, its actions are lowered again for the new arguments (bmv2
        actions of the same name, as p4c emits); its tables cannot be applied twice."""
        sub: A.ControlDecl = cv.members["$control"]
        applies = cv.members.get("$applies", 0)
        cv.members["$applies"] = applies + 1
        if len(c.args) != len(sub.params):
            raise CompileError(f"{sub.name}.apply takes {len(sub.params)} arguments", c.loc)
        inner = Scope(self.globals)
        inner.names.update(cv.members.get("$ctor", {}))
        for p, a in zip(sub.params, c.args, strict=True):
            t = self.env.resolve(p.type)
            v = self.ex.lower(a, scope, t)
            if v.kind in ("field", "runtime") or v.kind == "const" or v.kind == "expr":
                v = self.ex.coerce(v, t, a)
            if p.direction in ("out", "inout") and v.kind not in (
                "field",
                "header",
                "struct",
                "stack",
                "union",
            ):
                raise CompileError(
                    f"argument for {p.direction} parameter {p.name} is not assignable", a.loc
                )
            inner.names[p.name] = v
        saved = self._reapply
        if applies:
            self._reapply = f"{saved}#{cv.name}/{applies}"
        try:
            self._control_locals(sub, inner, cv.name)
            self._returns.append([])
            entry, pending = self._seq(_with_initializers(sub), inner, pl, cv.name)
            returns = self._returns.pop()
        finally:
            self._reapply = saved
        self._seq_returned = False
        return entry, pending + returns

    def _table_apply_of(self, e: A.Expr, scope: Scope) -> tuple[Val, str] | None:
        """``t.apply().hit`` / ``.miss`` -> (table, which)."""
        if (
            isinstance(e, A.Member)
            and e.name in ("hit", "miss")
            and isinstance(e.expr, A.Call)
            and isinstance(e.expr.func, A.Member)
            and e.expr.func.name == "apply"
        ):
            tv = self.ex.lower(e.expr.func.expr, scope)
            if tv.kind == "table":
                return tv, e.name
        return None

    def _branch(
        self, body: A.Stmt | None, scope: Scope, pl: Json, ctl: str
    ) -> tuple[str | None, list[Setter]]:
        if body is None:
            self._seq_returned = False
            return None, []
        stmts = body.stmts if isinstance(body, A.Block) else (body,)
        return self._seq(stmts, scope.child(), pl, ctl)

    def _if(self, s: A.If, scope: Scope, pl: Json, ctl: str) -> tuple[str | None, list[Setter]]:
        cond = s.cond
        negate = False
        while isinstance(cond, A.Unary) and cond.op == "!":
            negate, cond = not negate, cond.expr
        ta = self._table_apply_of(cond, scope)
        if ta is not None:
            tv, which = ta
            t = self._table(tv, scope, pl)
            hit_first = (which == "hit") != negate
            te, tp = self._branch(s.then, scope, pl, ctl)
            tr = self._seq_returned
            ee, ep = self._branch(s.other, scope, pl, ctl)
            er = self._seq_returned
            hit, miss = (te, ee) if hit_first else (ee, te)
            hp, mp = (tp, ep) if hit_first else (ep, tp)
            hr, mr = (tr, er) if hit_first else (er, tr)
            t["next_tables"] = {"__HIT__": hit, "__MISS__": miss}
            pending: list[Setter] = [_setter(t, "base_default_next")]
            pending += hp + mp
            for which_key, entry_name, ret in (("__HIT__", hit, hr), ("__MISS__", miss, mr)):
                if entry_name is None:
                    (self._returns[-1] if ret else pending).append(
                        _setter(t["next_tables"], which_key)
                    )
            return t.pop("$entry"), pending
        hoisted: tuple[str, list[Setter]] | None = None
        if has_side_calls(s.cond):  # evaluated first by an action, as p4c hoists it
            v, action = self.hoisted_condition(s, scope)
            hoisted = self._keyless_table(f"tbl_{action}", action, [], s, pl)
        else:
            v = self.ex.lower(s.cond, scope, BoolT())
        if not isinstance(v.type, BoolT):
            raise CompileError("if condition must be a bool expression", s.cond.loc)
        name = f"node_{self.node_count + self.table_count}"
        self.node_count += 1
        c: Json = {
            "name": name,
            "id": len(pl["conditionals"]),
            "source_info": self._source_info(s.cond),
            "expression": as_bool(v)
            if v.kind != "const"
            else {"type": "bool", "value": bool(v.const)},
            "true_next": None,
            "false_next": None,
        }
        pl["conditionals"].append(c)
        pending = []
        for key, body in (("true_next", s.then), ("false_next", s.other)):
            e, p = self._branch(body, scope, pl, ctl)
            if e is None:
                self._dangling(_setter(c, key), pending)
            else:
                c[key] = e
                pending += p
        if hoisted is not None:
            for set_next in hoisted[1]:
                set_next(name)
            return hoisted[0], pending
        return name, pending

    def _switch(
        self, s: A.Switch, scope: Scope, pl: Json, ctl: str
    ) -> tuple[str | None, list[Setter]]:
        e = s.expr
        if not (
            isinstance(e, A.Member)
            and e.name == "action_run"
            and isinstance(e.expr, A.Call)
            and isinstance(e.expr.func, A.Member)
            and e.expr.func.name == "apply"
        ):
            return self._value_switch(s, scope, pl, ctl)
        tv = self.ex.lower(e.expr.func.expr, scope)
        t = self._table(tv, scope, pl)
        return self._switch_cases(s, t, scope, pl, ctl)

    def _value_switch(
        self, s: A.Switch, scope: Scope, pl: Json, ctl: str
    ) -> tuple[str | None, list[Setter]]:
        """switch on a value, as p4c lowers it: the value goes into scalar switch_N_key, a
        hidden table switch_N_table with const entries picks one empty action per case
        (switch_N_case, switch_N_case_0, ...), and its action_run selects the case body."""
        n = self._switch_count
        self._switch_count += 1
        keys: list[Val] = []

        def key_assignment() -> Json:
            """switch_N_key = the value (lowered in the current action, if any)."""
            v = self.ex.lower(s.expr, scope)
            if not isinstance(v.type, BitT) and not (
                isinstance(v.type, EnumT) and v.type.underlying is not None
            ):
                raise UnsupportedError(f"switch on a value of type {type_name(v.type)}", s.expr.loc)
            keys.append(self.inst.scalar(f"switch_{n}_key", v.type))
            return {
                "op": "assign",
                "parameters": [keys[0].json, param_json(v)],
                "source_info": self._source_info(s),
            }

        # the assignment to the key, in a keyless table before the switch table
        if has_side_calls(s.expr):  # the calls run in that action first, as p4c hoists them
            aname = self.synth_from(s, lambda: self._emit(key_assignment(), s))
        else:
            prim = key_assignment()
            aname = self._synth_name(s.loc.line)
            self.actions.append(
                {"name": aname, "id": len(self.actions), "runtime_data": [], "primitives": [prim]}
            )
            self.action_ids[aname] = len(self.actions) - 1
            self.action_info[aname] = {"params": [], "decl": None, "synth": True}
        key = keys[0]
        width = width_of(key.type)
        pre, pre_setters = self._keyless_table(f"tbl_{aname}", aname, [], s, pl)
        # one empty action per case body (labels sharing a body share it), default last
        case_actions: list[str] = []
        bodies: list[tuple[str, A.SwitchCase]] = []
        entries: list[Json] = []
        default_action: str | None = None
        waiting: list[A.Expr | None] = []
        for case in s.cases:
            waiting.append(case.label)
            if case.body is None:
                continue
            act = (
                f"switch_{n}_case"
                if not case_actions
                else (f"switch_{n}_case_{len(case_actions) - 1}")
            )
            case_actions.append(act)
            self.actions.append(
                {"name": act, "id": len(self.actions), "runtime_data": [], "primitives": []}
            )
            self.action_ids[act] = len(self.actions) - 1
            self.action_info[act] = {"params": [], "decl": None, "synth": True}
            bodies.append((act, case))
            for label in waiting:
                if label is None:
                    default_action = act
                    continue
                c = self.ex.lower(label, scope, key.type)
                if c.kind != "const":
                    raise CompileError("switch case labels must be constants", label.loc)
                entries.append(
                    {
                        "source_info": self._source_info(case),
                        "match_key": [
                            {"match_type": "exact", "key": hex_value(c.const or 0, width)}
                        ],
                        "action_entry": {"action_id": self.action_ids[act], "action_data": []},
                        "priority": len(entries) + 1,
                    }
                )
            waiting = []
        if default_action is None:
            default_action = (
                f"switch_{n}_case_{len(case_actions) - 1}" if case_actions else (f"switch_{n}_case")
            )
            case_actions.append(default_action)
            self.actions.append(
                {
                    "name": default_action,
                    "id": len(self.actions),
                    "runtime_data": [],
                    "primitives": [],
                }
            )
            self.action_ids[default_action] = len(self.actions) - 1
            self.action_info[default_action] = {"params": [], "decl": None, "synth": True}
        t: Json = {
            "name": f"switch_{n}_table",
            "id": self.table_count,
            "source_info": self._source_info(s),
            "key": [{"match_type": "exact", "target": key.json["value"], "mask": None}],
            "match_type": "exact",
            "type": "simple",
            "max_size": max(len(entries), 1),
            "with_counters": False,
            "support_timeout": False,
            "direct_meters": None,
            "action_ids": [self.action_ids[a] for a in case_actions],
            "actions": case_actions,
            "base_default_next": None,
            "next_tables": dict.fromkeys(case_actions),
            "default_entry": {
                "action_id": self.action_ids[default_action],
                "action_const": True,
                "action_data": [],
                "action_entry_const": True,
            },
            "entries": entries,
        }
        self.table_count += 1
        pl["tables"].append(t)
        for f in pre_setters:
            f(t["name"])
        pending: list[Setter] = [_setter(t, "base_default_next")]
        for act, case in bodies:
            assert case.body is not None
            be, bp = self._seq(case.body.stmts, scope.child(), pl, ctl)
            t["next_tables"][act] = be
            pending += bp
            if be is None:
                (self._returns[-1] if self._seq_returned else pending).append(
                    _setter(t["next_tables"], act)
                )
        if default_action not in {a for a, _ in bodies}:
            pending.append(_setter(t["next_tables"], default_action))
        return pre, pending

    def _switch_cases(
        self, s: A.Switch, t: Json, scope: Scope, pl: Json, ctl: str
    ) -> tuple[str | None, list[Setter]]:
        short = {a.split(".")[-1]: a for a in t["actions"]}
        pending: list[Setter] = [_setter(t, "base_default_next")]
        covered: dict[str, tuple[str | None, bool]] = {}
        waiting: list[str | None] = []
        default_entry: tuple[str | None, bool] | None = None
        for case in s.cases:
            label = case.label.name if isinstance(case.label, A.NameExpr) else case.label
            if label is not None and (not isinstance(label, str) or label not in short):
                raise CompileError(
                    f"{getattr(case.label, 'frag', '') or label}: not an action of table "
                    f"{t['name']}",
                    case.loc,
                )
            waiting.append(label)
            if case.body is None:
                continue
            be, bp = self._seq(case.body.stmts, scope.child(), pl, ctl)
            outcome = (be, self._seq_returned)
            pending += bp
            for lab in waiting:
                if lab is None:
                    default_entry = outcome
                else:
                    covered[short[lab]] = outcome
            waiting = []
        for a in t["actions"]:
            target, ret = covered.get(a) or default_entry or (None, False)
            t["next_tables"][a] = target
            if target is None:
                (self._returns[-1] if ret else pending).append(_setter(t["next_tables"], a))
        return t.pop("$entry"), pending

    def _table_setter(self, t: Json, _: None) -> Setter:
        def setter(n: str | None) -> None:
            t["base_default_next"] = n
            for a in t["next_tables"]:
                t["next_tables"][a] = n

        return setter

    def _table(self, tv: Val, scope: Scope, pl: Json) -> Json:
        """Lower a table; key expressions that are not fields are computed first, in a
        keyless table placed before it (its name becomes the entry: ``$entry``)."""
        from .tables import lower_table

        n_before = len(pl["tables"])
        t = lower_table(self, tv, scope, pl)
        t["$entry"] = t["name"]
        pre = tv.members.get("$pre_assigns") or []
        if pre:
            prims: list[Json] = []
            for tmp, val, k in pre:
                prims.append(
                    {
                        "op": "assign",
                        "parameters": [tmp.json, param_json(val)],
                        "source_info": self._source_info(k),
                    }
                )
            name = self._synth_name(pre[0][2].loc.line)
            aid = len(self.actions)
            self.actions.append({"name": name, "id": aid, "runtime_data": [], "primitives": prims})
            self.action_ids[name] = aid
            self.action_info[name] = {"params": [], "decl": None, "synth": True}
            pname, setters = self._keyless_table(f"tbl_{name}", name, [], pre[0][2], pl)
            for f in setters:
                f(t["name"])
            # keep control-flow order: the key table before the table
            pl["tables"].insert(n_before, pl["tables"].pop())
            t["$entry"] = pname
        return t


def _with_initializers(d: A.ControlDecl) -> tuple[A.Stmt, ...]:
    """The apply block with the control-level variables' initializers first, in declaration
    order (p4c's MoveInitializers: ``bit<8> x = 5;`` among the locals is assigned each time
    the control runs, before its apply block)."""
    inits = tuple(
        A.Assign(A.NameExpr(v.name, loc=v.loc), v.init, loc=v.loc, frag=v.frag)
        for v in d.locals
        if isinstance(v, A.VarDecl) and v.init is not None
    )
    return inits + d.body.stmts
