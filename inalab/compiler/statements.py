"""Statements to bmv2 primitives: assignments, extern and method calls, if/else in actions
(_jump_if_zero), inlined actions and functions, and the actions themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import ast as A
from .errors import CompileError, UnsupportedError
from .exprs import Scope, Val, as_bool, expr, hexstr, param_json
from .externs import check_call, deprecated, extern_function, method_call
from .state import LoweringState
from .typesys import (
    CURRENT_LOC,
    BitT,
    BoolT,
    ExternT,
    StructLikeT,
    Type,
    VarbitT,
    VoidT,
    extern_fits,
    type_name,
    width_of,
)

Json = dict[str, Any]
Setter = Callable[[str | None], None]


def _always_returns(s: A.Stmt) -> bool:
    if isinstance(s, A.Return):
        return True
    if isinstance(s, A.Block):
        return any(_always_returns(x) for x in s.stmts)
    if isinstance(s, A.If):
        return s.other is not None and _always_returns(s.then) and _always_returns(s.other)
    return False


def _stmts_of(s: A.Stmt | None) -> list[A.Stmt]:
    if s is None:
        return []
    return list(s.stmts) if isinstance(s, A.Block) else [s]


def _lift_returns(stmts: list[A.Stmt], loc: Any) -> list[A.Stmt]:
    out: list[A.Stmt] = []
    for i, s in enumerate(stmts):
        if isinstance(s, A.Return):
            if s.value is not None:
                out.append(
                    A.Assign(A.NameExpr("$retval", loc=s.loc), s.value, loc=s.loc, frag=s.frag)
                )
            return out
        if isinstance(s, A.Block) and _contains_return(s):
            return out + _lift_returns(list(s.stmts) + stmts[i + 1 :], loc)
        if isinstance(s, A.If) and _contains_return(s):
            rest = stmts[i + 1 :]
            branches = []
            for b in (s.then, s.other):
                body = _stmts_of(b)
                tail = [] if b is not None and _always_returns(b) else rest
                branches.append(A.Block(tuple(_lift_returns(body + tail, loc)), loc=s.loc))
            out.append(A.If(s.cond, branches[0], branches[1], loc=s.loc, frag=s.frag))
            return out
        out.append(s)
    return out


def _contains_return(s: A.Stmt) -> bool:
    if isinstance(s, A.Return):
        return True
    if isinstance(s, A.Block):
        return any(_contains_return(x) for x in s.stmts)
    if isinstance(s, A.If):
        return _contains_return(s.then) or (s.other is not None and _contains_return(s.other))
    return False


def _extern_name(t: Type) -> str:
    """``register<bit<32>>``: an extern type with its type arguments."""
    if isinstance(t, ExternT) and t.args:
        return f"{t.name}<{', '.join(_extern_name(x) for x in t.args)}>"
    return type_name(t)


class StatementLowering(LoweringState):
    # ================================================================ statements -> primitives
    def _find_function(self, f: A.Expr, scope: Scope) -> tuple[A.FunctionDecl, Scope | None] | None:
        """A function by name: declared in an enclosing control (with that control's
        scope) or at top level."""
        if not isinstance(f, A.NameExpr):
            return None
        local = scope.lookup(f"$fn:{f.name}")
        if local is not None:
            return local.members["$decl"], local.members["$scope"]
        if f.name in self.env.functions:
            return self.env.functions[f.name], None
        return None

    def inline_function(
        self, fd: A.FunctionDecl, c: A.Call, scope: Scope, outer: Scope | None = None
    ) -> Val | None:
        """Inline a user-defined function: in-parameters are copied into locals, out/inout
        parameters alias the arguments; a single ``return e;`` must end the body."""
        if self.cur_prims is None:
            raise UnsupportedError(f"call of function {fd.name} in this position", c.loc)
        if fd.name in self._inlining:
            raise UnsupportedError(f"recursive function {fd.name}", c.loc)
        if len(c.args) != len(fd.params):
            raise CompileError(f"{fd.name} takes {len(fd.params)} arguments", c.loc)
        body = fd.body.stmts
        last = body[-1] if body else None
        simple = not any(_contains_return(s) for s in body[:-1]) and (
            last is None or isinstance(last, A.Return) or not _contains_return(last)
        )
        inner = Scope(outer or self.globals)
        for p, a in zip(fd.params, c.args, strict=True):
            t = self.env.resolve(p.type)
            if isinstance(t, ExternT):
                inner.names[p.name] = self._extern_argument(fd, p, t, a, scope)
                continue
            if p.direction in ("out", "inout"):
                v = self.ex.lower(a, scope, t)
                if v.kind not in ("field", "header", "struct", "stack", "union"):
                    raise CompileError(
                        f"argument for {p.direction} {p.name} is not assignable", a.loc
                    )
                inner.names[p.name] = v
                continue
            v = self.ex.coerce(self.ex.lower(a, scope, t), t, a)
            if v.kind == "const":
                inner.names[p.name] = v
                continue
            local = self.inst.variable(self.inst.local_name(p.name), t)
            self._assign_vals(local, v, a)
            inner.names[p.name] = local
        self._inlining.add(fd.name)
        try:
            if not simple:
                return self._inline_returning_body(fd, inner)
            for s in body[:-1] if isinstance(last, A.Return) else body:
                self._stmt_prim(s, inner)
            if isinstance(last, A.Return) and last.value is not None:
                assert fd.ret is not None
                rt = self.env.resolve(fd.ret)
                rv = self.ex.coerce(self.ex.lower(last.value, inner, rt), rt, last.value)
                if rv.kind == "const":
                    return rv
                result = self.inst.variable(self.inst.fresh("retval"), rt)
                self._assign_vals(result, rv, last)
                return result
        finally:
            self._inlining.discard(fd.name)
        return None

    def _extern_argument(
        self, fd: A.FunctionDecl, p: A.Param, t: ExternT, a: A.Expr, scope: Scope
    ) -> Val:
        """An extern-typed function parameter (SwitchML's ``register<bit<32>> bitmap``):
        p4c inlines the function, so the parameter is the caller's instance itself."""
        if p.direction:
            raise CompileError(
                f"{fd.name}: extern parameter {p.name} cannot have direction {p.direction}",
                p.loc,
            )
        v = self.ex.lower(a, scope)
        vt = v.type
        if v.kind != "extern" or not extern_fits(vt, t):
            raise CompileError(
                f"{fd.name}: argument for parameter {p.name} must be a {_extern_name(t)}, "
                f"not {_extern_name(vt)}",
                a.loc,
            )
        return v

    def _inline_returning_body(self, fd: A.FunctionDecl, inner: Scope) -> Val | None:
        """A body with returns inside branches: every ``return e`` becomes an assignment to
        a result variable and the statements after a branch that may return are moved into
        the branches that do not (so nothing runs after a return)."""
        rt = self.env.resolve(fd.ret) if fd.ret is not None else None
        result = None
        if rt is not None and not isinstance(rt, VoidT):
            result = self.inst.variable(self.inst.fresh("retval"), rt)
            inner.names["$retval"] = result
        for s in _lift_returns(list(fd.body.stmts), fd.body.loc):
            self._stmt_prim(s, inner)
        return result

    def call_expr(self, e: A.Call, scope: Scope, want: Type | None) -> Val:
        """A call used as a value: isValid(), register read, lookahead, functions."""
        fn = self._find_function(e.func, scope)
        if fn is not None:
            v = self.inline_function(fn[0], e, scope, fn[1])
            if v is None:
                raise CompileError(f"function {fn[0].name} returns no value", e.loc)
            return v
        if isinstance(e.func, A.Member):
            obj = self.ex.lower(e.func.expr, scope)
            m = e.func.name
            expected = {"isValid": 0, "lookahead": 0, "read": 1}.get(m)
            if expected is not None and len(e.args) != expected and obj.kind != "struct":
                raise CompileError(f"{m} takes {expected} argument(s) here", e.loc)
            if m == "isValid" and obj.kind == "union" and not obj.members:
                return self.ex.const_val(0, BoolT(), e)
            if m == "isValid" and obj.kind == "header":
                return Val(
                    expr("d2b", None, {"type": "field", "value": [obj.name, "$valid$"]}),
                    BoolT(),
                    "expr",
                )
            if m == "isValid" and obj.kind == "union":
                parts = [
                    expr("d2b", None, {"type": "field", "value": [h.name, "$valid$"]})
                    for h in obj.members.values()
                ]
                j = parts[0]
                for p in parts[1:]:
                    j = expr("or", j, p)
                return Val(j, BoolT(), "expr")
            if m == "lookahead" and obj.kind == "extern":
                if not e.type_args:
                    raise CompileError("lookahead needs a type argument", e.loc)
                t = self.env.resolve(e.type_args[0])
                if isinstance(t, StructLikeT):
                    members = {}
                    off = 0
                    for fname, ft in t.fields:
                        w = width_of(ft)
                        members[fname] = Val({"type": "lookahead", "value": [off, w]}, ft, "field")
                        off += w
                    return Val({"type": "lookahead"}, t, "struct", members=members)
                return Val({"type": "lookahead", "value": [0, width_of(t)]}, t, "field")
            if m == "read" and isinstance(obj.type, ExternT) and obj.type.name == "register":
                decl = self.env.externs.get("register")
                if decl is not None and not any(
                    md.name == "read"
                    and len(md.params) == 1
                    and not (isinstance(md.ret, A.BaseTypeRef) and md.ret.kind == "void")
                    for md in decl.methods
                ):  # v1model's register has only read(out T result, in I index)
                    raise CompileError(
                        f"{e.func.frag}: register.read returns no value; "
                        "use read(out T result, in index)",
                        e.loc,
                    )
                t = obj.type.args[0]
                tmp = self.inst.scalar(self.inst.fresh("tmp"), t)
                idx = self.ex.lower(e.args[0], scope, BitT(32))
                self._emit(
                    {
                        "op": "register_read",
                        "parameters": [
                            tmp.json,
                            {"type": "register_array", "value": obj.name},
                            param_json(idx),
                        ],
                    },
                    e,
                )
                return tmp
            if m == "get" and isinstance(obj.type, ExternT) and obj.type.name == "Checksum16":
                raise UnsupportedError("Checksum16.get", e.loc)
        raise UnsupportedError("this call in an expression", e.loc)

    def materialize_lookahead(self, v: Val, e: A.Node) -> Val:
        """A lookahead used as a value: select keys take it as is; anywhere else it is
        copied into a temporary by a parser ``set`` first (as p4c does)."""
        if self.allow_lookahead:
            return v
        if self.cur_prims is None:
            raise UnsupportedError("lookahead outside a parser state", e.loc)
        tmp = self.inst.scalar(self.inst.fresh("tmp"), v.type)
        self.cur_prims.append({"parameters": [tmp.json, v.json], "op": "set"})
        return tmp

    def _emit(self, prim: Json, node: A.Node) -> None:
        if self.cur_prims is None:
            raise UnsupportedError("a call with side effects in this position", node.loc)
        if self.parser_ops:  # a call's statements in a parser's condition or select key
            if prim["op"] == "assign":
                self.cur_prims.append({"parameters": prim["parameters"], "op": "set"})
            else:
                prim.pop("source_info", None)
                self.cur_prims.append({"parameters": [prim], "op": "primitive"})
            return
        prim.setdefault("source_info", self._source_info(node))
        self.cur_prims.append(prim)

    def stmts_to_prims(
        self, stmts: tuple[A.Stmt, ...], scope: Scope, prims: list[Json], in_action: bool = True
    ) -> None:
        """Primitives for statements: of an action (jumps allowed), or, ``in_action``
        False, of a parser state (its caller turns them into parser ops)."""
        saved = self.cur_prims, self.in_action, self.parser_ops
        self.cur_prims, self.in_action, self.parser_ops = prims, in_action, False
        try:
            for s in stmts:
                self._stmt_prim(s, scope)
        finally:
            self.cur_prims, self.in_action, self.parser_ops = saved

    def _stmt_prim(self, s: A.Stmt, scope: Scope) -> None:
        if s.loc.line:
            CURRENT_LOC.set(s.loc)
        if isinstance(s, A.Assign):
            self.assign(s.lhs, s.rhs, scope, s)
        elif isinstance(s, A.CallStmt):
            self.call_stmt(s.call, scope, s)
        elif isinstance(s, A.Block):
            inner = scope.child()
            for x in s.stmts:
                self._stmt_prim(x, inner)
        elif isinstance(s, A.VarDecl):
            self.declare_var(s, scope)
        elif isinstance(s, A.ConstDecl):
            t = self.env.resolve(s.type)
            scope.names[s.name] = self.ex.coerce(self.ex.lower(s.value, scope, t), t, s)
        elif isinstance(s, A.Exit):
            self._emit({"op": "exit", "parameters": []}, s)
        elif isinstance(s, A.EmptyStmt):
            pass
        elif isinstance(s, A.If):
            self._if_prims(s, scope)
        elif isinstance(s, A.Return):
            raise UnsupportedError("return inside an action", s.loc)
        else:
            raise UnsupportedError(f"{type(s).__name__} statement here", s.loc)

    def _if_prims(self, s: A.If, scope: Scope) -> None:
        """if/else inside an action: bmv2's _jump_if_zero / _jump (absolute indices), as p4c."""
        prims = self.cur_prims
        if prims is None:
            raise UnsupportedError("if statement here", s.loc)
        if not self.in_action:  # bmv2 parser ops have no jumps
            raise UnsupportedError("if statement inside a function called in a parser", s.loc)
        cond = self.ex.lower(s.cond, scope, BoolT())
        if not isinstance(cond.type, BoolT):
            raise CompileError("if condition must be a bool expression", s.cond.loc)
        test = (
            expr("b2d", None, as_bool(cond))
            if cond.kind != "const"
            else hexstr(int(bool(cond.const)), 1)
        )
        jz: Json = {
            "op": "_jump_if_zero",
            "parameters": [
                {"type": "expression", "value": test} if cond.kind != "const" else test,
                None,
            ],
        }
        self._emit(jz, s)
        self._stmt_prim(s.then, scope.child())
        if s.other is not None:
            jmp: Json = {"op": "_jump", "parameters": [None]}
            self._emit(jmp, s)
            jz["parameters"][1] = {"type": "hexstr", "value": hex(len(prims))}
            self._stmt_prim(s.other, scope.child())
            jmp["parameters"][0] = {"type": "hexstr", "value": hex(len(prims))}
        else:
            jz["parameters"][1] = {"type": "hexstr", "value": hex(len(prims))}

    def declare_var(self, s: A.VarDecl, scope: Scope) -> None:
        t = self.env.resolve(s.type)
        v = self.inst.variable(self.inst.local_name(s.name), t)
        scope.names[s.name] = v
        if s.init is not None:
            self.assign(A.NameExpr(s.name, loc=s.loc), s.init, scope, s)

    def assign(self, lhs_e: A.Expr, rhs_e: A.Expr, scope: Scope, s: A.Node) -> None:
        if isinstance(lhs_e, A.Slice):
            base = self.ex.lower(lhs_e.expr, scope)
            hi = self.env.const_value(lhs_e.hi)
            lo = self.env.const_value(lhs_e.lo)
            if (
                not isinstance(base.type, BitT)
                or not isinstance(hi, int)
                or not isinstance(lo, int)
            ):
                raise CompileError("bad slice assignment", s.loc)
            w = base.type.width
            rhs = self.ex.coerce(
                self.ex.lower(rhs_e, scope, BitT(hi - lo + 1)), BitT(hi - lo + 1), s
            )
            m = ((1 << (hi - lo + 1)) - 1) << lo
            keep = expr("&", base.json, hexstr(((1 << w) - 1) ^ m, w))
            new = expr(
                "&", expr("<<", self.ex.cast(rhs, BitT(w), s).json, hexstr(lo, None)), hexstr(m, w)
            )
            self._emit(
                {
                    "op": "assign",
                    "parameters": [
                        base.json,
                        {"type": "expression", "value": expr("|", keep, new)},
                    ],
                },
                s,
            )
            return
        lhs = self.ex.lower(lhs_e, scope)
        if isinstance(rhs_e, A.InvalidHeader):
            if lhs.kind not in ("header", "union"):
                raise CompileError("{#} can only be assigned to a header or header union", s.loc)
            for h in lhs.members.values() if lhs.kind == "union" else (lhs,):
                self._emit({"op": "remove_header", "parameters": [h.json]}, s)
            return
        if lhs.kind == "field":
            rhs = self.ex.coerce(self.ex.lower(rhs_e, scope, lhs.type), lhs.type, s)
            if isinstance(lhs.type, VarbitT):
                self._emit({"op": "assign_VL", "parameters": [lhs.json, rhs.json]}, s)
                return
            self._emit({"op": "assign", "parameters": [param_json(lhs), param_json(rhs)]}, s)
        elif lhs.kind == "header":
            rhs = self.ex.lower(rhs_e, scope, lhs.type)
            if rhs.kind == "list":
                self._emit({"op": "add_header", "parameters": [lhs.json]}, s)
                assert isinstance(lhs.type, StructLikeT)
                for (f, ft), i in zip(lhs.type.fields, range(len(rhs.members)), strict=False):
                    fv = Val({"type": "field", "value": [lhs.name, f]}, ft, "field")
                    item = self.ex.coerce(rhs.members[str(i)], ft, s)
                    self._emit({"op": "assign", "parameters": [fv.json, param_json(item)]}, s)
                return
            if rhs.kind != "header" or rhs.type != lhs.type:
                raise CompileError("type mismatch in header assignment", s.loc)
            self._emit({"op": "assign_header", "parameters": [lhs.json, rhs.json]}, s)
        elif lhs.kind == "struct":
            rhs = self.ex.lower(rhs_e, scope, lhs.type)
            if rhs.kind == "list":
                for m, i in zip(lhs.members.values(), range(len(rhs.members)), strict=False):
                    self._assign_vals(m, rhs.members[str(i)], s)
                return
            if rhs.kind != "struct" or rhs.type != lhs.type:
                raise CompileError("type mismatch in struct assignment", s.loc)
            for mname, m in lhs.members.items():
                self._assign_vals(m, rhs.members[mname], s)
        elif lhs.kind == "runtime":
            raise CompileError("cannot assign to an action parameter", s.loc)
        else:
            raise CompileError("left side of assignment is not assignable", s.loc)

    def _assign_vals(self, lhs: Val, rhs: Val, s: A.Node) -> None:
        if lhs.kind == "field":
            rhs = self.ex.coerce(rhs, lhs.type, s)
            self._emit({"op": "assign", "parameters": [lhs.json, param_json(rhs)]}, s)
        elif lhs.kind == "header":
            self._emit({"op": "assign_header", "parameters": [lhs.json, rhs.json]}, s)
        elif lhs.kind == "struct":
            for name, m in lhs.members.items():
                self._assign_vals(m, rhs.members[name], s)
        else:
            raise UnsupportedError("assignment of this type", s.loc)

    def annotated_field_list(self, index: int) -> int:
        """The field list of metadata fields annotated @field_list(index)."""
        if not any(f["id"] == index for f in self.objs.field_lists):
            self.objs.field_lists.append(
                {
                    "id": index,
                    "name": f"field_list{index}",
                    "elements": self.annotated_lists.get(index, []),
                }
            )
        return index

    def field_list(self, v: Val, e: A.Node) -> int:
        from .externs import flatten_fields

        used = [f["id"] for f in self.objs.field_lists] + list(self.annotated_lists)
        fid = max(used, default=0) + 1
        self.objs.field_lists.append(
            {"id": fid, "name": f"fl_{fid}", "elements": [f.json for f in flatten_fields(v, e)]}
        )
        return fid

    def call_stmt(self, c: A.Call, scope: Scope, s: A.Node) -> None:
        f = c.func
        if isinstance(f, A.NameExpr):
            if f.name in self.env.extern_funcs:
                arities = self.env.extern_func_arities[f.name]
                if len(c.args) not in arities:
                    allowed = " or ".join(str(x) for x in sorted(arities))
                    raise CompileError(
                        f"{f.name} takes {allowed} arguments, not {len(c.args)}", c.loc
                    )
                args = [self.ex.lower(a, scope) for a in c.args]
                fd = next(
                    d
                    for d in self.env.extern_func_overloads[f.name]
                    if len(d.method.params) == len(c.args)
                )
                check_call(self.env, fd.method, args, c, f.name)
                deprecated(fd, c, f.name)
                if f.name in (
                    "verify_checksum",
                    "update_checksum",
                    "verify_checksum_with_payload",
                    "update_checksum_with_payload",
                ):
                    raise UnsupportedError(f"{f.name} outside the checksum controls", c.loc)
                if f.name == "verify":
                    raise UnsupportedError("verify outside a parser", c.loc)
                prim = extern_function(self, f.name, args, c)
                if prim is not None:
                    self._emit(prim, s)
                return
            act = self._find_action(f.name, scope)
            if act is not None:
                self._inline_action(act[0], c, scope, s)
                return
            fn = self._find_function(f, scope)
            if fn is not None:
                self.inline_function(fn[0], c, scope, fn[1])
                return
            raise CompileError(f"{f.name}: declaration not found", f.loc)
        if isinstance(f, A.Member):
            obj = self.ex.lower(f.expr, scope)
            m = f.name
            if obj.kind in ("header", "union") and m in ("setValid", "setInvalid") and c.args:
                raise CompileError(f"{m} takes no arguments", c.loc)
            if obj.kind == "header" and m in ("setValid", "setInvalid"):
                op = "add_header" if m == "setValid" else "remove_header"
                self._emit({"op": op, "parameters": [obj.json]}, s)
                return
            if obj.kind == "union" and m == "setInvalid":
                for h in obj.members.values():
                    self._emit({"op": "remove_header", "parameters": [h.json]}, s)
                return
            if obj.kind == "stack" and m in ("push_front", "pop_front"):
                if len(c.args) != 1:
                    raise CompileError(f"{m} takes 1 argument", c.loc)
                n = self.ex.lower(c.args[0], scope)
                if n.kind != "const":
                    raise CompileError(f"{m} needs a constant count", c.args[0].loc)
                self._emit(
                    {
                        "op": "push" if m == "push_front" else "pop",
                        "parameters": [obj.json, hexstr(n.const or 0, None)],
                    },
                    s,
                )
                return
            if obj.kind == "extern" and isinstance(obj.type, ExternT):
                decl = self.env.externs.get(obj.type.name)
                if decl is not None:
                    arities = {len(md.params) for md in decl.methods if md.name == m}
                    if not arities:
                        raise CompileError(f"{obj.type.name} has no method {m}", f.loc)
                    if len(c.args) not in arities:
                        raise CompileError(
                            f"{obj.type.name}.{m} takes {' or '.join(map(str, sorted(arities)))} "
                            f"arguments, not {len(c.args)}",
                            c.loc,
                        )
                args = [self.ex.lower(a, scope) for a in c.args]
                if decl is not None:
                    md = next(
                        md for md in decl.methods if md.name == m and len(md.params) == len(args)
                    )
                    bound = dict(zip(decl.type_params, obj.type.args, strict=False))
                    check_call(self.env, md, args, c, f"{f.frag}", bound, decl.type_params)
                prim = method_call(self.objs, obj, m, args, c, scope)
                if prim is not None:
                    self._emit(prim, s)
                return
            if obj.kind == "table":
                raise UnsupportedError("table apply inside an action", c.loc)
        raise UnsupportedError("this call statement", c.loc)

    def _find_action(self, name: str, scope: Scope) -> tuple[A.ActionDecl, str] | None:
        v = scope.lookup("$actions")
        if v is not None and name in v.members:
            return v.members[name].members["$decl"], v.members[name].name
        if name in self.env.actions:
            return self.env.actions[name], name
        return None

    def _inline_action(self, act: A.ActionDecl, c: A.Call, scope: Scope, s: A.Node) -> None:
        inner = scope.child()
        if len(c.args) != len(act.params):
            raise CompileError(f"{act.name} takes {len(act.params)} arguments", c.loc)
        for p, a in zip(act.params, c.args, strict=True):
            t = self.env.resolve(p.type)
            inner.names[p.name] = self.ex.coerce(self.ex.lower(a, scope, t), t, a)
        for x in act.body.stmts:
            self._stmt_prim(x, inner)

    # ================================================================ actions
    def action(
        self,
        act: A.ActionDecl,
        fq: str,
        scope: Scope,
        bound: tuple[A.Expr, ...] = (),
        call_scope: Scope | None = None,
    ) -> int:
        """The bmv2 action for ``act``; ``bound`` binds its leading parameters (as in a
        table's ``actions = { a(hdr.f); }``): such a binding gets its own copy, as p4c does."""
        key = fq + self._reapply
        if bound:
            vals = [self.ex.lower(a, call_scope or scope) for a in bound]
            key = fq + "(" + repr([v.json for v in vals]) + ")"
        if key in self._action_keys:
            return self._action_keys[key]
        inner = scope.child()
        runtime = []
        params = []
        if len(bound) > len(act.params):
            raise CompileError(f"too many arguments for action {act.name}", act.loc)
        for i, p in enumerate(act.params):
            CURRENT_LOC.set(p.loc)
            t = self.env.resolve(p.type)
            if i < len(bound):
                inner.names[p.name] = self.ex.coerce(vals[i], t, bound[i])
                continue
            if p.direction:
                raise UnsupportedError(
                    f"action parameter with direction {p.direction} left unbound", p.loc
                )
            w = width_of(t)
            runtime.append({"name": p.name, "bitwidth": w})
            params.append((p.name, w, p))
            inner.names[p.name] = Val(
                {"type": "runtime_data", "value": len(runtime) - 1}, t, "runtime"
            )
        prims: list[Json] = []
        self.stmts_to_prims(act.body.stmts, inner, prims)
        aid = len(self.actions)
        self.actions.append({"name": fq, "id": aid, "runtime_data": runtime, "primitives": prims})
        self.action_ids.setdefault(fq, aid)
        self._action_keys[key] = aid
        self.action_info.setdefault(fq, {"params": params, "decl": act, "synth": False})
        return aid

    def _synth_name(self, line: int) -> str:
        base = f"{self.prog_tag}l{line}"
        n = self._synth.get(base, 0)
        self._synth[base] = n + 1
        return base if n == 0 else f"{base}_{n - 1}"

    def synth_action(self, stmts: tuple[A.Stmt, ...], scope: Scope) -> str:
        def fill() -> None:
            for s in stmts:
                self._stmt_prim(s, scope)

        return self.synth_from(stmts[0], fill)

    def synth_from(self, node: A.Node, fill: Callable[[], None]) -> str:
        """A synthesized action named for ``node``'s line whose primitives ``fill`` emits."""
        name = self._synth_name(node.loc.line)
        prims: list[Json] = []
        saved = self.cur_prims, self.in_action, self.parser_ops
        self.cur_prims, self.in_action, self.parser_ops = prims, True, False
        try:
            fill()
        finally:
            self.cur_prims, self.in_action, self.parser_ops = saved
        aid = len(self.actions)
        self.actions.append({"name": name, "id": aid, "runtime_data": [], "primitives": prims})
        self.action_ids[name] = aid
        self.action_info[name] = {"params": [], "decl": None, "synth": True}
        return name
