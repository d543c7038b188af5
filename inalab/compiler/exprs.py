"""Lowering of P4 expressions to bmv2 JSON expressions (as p4c's backends/bmv2 encodes them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import ast as A
from .errors import CompileError, UnsupportedError
from .typesys import (
    CURRENT_LOC,
    BitT,
    BoolT,
    EnumT,
    Env,
    ErrorT,
    ExternT,
    IntT,
    StackT,
    StringT,
    StructLikeT,
    Type,
    VarbitT,
    type_name,
    width_of,
)

Json = dict[str, Any]


def hexstr(value: int, width: int | None) -> Json:
    return {"type": "hexstr", "value": hex_value(value, width)}


def hex_value(value: int, width: int | None) -> str:
    if width is None:
        return hex(value) if value >= 0 else "-" + hex(-value)
    value &= (1 << width) - 1 if width else 0
    digits = max((width + 7) // 8 * 2, 2)
    return "0x" + format(value, f"0{digits}x")


def mask(width: int) -> Json:
    return hexstr((1 << width) - 1, width)


def expr(op: str, left: Json | None, right: Json | int | None, **extra: Json) -> Json:
    return {"type": "expression", "value": {"op": op, "left": left, "right": right, **extra}}


@dataclass(frozen=True)
class Val:
    """A lowered value: its bmv2 JSON, its P4 type and what it denotes."""

    json: Json
    type: Type
    kind: str  # field, header, stack, union, struct, const, expr, extern, table, runtime, string
    const: int | None = None
    name: str = ""  # header/stack/union instance name, extern/table name
    members: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"bad value kind {self.kind}")


_KINDS = {
    "header_expr",
    "field",
    "header",
    "stack",
    "union",
    "struct",
    "const",
    "expr",
    "extern",
    "table",
    "runtime",
    "string",
    "list",
    "error",
    "stack_next",
}


class Scope:
    """Names visible in a parser/control/action: values by name, innermost last."""

    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.names: dict[str, Val] = {}

    def lookup(self, name: str) -> Val | None:
        s: Scope | None = self
        while s is not None:
            if name in s.names:
                return s.names[name]
            s = s.parent
        return None

    def child(self) -> Scope:
        return Scope(self)


def as_bool(v: Val) -> Json:
    """A JSON boolean expression for a bool-typed value (fields holding bools get d2b)."""
    if v.kind == "const":
        return {"type": "bool", "value": bool(v.const)}
    if v.kind in ("field", "runtime"):
        return expr("d2b", None, v.json)
    return v.json


def as_data(v: Val) -> Json:
    """A JSON data expression; bool expressions are converted with b2d."""
    if isinstance(v.type, BoolT) and v.kind == "expr":
        return expr("b2d", None, v.json)
    if isinstance(v.type, BoolT) and v.kind == "const":
        return hexstr(int(bool(v.const)), 1)
    return v.json


def param_json(v: Val) -> Json:
    """A primitive parameter: expressions are wrapped once more, as p4c does."""
    j = as_data(v)
    if j.get("type") == "expression":
        return {"type": "expression", "value": j}
    return j


class ExprLowering:
    """Lowers expressions in a scope; ``state`` allocates temporaries and calculations."""

    def __init__(self, env: Env, state: Any) -> None:
        self.env = env
        self.state = state

    # ------------------------------------------------------------ entry points
    def lower(self, e: A.Expr, scope: Scope, want: Type | None = None) -> Val:
        if e.loc.line:
            CURRENT_LOC.set(e.loc)
        v = self._lower(e, scope, want)
        if v.json.get("type") == "lookahead" and "value" in v.json:
            v = self.state.materialize_lookahead(v, e)
        if want is not None and isinstance(v.type, IntT) and v.kind == "const":
            return self.const_val(v.const or 0, want, e)
        return v

    def const_val(self, value: int, t: Type, e: A.Node) -> Val:
        if isinstance(t, BitT):
            return Val(hexstr(value, t.width), t, "const", value & ((1 << t.width) - 1))
        if isinstance(t, BoolT):
            return Val({"type": "bool", "value": bool(value)}, t, "const", int(bool(value)))
        if isinstance(t, EnumT) and t.underlying is not None:
            return Val(hexstr(value, t.underlying.width), t, "const", value)
        if isinstance(t, IntT):
            return Val(hexstr(value, None), t, "const", value)
        raise CompileError(f"cannot use an integer as {type_name(t)}", e.loc)

    # ------------------------------------------------------------ dispatcher
    def _lower(self, e: A.Expr, scope: Scope, want: Type | None) -> Val:
        if isinstance(e, A.IntLit):
            if e.width is None:
                return Val(hexstr(e.value, None), IntT(), "const", e.value)
            t = BitT(e.width, e.signed)
            return self.const_val(e.value, t, e)
        if isinstance(e, A.BoolLit):
            return Val({"type": "bool", "value": e.value}, BoolT(), "const", int(e.value))
        if isinstance(e, A.StrLit):
            return Val({"type": "string", "value": e.value}, StringT(), "string", name=e.value)
        if isinstance(e, A.NameExpr):
            v = scope.lookup(e.name)
            if v is not None:
                return v
            if e.name in self.env.consts:
                cvalue, ctype = self.env.consts[e.name]
                return self.const_val(int(cvalue), ctype, e)
            raise CompileError(f"{e.name}: declaration not found", e.loc)
        if isinstance(e, A.TypeMember):
            return self._type_member(e)
        if isinstance(e, A.Member):
            return self._member(e, scope)
        if isinstance(e, A.Index):
            return self._index(e, scope)
        if isinstance(e, A.Slice):
            return self._slice(e, scope)
        if isinstance(e, A.Unary):
            return self._unary(e, scope, want)
        if isinstance(e, A.Binary):
            return self._binary(e, scope, want)
        if isinstance(e, A.Ternary):
            if self.state.ordered_in_action(e.then) or self.state.ordered_in_action(e.other):
                return self.state.ordered_mux(e, scope, want)
            c = self.lower(e.cond, scope, BoolT())
            a = self.lower(e.then, scope, want)
            b = self.lower(e.other, scope, want if want is not None else a.type)
            a, b = self._unify(a, b, e)
            return Val(expr("?", as_data(a), as_data(b), cond=as_bool(c)), a.type, "expr")
        if isinstance(e, A.Cast):
            return self.cast(self.lower(e.expr, scope), self.env.resolve(e.type), e)
        if isinstance(e, A.ListExpr):
            items = {str(i): self.lower(x, scope) for i, x in enumerate(e.items)}
            return Val({"type": "list"}, StringT(), "list", members=items)
        if isinstance(e, A.Call):
            return self.state.call_expr(e, scope, want)
        if isinstance(e, A.InvalidHeader):
            raise UnsupportedError("{#} other than as the right side of an assignment", e.loc)
        raise UnsupportedError(f"unsupported expression {type(e).__name__}", e.loc)

    def _type_member(self, e: A.TypeMember) -> Val:
        if e.type_name == "error":
            if e.name not in self.env.errors:
                raise CompileError(f"error.{e.name}: no such error", e.loc)
            return Val(
                hexstr(self.env.errors.index(e.name), None),
                ErrorT(),
                "const",
                self.env.errors.index(e.name),
            )
        t = self.env.types.get(e.type_name)
        if isinstance(t, EnumT):
            if e.name not in t.members:
                raise CompileError(f"{e.type_name}.{e.name}: no such enum member", e.loc)
            v = t.value_of(e.name)
            w = t.underlying.width if t.underlying is not None else None
            return Val(hexstr(v, w), t, "const", v, name=e.name)
        raise CompileError(f"{e.type_name}.{e.name}: not an enum or error member", e.loc)

    def _member(self, e: A.Member, scope: Scope) -> Val:
        base = self.lower(e.expr, scope)
        if base.kind in ("struct", "union") or (base.kind == "header" and e.name in base.members):
            m = base.members.get(e.name)
            if m is None:
                raise CompileError(f"{type_name(base.type)} has no field {e.name}", e.loc)
            return m
        if base.kind == "header":
            assert isinstance(base.type, StructLikeT)
            ft = base.type.field_type(e.name)
            if ft is None:
                raise CompileError(f"header {base.type.name} has no field {e.name}", e.loc)
            return Val({"type": "field", "value": [base.name, e.name]}, ft, "field")
        if base.kind == "header_expr":
            assert isinstance(base.type, StructLikeT)
            names = [f for f, _ in base.type.fields]
            if e.name not in names:
                raise CompileError(f"header {base.type.name} has no field {e.name}", e.loc)
            ft = base.type.fields[names.index(e.name)][1]
            return Val(expr("access_field", base.json, names.index(e.name)), ft, "field")
        if base.kind == "stack_next":
            assert isinstance(base.type, StructLikeT)
            sft = base.type.field_type(e.name)
            if sft is None:
                raise CompileError(f"header {base.type.name} has no field {e.name}", e.loc)
            return Val({"type": "stack_field", "value": [base.name, e.name]}, sft, "field")
        if base.kind == "stack":
            assert isinstance(base.type, StackT)
            if e.name in ("next", "last"):
                return Val(
                    {"type": "stack", "value": base.name},
                    base.type.elem,
                    "stack_next",
                    name=base.name,
                    members={"stack": base},
                )
            if e.name in ("size", "lastIndex"):
                n = base.type.size - (e.name == "lastIndex")
                return self.const_val(n, BitT(32), e)
            if e.name == "nextIndex":
                raise UnsupportedError("header stack nextIndex", e.loc)
        raise CompileError(f"{e.name}: no such member of {type_name(base.type)}", e.loc)

    def _index(self, e: A.Index, scope: Scope) -> Val:
        base = self.lower(e.expr, scope)
        if base.kind != "stack":
            raise CompileError("indexing a value that is not a header stack", e.loc)
        assert isinstance(base.type, StackT)
        i = self.lower(e.index, scope, BitT(32))
        if i.kind != "const":
            if not isinstance(i.type, BitT):
                raise CompileError("header stack index must be a bit<W> value", e.index.loc)
            j = expr(
                "dereference_header_stack", {"type": "header_stack", "value": base.name}, i.json
            )
            return Val(j, base.type.elem, "header_expr", name=base.name)
        if not 0 <= (i.const or 0) < base.type.size:
            raise CompileError(
                f"index {i.const} out of bounds for stack of size {base.type.size}", e.loc
            )
        return base.members[str(i.const)]

    def _slice(self, e: A.Slice, scope: Scope) -> Val:
        base = self.lower(e.expr, scope)
        hi = self.env.const_value(e.hi)
        lo = self.env.const_value(e.lo)
        if not isinstance(hi, int) or not isinstance(lo, int) or hi < lo:
            raise CompileError("slice bounds must be constants with hi >= lo", e.loc)
        if not isinstance(base.type, BitT) or hi >= base.type.width:
            raise CompileError(f"slice [{hi}:{lo}] out of range of {type_name(base.type)}", e.loc)
        w = hi - lo + 1
        if base.kind == "const":
            return self.const_val(((base.const or 0) >> lo) & ((1 << w) - 1), BitT(w), e)
        j = base.json
        if lo:
            j = expr(">>", j, hexstr(lo, None))
        return Val(
            expr("&", j, mask(w)), BitT(w), "expr", members={"slice_of": base}, name=f"{hi}:{lo}"
        )

    def _unary(self, e: A.Unary, scope: Scope, want: Type | None) -> Val:
        v = self.lower(e.expr, scope, want if e.op != "!" else BoolT())
        if e.op == "!":
            if not isinstance(v.type, BoolT):
                raise CompileError(f"! needs a bool operand, not {type_name(v.type)}", e.loc)
            if v.kind == "const":
                return self.const_val(int(not v.const), BoolT(), e)
            return Val(expr("not", None, as_bool(v)), BoolT(), "expr")
        if v.kind == "const" and isinstance(v.type, IntT):
            c = -(v.const or 0) if e.op == "-" else ~(v.const or 0)
            return Val(hexstr(c, None), IntT(), "const", c)
        if not isinstance(v.type, BitT):
            raise CompileError(
                f"{e.op} needs a bit<W>/int<W> operand, not {type_name(v.type)}", e.loc
            )
        w = v.type.width
        if v.kind == "const":
            c = (-(v.const or 0) if e.op == "-" else ~(v.const or 0)) & ((1 << w) - 1)
            return self.const_val(c, v.type, e)
        if e.op == "~":
            return self._fit(Val(expr("~", None, v.json), v.type, "expr"))
        return self._fit(Val(expr("-", hexstr(0, w), v.json), v.type, "expr"))

    def _fit(self, v: Val) -> Val:
        assert isinstance(v.type, BitT)
        if v.type.signed:
            return Val(expr("two_comp_mod", v.json, hexstr(v.type.width, None)), v.type, "expr")
        return Val(expr("&", v.json, mask(v.type.width)), v.type, "expr")

    def _unify(self, a: Val, b: Val, e: A.Node) -> tuple[Val, Val]:
        if isinstance(a.type, IntT) and not isinstance(b.type, IntT) and a.kind == "const":
            a = self.const_val(a.const or 0, b.type, e)
        if isinstance(b.type, IntT) and not isinstance(a.type, IntT) and b.kind == "const":
            b = self.const_val(b.const or 0, a.type, e)
        ta, tb = a.type, b.type
        if isinstance(ta, EnumT) and ta.underlying is not None and isinstance(tb, BitT):
            ta = ta.underlying
        if isinstance(tb, EnumT) and tb.underlying is not None and isinstance(ta, BitT):
            tb = tb.underlying
        if ta != tb:
            if isinstance(ta, BitT) and isinstance(tb, BitT):
                raise CompileError(
                    f"width mismatch: {type_name(ta)} and {type_name(tb)} (insert a cast)", e.loc
                )
            raise CompileError(f"type mismatch: {type_name(a.type)} and {type_name(b.type)}", e.loc)
        return a, b

    def _binary(self, e: A.Binary, scope: Scope, want: Type | None) -> Val:
        op = e.op
        if op in ("&&", "||"):
            if self.state.ordered_in_action(e.right):
                return self.state.short_circuit(e, scope)
            a = self.lower(e.left, scope, BoolT())
            b = self.lower(e.right, scope, BoolT())
            for v, side in ((a, e.left), (b, e.right)):
                if not isinstance(v.type, BoolT):
                    raise CompileError(
                        f"{op} needs bool operands, not {type_name(v.type)}", side.loc
                    )
            if a.kind == "const" and b.kind == "const":
                rb = (
                    (bool(a.const) and bool(b.const))
                    if op == "&&"
                    else (bool(a.const) or bool(b.const))
                )
                return self.const_val(int(rb), BoolT(), e)
            return Val(expr("and" if op == "&&" else "or", as_bool(a), as_bool(b)), BoolT(), "expr")
        if op in ("<<", ">>"):
            a = self.lower(e.left, scope, want)
            b = self.lower(e.right, scope)
            if isinstance(a.type, IntT) and a.kind == "const" and b.kind == "const":
                r = (
                    (a.const or 0) << (b.const or 0)
                    if op == "<<"
                    else (a.const or 0) >> (b.const or 0)
                )
                return Val(hexstr(r, None), IntT(), "const", r)
            if not isinstance(a.type, BitT):
                raise CompileError(
                    f"{op} needs a bit<W> left operand, not {type_name(a.type)}", e.loc
                )
            if b.kind == "const" and isinstance(b.type, IntT):
                b = Val(hexstr(b.const or 0, None), b.type, "const", b.const)
            if a.kind == "const" and b.kind == "const":
                r = (
                    (a.const or 0) << (b.const or 0)
                    if op == "<<"
                    else (a.const or 0) >> (b.const or 0)
                )
                return self.const_val(r & ((1 << a.type.width) - 1), a.type, e)
            return self._fit(Val(expr(op, a.json, b.json), a.type, "expr"))
        if op == "++":
            a = self.lower(e.left, scope)
            b = self.lower(e.right, scope)
            if not isinstance(a.type, BitT) or not isinstance(b.type, BitT):
                raise CompileError("++ needs bit<W> operands of known width", e.loc)
            w = a.type.width + b.type.width
            t = BitT(w, a.type.signed)
            left = expr("<<", self.cast(a, t, e).json, hexstr(b.type.width, None))
            j = expr("|", expr("&", left, mask(w)), self.cast(b, BitT(w), e).json)
            return Val(j, t, "expr")
        a = self.lower(e.left, scope)
        b = self.lower(e.right, scope, a.type if not isinstance(a.type, IntT) else want)
        if isinstance(a.type, IntT) and not isinstance(b.type, IntT):
            a = self.lower(e.left, scope, b.type)
        elif (
            isinstance(a.type, IntT)
            and want is not None
            and isinstance(want, BitT)
            and op not in _CMP
        ):
            a = self.const_val(a.const or 0, want, e)
            b = self.lower(e.right, scope, want)
        a, b = self._unify(a, b, e)
        if op in _CMP:
            if a.kind == "const" and b.kind == "const":
                from .typesys import _binop

                return self.const_val(int(bool(_binop(op, a.const or 0, b.const or 0))), BoolT(), e)
            if isinstance(a.type, BoolT):
                return Val(expr(op, as_data(a), as_data(b)), BoolT(), "expr")
            if isinstance(a.type, (ErrorT, EnumT, BitT)):
                return Val(expr(op, a.json, b.json), BoolT(), "expr")
            if a.kind == "header" and b.kind == "header":
                raise UnsupportedError("comparison of headers", e.loc)
            raise CompileError(f"cannot compare values of type {type_name(a.type)}", e.loc)
        if op in ("|+|", "|-|"):
            return self._saturating(op, a, b, e)
        if isinstance(a.type, IntT):
            from .typesys import _binop

            ri = _binop(op, a.const or 0, b.const or 0)
            if ri is None:
                raise CompileError(f"cannot evaluate {op} on constants", e.loc)
            return Val(hexstr(int(ri), None), IntT(), "const", int(ri))
        if not isinstance(a.type, BitT):
            raise CompileError(f"{op} needs bit<W> operands, not {type_name(a.type)}", e.loc)
        if a.kind == "const" and b.kind == "const":
            from .typesys import _binop

            rc = _binop(op, a.const or 0, b.const or 0)
            if rc is None:
                raise CompileError(f"cannot evaluate {op} on constants", e.loc)
            return self.const_val(int(rc) & ((1 << a.type.width) - 1), a.type, e)
        j = expr(op, a.json, b.json)
        if op in ("&", "|", "^"):
            return Val(j, a.type, "expr")
        return self._fit(Val(j, a.type, "expr"))

    def _saturating(self, op: str, a: Val, b: Val, e: A.Node) -> Val:
        """Saturating +/-: bmv2's usat_cast / sat_cast of the exact result to the width."""
        if not isinstance(a.type, BitT):
            raise CompileError(f"{op} needs bit<W>/int<W> operands", e.loc)
        w = a.type.width
        if a.kind == "const" and b.kind == "const":
            x, y = a.const or 0, b.const or 0
            if a.type.signed:
                x -= (x >> (w - 1)) << w if w else 0
                y -= (y >> (w - 1)) << w if w else 0
                lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
            else:
                lo, hi = 0, (1 << w) - 1
            r = x + y if op == "|+|" else x - y
            return self.const_val(min(max(r, lo), hi), a.type, e)
        raw = expr("+" if op == "|+|" else "-", a.json, b.json)
        cast = "sat_cast" if a.type.signed else "usat_cast"
        return Val(expr(cast, raw, hexstr(w, None)), a.type, "expr")

    # ------------------------------------------------------------ casts
    def cast(self, v: Val, t: Type, e: A.Node) -> Val:
        src = v.type
        if src == t:
            return v
        if isinstance(src, BoolT) and isinstance(t, BitT) and t.width != 1:
            raise CompileError(f"cannot cast bool to {type_name(t)} (only to bit<1>)", e.loc)
        if v.kind == "const":
            if isinstance(t, BoolT):
                return self.const_val(int(bool(v.const)), t, e)
            if isinstance(t, BitT):
                return self.const_val((v.const or 0) & ((1 << t.width) - 1), t, e)
            if isinstance(t, EnumT) and t.underlying is not None:
                return self.const_val(v.const or 0, t, e)
        if isinstance(t, BitT):
            if isinstance(src, BoolT):
                j = expr("b2d", None, as_bool(v)) if v.kind != "const" else hexstr(v.const or 0, 1)
                return Val(j, t, "expr") if t.width == 1 else self._fit(Val(j, t, "expr"))
            if isinstance(src, EnumT) and src.underlying is not None:
                src = src.underlying
                if src == t:
                    return Val(v.json, t, v.kind, v.const, v.name, v.members)
            if isinstance(src, BitT):
                if t.signed and not src.signed:
                    return Val(expr("two_comp_mod", v.json, hexstr(t.width, None)), t, "expr")
                return Val(expr("&", v.json, mask(t.width)), t, "expr")
        if isinstance(t, BoolT) and isinstance(src, BitT) and src.width == 1:
            return Val(expr("d2b", None, v.json), t, "expr")
        if isinstance(t, EnumT) and t.underlying is not None and isinstance(src, BitT):
            return Val(self.cast(v, t.underlying, e).json, t, "expr")
        raise CompileError(f"cannot cast {type_name(src)} to {type_name(t)}", e.loc)

    def coerce(self, v: Val, t: Type, e: A.Node) -> Val:
        """Implicit conversion for assignment/argument passing (untyped ints, serializable enums)."""
        if v.type == t:
            return v
        if v.kind == "const" and isinstance(v.type, IntT):
            return self.const_val(v.const or 0, t, e)
        if isinstance(t, (ErrorT,)) and isinstance(v.type, ErrorT):
            return v
        if isinstance(v.type, EnumT) and v.type.underlying == t:
            return Val(v.json, t, v.kind, v.const)
        if isinstance(t, EnumT) and isinstance(v.type, EnumT) and t.name == v.type.name:
            return v
        if isinstance(t, BitT) and isinstance(v.type, BitT):
            raise CompileError(
                f"width mismatch: cannot assign {type_name(v.type)} to {type_name(t)}", e.loc
            )
        if isinstance(t, VarbitT) and isinstance(v.type, VarbitT):
            return v
        raise CompileError(
            f"type mismatch: cannot use {type_name(v.type)} as {type_name(t)}", e.loc
        )


_CMP = {"==", "!=", "<", "<=", ">", ">="}


def field_width(t: Type) -> int:
    if isinstance(t, ExternT):
        raise ValueError("extern has no width")
    return width_of(t)
