"""Lowering of a checked v1model program to bmv2 JSON: blocks, actions, tables, control flow."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import ast as A
from .errors import CompileError, UnsupportedError
from .exprs import ExprLowering, Scope, Val, as_bool, as_data, expr, hex_value, hexstr, param_json
from .externs import ExternObjects, extern_function, instantiate, method_call
from .instances import Instances
from .typesys import BitT, BoolT, Env, ExternT, StackT, StructLikeT, Type, VarbitT, width_of

Json = dict[str, Any]
Setter = Callable[[str | None], None]


def _contains_return(s: A.Stmt) -> bool:
    if isinstance(s, A.Return):
        return True
    if isinstance(s, A.Block):
        return any(_contains_return(x) for x in s.stmts)
    if isinstance(s, A.If):
        return _contains_return(s.then) or (s.other is not None and _contains_return(s.other))
    return False


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


class Lowering:
    def __init__(self, env: Env, filename: str) -> None:
        self.env = env
        self.filename = filename
        self.inst = Instances()
        self.objs = ExternObjects()
        self.ex = ExprLowering(env, self)
        self.actions: list[Json] = []
        self.action_ids: dict[str, int] = {}
        self._action_keys: dict[str, int] = {}
        self.action_info: dict[str, dict[str, Any]] = {}
        self.tables_info: list[dict[str, Any]] = []
        self.pipelines: list[Json] = []
        self.parsers: list[Json] = []
        self.deparsers: list[Json] = []
        self.checksums: list[Json] = []
        self.parse_vsets: list[Json] = []
        self.vset_info: list[dict[str, Any]] = []
        self.controller_headers: list[StructLikeT] = []
        self.node_count = 0
        self.table_count = 0
        self.cur_prims: list[Json] | None = None
        self.annotated_lists: dict[int, list[Json]] = {}
        self._inlining: set[str] = set()
        self.allow_lookahead = False
        self._leaves = 0
        self._synth: dict[str, int] = {}
        self.prog_tag = re.sub(r"[^A-Za-z0-9_]", "", Path(filename).stem)

    # ================================================================ program
    def run(self) -> Json:
        env = self.env
        if env.main is None:
            raise CompileError("no package instantiation named main", None)
        main = env.main
        if not isinstance(main.type, A.NamedTypeRef) or main.type.name != "V1Switch":
            raise UnsupportedError("architecture other than v1model V1Switch", main.loc)
        if len(main.args) != 6:
            raise CompileError("V1Switch takes 6 arguments", main.loc)
        blocks: list[A.ParserDecl | A.ControlDecl] = []
        for a in main.args:
            if not isinstance(a, A.CtorCall) or not isinstance(a.type, A.NamedTypeRef):
                raise UnsupportedError(
                    "V1Switch argument that is not a parser/control instance", a.loc
                )
            d = env.parsers.get(a.type.name) or env.controls.get(a.type.name)
            if d is None:
                raise CompileError(f"{a.type.name}: declaration not found", a.loc)
            blocks.append(d)
        parser, vck, ig, eg, ck, dep = blocks
        if not isinstance(parser, A.ParserDecl):
            raise CompileError("first V1Switch argument must be a parser", main.args[0].loc)
        hdr_t = env.resolve(parser.params[1].type)
        meta_t = env.resolve(parser.params[2].type)
        sm_t = env.types["standard_metadata_t"]
        assert isinstance(sm_t, StructLikeT)
        sm = self.inst.header(
            "standard_metadata", StructLikeT("standard_metadata", "header", sm_t.fields), True
        )
        sm = Val(sm.json, sm_t, "header", name="standard_metadata")
        hdrs = self._struct_instances(hdr_t, "", parser.params[1])
        meta = self._metadata(meta_t, parser.params[2])
        self.parsers.append(self._parser(parser, [None, hdrs, meta, sm]))
        for d in (ig, eg):
            if not isinstance(d, A.ControlDecl):
                raise CompileError("ingress/egress must be controls", d.loc)
        self.pipelines.append(self._pipeline("ingress", ig, [hdrs, meta, sm]))  # type: ignore[arg-type]
        self.pipelines.append(self._pipeline("egress", eg, [hdrs, meta, sm]))  # type: ignore[arg-type]
        for d, verify in ((vck, True), (ck, False)):
            assert isinstance(d, A.ControlDecl)
            self._checksum_control(d, [hdrs, meta], verify)
        assert isinstance(dep, A.ControlDecl)
        self.deparsers.append(self._deparser(dep, [None, hdrs]))
        self.inst.finish()
        return self._json()

    def _struct_instances(self, t: Type, prefix: str, where: A.Node) -> Val:
        if not isinstance(t, StructLikeT) or t.kind != "struct":
            raise CompileError("the parsed headers type must be a struct", where.loc)
        members: dict[str, Val] = {}
        for fname, ft in t.fields:
            name = f"{prefix}{fname}"
            if isinstance(ft, StructLikeT) and ft.kind == "header":
                members[fname] = self.inst.header(name, ft)
                if any(a.name == "controller_header" for a in ft.annotations):
                    self.controller_headers.append(ft)
            elif isinstance(ft, StackT):
                members[fname] = self.inst.stack(name, ft)
            elif isinstance(ft, StructLikeT) and ft.kind == "header_union":
                members[fname] = self.inst.union(name, ft)
            elif isinstance(ft, StructLikeT):
                members[fname] = self._struct_instances(ft, f"{name}.", where)
            else:
                raise CompileError(
                    f"field {fname} of the headers struct is not a header", where.loc
                )
        return Val({"type": "struct", "value": prefix}, t, "struct", members=members)

    def _metadata(self, t: Type, where: A.Node) -> Val:
        if not isinstance(t, StructLikeT) or t.kind != "struct":
            raise CompileError("the metadata type must be a struct", where.loc)
        members: dict[str, Val] = {}
        decl = self.env.decls.get(t.name)
        annos = {f.name: f.annotations for f in getattr(decl, "fields", ())}
        for fname, ft in t.fields:
            self._metadata_field(t, fname, ft, members)
            for a in annos.get(fname, ()):
                if a.name == "field_list":
                    from .externs import flatten_fields

                    for arg in a.args:
                        idx = self.env.const_value(arg)
                        if isinstance(idx, int):
                            self.annotated_lists.setdefault(idx, []).extend(
                                f.json for f in flatten_fields(members[fname], a)
                            )
        return Val({"type": "struct", "value": t.name}, t, "struct", members=members)

    def _metadata_field(
        self, t: StructLikeT, fname: str, ft: Type, members: dict[str, Val]
    ) -> None:
        """User metadata goes to scalars as ``<Type>.<field>``; when the struct nests
        structs, p4c flattens every field to ``<Type>._<path>_<field><n>`` (n counts the
        leaves), and so do we."""
        nested = any(isinstance(x, StructLikeT) and x.kind == "struct" for _, x in t.fields)
        if isinstance(ft, StructLikeT) and ft.kind == "header":
            members[fname] = self.inst.header(fname, ft)
        elif isinstance(ft, StructLikeT) and ft.kind == "struct":
            members[fname] = self._flat_struct(t.name, [fname], ft)
        elif nested:
            members[fname] = self.inst.variable(f"{t.name}._{fname}{self._leaf()}", ft)
        else:
            members[fname] = self.inst.variable(f"{t.name}.{fname}", ft)

    def _leaf(self) -> int:
        self._leaves += 1
        return self._leaves - 1

    def _flat_struct(self, tname: str, path: list[str], st: StructLikeT) -> Val:
        inner: dict[str, Val] = {}
        for f2, t2 in st.fields:
            if isinstance(t2, StructLikeT) and t2.kind == "struct":
                inner[f2] = self._flat_struct(tname, [*path, f2], t2)
            elif isinstance(t2, StructLikeT) and t2.kind == "header":
                inner[f2] = self.inst.header(f"{'.'.join(path)}.{f2}", t2)
            else:
                name = f"{tname}._{'_'.join(path)}_{f2}{self._leaf()}"
                inner[f2] = self.inst.variable(name, t2)
        return Val({"type": "struct"}, st, "struct", members=inner)

    def _bind_params(self, d: A.ParserDecl | A.ControlDecl, vals: list[Val | None]) -> Scope:
        scope = Scope()
        for p, v in zip(d.params, vals, strict=False):
            if v is None:
                t = self.env.resolve(p.type)
                scope.names[p.name] = Val({"type": "extern"}, t, "extern", name=p.name)
            else:
                scope.names[p.name] = v
        return scope

    # ================================================================ statements -> primitives
    def inline_function(self, fd: A.FunctionDecl, c: A.Call, scope: Scope) -> Val | None:
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
        for s in body[:-1]:
            if _contains_return(s):
                raise UnsupportedError(f"return before the end of function {fd.name}", s.loc)
        if last is not None and not isinstance(last, A.Return) and _contains_return(last):
            raise UnsupportedError(f"return inside a branch of function {fd.name}", last.loc)
        inner = Scope()
        for p, a in zip(fd.params, c.args, strict=True):
            t = self.env.resolve(p.type)
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

    def call_expr(self, e: A.Call, scope: Scope, want: Type | None) -> Val:
        """A call used as a value: isValid(), register read, lookahead, functions."""
        if isinstance(e.func, A.NameExpr) and e.func.name in self.env.functions:
            v = self.inline_function(self.env.functions[e.func.name], e, scope)
            if v is None:
                raise CompileError(f"function {e.func.name} returns no value", e.loc)
            return v
        if isinstance(e.func, A.Member):
            obj = self.ex.lower(e.func.expr, scope)
            m = e.func.name
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
        prim.setdefault("source_info", self._source_info(node))
        self.cur_prims.append(prim)

    def _source_info(self, node: A.Node) -> Json:
        return {
            "filename": node.loc.file,
            "line": node.loc.line,
            "column": max(node.loc.col - 1, 0),
            "source_fragment": node.frag.rstrip(";").rstrip(),
        }

    def stmts_to_prims(self, stmts: tuple[A.Stmt, ...], scope: Scope, prims: list[Json]) -> None:
        saved = self.cur_prims
        self.cur_prims = prims
        try:
            for s in stmts:
                self._stmt_prim(s, scope)
        finally:
            self.cur_prims = saved

    def _stmt_prim(self, s: A.Stmt, scope: Scope) -> None:
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
            if f.name in self.env.functions:
                self.inline_function(self.env.functions[f.name], c, scope)
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
        key = fq
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
        name = self._synth_name(stmts[0].loc.line)
        prims: list[Json] = []
        self.stmts_to_prims(stmts, scope, prims)
        aid = len(self.actions)
        self.actions.append({"name": name, "id": aid, "runtime_data": [], "primitives": prims})
        self.action_ids[name] = aid
        self.action_info[name] = {"params": [], "decl": None, "synth": True}
        return name

    # ================================================================ pipelines
    def _pipeline(self, pname: str, d: A.ControlDecl, vals: list[Val]) -> Json:
        scope = self._bind_params(d, vals)  # type: ignore[arg-type]
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
        entry, pending = self._seq(d.body.stmts, scope, pl, d.name)
        pl["init_table"] = entry
        for f in pending:
            f(None)
        return pl

    def _control_locals(self, d: A.ControlDecl, scope: Scope, prefix: str) -> None:
        actions: dict[str, Val] = {}
        scope.names["$actions"] = Val({"type": "actions"}, BoolT(), "extern", members=actions)
        for loc in d.locals:
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
                if loc.args or sub.ctor_params:
                    raise UnsupportedError(
                        "control instantiation with constructor arguments", loc.loc
                    )
                scope.names[loc.name] = Val(
                    {"type": "control"}, BoolT(), "extern", name=fq, members={"$control": sub}
                )
            elif isinstance(loc, A.Instantiation):
                t = self.env.resolve(loc.type)
                if not isinstance(t, ExternT) or t.name not in _EXTERNS:
                    raise UnsupportedError(f"instantiation of {getattr(t, 'name', t)}", loc.loc)
                args = [self.ex.lower(a, scope) for a in loc.args]
                scope.names[loc.name] = instantiate(self.objs, loc, fq, t, args)
            elif isinstance(loc, A.VarDecl):
                if loc.init is not None:
                    raise UnsupportedError("control-level variable with an initializer", loc.loc)
                t = self.env.resolve(loc.type)
                scope.names[loc.name] = self.inst.variable(self.inst.local_name(loc.name), t)
            elif isinstance(loc, A.ConstDecl):
                t = self.env.resolve(loc.type)
                scope.names[loc.name] = self.ex.coerce(self.ex.lower(loc.value, scope, t), t, loc)
            elif isinstance(loc, A.FunctionDecl):
                raise UnsupportedError(f"function {loc.name} declared inside a control", loc.loc)
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
        while i < len(stmts):
            s = stmts[i]
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
        return entry, pending

    def _keyless_table(
        self, tname: str, action: str, data: list[str], s: A.Node, pl: Json
    ) -> tuple[str, list[Setter]]:
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
            "action_ids": [self.action_ids[action]],
            "actions": [action],
            "base_default_next": None,
            "next_tables": {action: None},
            "default_entry": {
                "action_id": self.action_ids[action],
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
            del aid
            return self._keyless_table(f"tbl_{fq.split('.')[-1]}", fq, data, s, pl)
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
        """Inline a sub-control's apply: its objects are named <caller>.<instance>.<name>."""
        sub: A.ControlDecl = cv.members["$control"]
        if cv.members.get("$applied"):
            raise UnsupportedError(f"control instance {cv.name} applied more than once", c.loc)
        cv.members["$applied"] = True
        if len(c.args) != len(sub.params):
            raise CompileError(f"{sub.name}.apply takes {len(sub.params)} arguments", c.loc)
        inner = Scope()
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
        self._control_locals(sub, inner, cv.name)
        return self._seq(sub.body.stmts, inner, pl, cv.name)

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
            ee, ep = self._branch(s.other, scope, pl, ctl)
            hit, miss = (te, ee) if hit_first else (ee, te)
            hp, mp = (tp, ep) if hit_first else (ep, tp)
            t["next_tables"] = {"__HIT__": hit, "__MISS__": miss}
            pending: list[Setter] = [_setter(t, "base_default_next")]
            pending += hp + mp
            if hit is None:
                pending.append(_setter(t["next_tables"], "__HIT__"))
            if miss is None:
                pending.append(_setter(t["next_tables"], "__MISS__"))
            return t.pop("$entry"), pending
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
                pending.append(_setter(c, key))
            else:
                c[key] = e
                pending += p
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
            raise UnsupportedError("switch on something other than table.apply().action_run", s.loc)
        tv = self.ex.lower(e.expr.func.expr, scope)
        t = self._table(tv, scope, pl)
        short = {a.split(".")[-1]: a for a in t["actions"]}
        pending: list[Setter] = [_setter(t, "base_default_next")]
        covered: dict[str, str | None] = {}
        waiting: list[str | None] = []
        default_entry: tuple[str | None, bool] | None = None
        for case in s.cases:
            label = case.label
            if label is not None and label not in short:
                raise CompileError(f"{label}: not an action of table {t['name']}", case.loc)
            waiting.append(label)
            if case.body is None:
                continue
            be, bp = self._seq(case.body.stmts, scope.child(), pl, ctl)
            pending += bp
            for lab in waiting:
                if lab is None:
                    default_entry = (be, True)
                else:
                    covered[short[lab]] = be
            waiting = []
        for a in t["actions"]:
            if a in covered:
                t["next_tables"][a] = covered[a]
                if covered[a] is None:
                    pending.append(_setter(t["next_tables"], a))
            elif default_entry is not None and default_entry[0] is not None:
                t["next_tables"][a] = default_entry[0]
            else:
                pending.append(_setter(t["next_tables"], a))
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

    # ================================================================ parser / deparser / checksums
    def _parser(self, d: A.ParserDecl, vals: list[Val | None]) -> Json:
        from .parsers import lower_parser

        return lower_parser(self, d, self._bind_params(d, vals))

    def _deparser(self, d: A.ControlDecl, vals: list[Val | None]) -> Json:
        from .parsers import lower_deparser

        return lower_deparser(self, d, self._bind_params(d, vals))

    def _checksum_control(self, d: A.ControlDecl, vals: list[Val], verify: bool) -> None:
        from .parsers import lower_checksums

        lower_checksums(self, d, self._bind_params(d, vals), verify)  # type: ignore[arg-type]

    # ================================================================ output
    def _json(self) -> Json:
        errors = [[n, i] for i, n in enumerate(self.env.errors)]
        enums: list[Json] = []
        for t in self.env.types.values():
            from .typesys import EnumT

            if (
                isinstance(t, EnumT)
                and t.underlying is not None
                and t.name not in {e["name"] for e in enums}
            ):
                enums.append({"name": t.name, "entries": [[m, t.value_of(m)] for m in t.members]})
        return {
            "header_types": self.inst.header_types,
            "headers": self.inst.headers,
            "header_stacks": self.inst.header_stacks,
            "header_union_types": self.inst.header_union_types,
            "header_unions": self.inst.header_unions,
            "header_union_stacks": [],
            "field_lists": self.objs.field_lists,
            "errors": errors,
            "enums": enums,
            "parsers": self.parsers,
            "parse_vsets": self.parse_vsets,
            "deparsers": self.deparsers,
            "meter_arrays": self.objs.meter_arrays,
            "counter_arrays": self.objs.counter_arrays,
            "register_arrays": self.objs.register_arrays,
            "calculations": self.objs.calculations,
            "learn_lists": self.objs.learn_lists,
            "actions": self.actions,
            "pipelines": self.pipelines,
            "checksums": self.checksums,
            "force_arith": [],
            "extern_instances": [],
            "field_aliases": [[f"{a}", ["standard_metadata", f]] for a, f in _ALIASES],
            "program": self.filename,
            "__meta__": {"version": [2, 23], "compiler": "https://github.com/p4lang/p4c"},
        }


_EXTERNS = {
    "counter",
    "direct_counter",
    "meter",
    "direct_meter",
    "register",
    "action_profile",
    "action_selector",
}
_ALIASES = [
    ("queueing_metadata.enq_timestamp", "enq_timestamp"),
    ("queueing_metadata.enq_qdepth", "enq_qdepth"),
    ("queueing_metadata.deq_timedelta", "deq_timedelta"),
    ("queueing_metadata.deq_qdepth", "deq_qdepth"),
    ("intrinsic_metadata.ingress_global_timestamp", "ingress_global_timestamp"),
    ("intrinsic_metadata.egress_global_timestamp", "egress_global_timestamp"),
    ("intrinsic_metadata.mcast_grp", "mcast_grp"),
    ("intrinsic_metadata.egress_rid", "egress_rid"),
    ("intrinsic_metadata.priority", "priority"),
]
_ = (as_data, hex_value)
