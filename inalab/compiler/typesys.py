"""P4 types, the global environment of declarations, and compile-time constant evaluation."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from . import ast as A
from .errors import UNKNOWN_LOC, CompileError, SourceLoc, UnsupportedError

# The source location being lowered, for errors raised deep inside type helpers.
CURRENT_LOC: ContextVar[SourceLoc] = ContextVar("CURRENT_LOC", default=UNKNOWN_LOC)


@dataclass(frozen=True)
class Type:
    pass


@dataclass(frozen=True)
class BitT(Type):
    width: int
    signed: bool = False

    def __post_init__(self) -> None:
        if self.width < 0:
            raise ValueError("negative width")


@dataclass(frozen=True)
class IntT(Type):
    """Infinite-precision integer (untyped literal)."""


@dataclass(frozen=True)
class BoolT(Type):
    pass


@dataclass(frozen=True)
class VarbitT(Type):
    max_width: int


@dataclass(frozen=True)
class ErrorT(Type):
    pass


@dataclass(frozen=True)
class StringT(Type):
    pass


@dataclass(frozen=True)
class VoidT(Type):
    pass


@dataclass(frozen=True)
class EnumT(Type):
    name: str
    members: tuple[str, ...]
    underlying: BitT | None = None
    values: tuple[int, ...] = ()

    def value_of(self, member: str) -> int:
        i = self.members.index(member)
        return self.values[i] if self.underlying is not None else i


@dataclass(frozen=True)
class StructLikeT(Type):
    name: str
    kind: str  # header, struct, header_union
    fields: tuple[tuple[str, Type], ...]
    annotations: tuple[A.Annotation, ...] = field(default=(), compare=False)

    def field_type(self, name: str) -> Type | None:
        for n, t in self.fields:
            if n == name:
                return t
        return None


@dataclass(frozen=True)
class StackT(Type):
    elem: StructLikeT
    size: int


@dataclass(frozen=True)
class ExternT(Type):
    name: str
    args: tuple[Type, ...] = ()


@dataclass(frozen=True)
class TypeParamT(Type):
    name: str


@dataclass(frozen=True)
class TupleT(Type):
    elems: tuple[Type, ...]


@dataclass(frozen=True)
class MatchKindT(Type):
    pass


def width_of(t: Type) -> int:
    if isinstance(t, BitT):
        return t.width
    if isinstance(t, BoolT):
        return 1
    if isinstance(t, EnumT) and t.underlying is not None:
        return t.underlying.width
    if isinstance(t, (EnumT, ErrorT)):
        return 32
    if isinstance(t, VarbitT):
        return t.max_width
    if isinstance(t, StructLikeT):
        return sum(width_of(ft) for _, ft in t.fields)
    raise CompileError(
        f"a value of type {type_name(t)} has no fixed width here (add a cast or a width)",
        CURRENT_LOC.get(),
    )


def extern_fits(arg: Type, param: ExternT) -> bool:
    """Whether an extern object of type ``arg`` binds to a parameter of extern type
    ``param``: the same extern, with the same type arguments where both give them."""
    return (
        isinstance(arg, ExternT)
        and arg.name == param.name
        and not (param.args and arg.args and arg.args != param.args)
    )


def type_name(t: Type) -> str:
    if isinstance(t, BitT):
        return f"{'int' if t.signed else 'bit'}<{t.width}>"
    if isinstance(t, IntT):
        return "int"
    if isinstance(t, BoolT):
        return "bool"
    if isinstance(t, VarbitT):
        return f"varbit<{t.max_width}>"
    if isinstance(t, (EnumT, StructLikeT, ExternT, TypeParamT)):
        return t.name
    if isinstance(t, StackT):
        return f"{t.elem.name}[{t.size}]"
    return type(t).__name__.removesuffix("T").lower()


class Env:
    """Global declarations of a program, by name."""

    def __init__(self, program: A.Program) -> None:
        self.decls: dict[str, A.Decl] = {}
        self.types: dict[str, Type] = {}
        self.consts: dict[str, tuple[int | bool, Type]] = {}
        self.errors: list[str] = []
        self.match_kinds: list[str] = []
        self.actions: dict[str, A.ActionDecl] = {}
        self.extern_funcs: dict[str, A.ExternFuncDecl] = {}
        self.extern_func_arities: dict[str, set[int]] = {}
        self.extern_func_overloads: dict[str, list[A.ExternFuncDecl]] = {}
        self.externs: dict[str, A.ExternDecl] = {}
        self.parsers: dict[str, A.ParserDecl] = {}
        self.controls: dict[str, A.ControlDecl] = {}
        self.functions: dict[str, A.FunctionDecl] = {}
        self.main: A.Instantiation | None = None
        for d in program.decls:
            self._declare(d)

    def _declare(self, d: A.Decl) -> None:
        if isinstance(d, A.ErrorDecl):
            self.errors.extend(m for m in d.members if m not in self.errors)
            return
        if isinstance(d, A.MatchKindDecl):
            self.match_kinds.extend(d.members)
            return
        if isinstance(d, A.ExternFuncDecl):
            self.extern_funcs.setdefault(d.name, d)
            self.extern_func_arities.setdefault(d.name, set()).add(len(d.method.params))
            self.extern_func_overloads.setdefault(d.name, []).append(d)
            return
        self.decls[d.name] = d
        if isinstance(d, A.ConstDecl):
            t = self.resolve(d.type)
            v = self.const_value(d.value, t)
            if v is None:
                raise CompileError(f"{d.name}: initializer is not a compile-time constant", d.loc)
            self.consts[d.name] = (v, t)
        elif isinstance(d, A.TypedefDecl):
            self.types[d.name] = self.resolve(d.type)
        elif isinstance(d, (A.HeaderDecl, A.StructDecl, A.UnionDecl)):
            kind = {A.HeaderDecl: "header", A.StructDecl: "struct", A.UnionDecl: "header_union"}[
                type(d)
            ]
            fields = tuple((f.name, self.resolve(f.type)) for f in d.fields)
            self.types[d.name] = StructLikeT(d.name, kind, fields, d.annotations)
        elif isinstance(d, A.EnumDecl):
            if d.underlying is None:
                self.types[d.name] = EnumT(d.name, d.members)
            else:
                ut = self.resolve(d.underlying)
                if not isinstance(ut, BitT):
                    raise CompileError(
                        f"enum {d.name}: underlying type must be bit<W> or int<W>", d.loc
                    )
                vals = []
                for e in d.values:
                    v = self.const_value(e, ut)
                    if not isinstance(v, int) or isinstance(v, bool):
                        raise CompileError("enum value must be a constant", e.loc)
                    vals.append(v)
                self.types[d.name] = EnumT(d.name, d.members, ut, tuple(vals))
        elif isinstance(d, A.ActionDecl):
            self.actions[d.name] = d
        elif isinstance(d, A.ExternDecl):
            self.externs[d.name] = d
        elif isinstance(d, A.ParserDecl):
            self.parsers[d.name] = d
        elif isinstance(d, A.ControlDecl):
            self.controls[d.name] = d
        elif isinstance(d, A.FunctionDecl):
            self.functions[d.name] = d
        elif isinstance(d, A.Instantiation) and d.name == "main":
            self.main = d

    def main_blocks(self) -> tuple[A.Expr, ...]:
        """``main``'s arguments, with a top-level parser/control instance named there
        (``I() ig; V1Switch(P(), V(), ig, ...)``) replaced by its instantiation: p4c
        accepts it, and names the block's objects by its type as for ``I()`` in place
        (its HierarchicalNames pass prefixes names with the P4Control's own name)."""
        if self.main is None:
            return ()
        out: list[A.Expr] = []
        for a in self.main.args:
            d = self.decls.get(a.name) if isinstance(a, A.NameExpr) else None
            if (
                isinstance(d, A.Instantiation)
                and isinstance(d.type, A.NamedTypeRef)
                and (d.type.name in self.parsers or d.type.name in self.controls)
            ):
                a = A.CtorCall(d.type, d.args, loc=d.loc, frag=d.frag)
            out.append(a)
        return tuple(out)

    # ------------------------------------------------------------ types
    def resolve(self, t: A.TypeRef, tparams: frozenset[str] = frozenset()) -> Type:
        if isinstance(t, A.BaseTypeRef):
            if t.kind in ("bit", "int", "varbit"):
                assert t.width is not None
                w = self.const_value(t.width, IntT())
                if not isinstance(w, int) or isinstance(w, bool) or w < 0:
                    raise CompileError("type width must be a non-negative constant", t.loc)
                if t.kind == "varbit":
                    return VarbitT(w)
                return BitT(w, t.kind == "int")
            return {
                "bool": BoolT(),
                "error": ErrorT(),
                "string": StringT(),
                "void": VoidT(),
                "int_any": IntT(),
                "dontcare": TypeParamT("_"),
            }[t.kind]
        if isinstance(t, A.NamedTypeRef):
            if t.name in tparams:
                return TypeParamT(t.name)
            if t.name in self.types:
                return self.types[t.name]
            d = self.decls.get(t.name)
            if isinstance(d, A.ExternDecl):
                if t.args and len(t.args) != len(d.type_params):
                    # p4c's type inference; v1model's register<T> / register<T, I> and
                    # counter / counter<I> depend on V1MODEL_VERSION
                    raise CompileError(
                        f"{t.name}: Type {t.name} has {len(d.type_params)} type parameter(s), "
                        f"but it is specialized with {len(t.args)}",
                        t.loc,
                    )
                return ExternT(t.name, tuple(self.resolve(a, tparams) for a in t.args))
            if isinstance(d, (A.ParserDecl, A.ControlDecl, A.TypeDeclProto)):
                return ExternT(t.name)
            if t.name in self.match_kinds or t.name == "match_kind":
                return MatchKindT()
            # v1model type parameters (H, M, T...) stay generic
            if len(t.name) <= 2 and t.name[:1].isupper():
                return TypeParamT(t.name)
            raise CompileError(f"{t.name}: unknown type", t.loc)
        if isinstance(t, A.StackTypeRef):
            elem = self.resolve(t.elem, tparams)
            size = self.const_value(t.size, IntT())
            if not isinstance(elem, StructLikeT) or elem.kind == "struct":
                raise UnsupportedError("stack of non-header type", t.loc)
            if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
                raise CompileError("header stack size must be a positive constant", t.loc)
            return StackT(elem, size)
        if isinstance(t, A.TupleTypeRef):
            return TupleT(tuple(self.resolve(e, tparams) for e in t.elems))
        raise UnsupportedError(f"type {type(t).__name__}", t.loc)

    # ------------------------------------------------------------ constants
    def const_value(self, e: A.Expr, want: Type | None = None) -> int | bool | None:
        """Value of a compile-time constant expression, or None."""
        v = self._const(e)
        if isinstance(v, int) and not isinstance(v, bool) and isinstance(want, BitT):
            v = _wrap(v, want)
        return v

    def _const(self, e: A.Expr) -> int | bool | None:
        if isinstance(e, A.IntLit):
            if e.width is not None:
                return _wrap(e.value, BitT(e.width, e.signed))
            return e.value
        if isinstance(e, A.BoolLit):
            return e.value
        if isinstance(e, A.NameExpr):
            c = self.consts.get(e.name)
            return c[0] if c else None
        if isinstance(e, A.TypeMember):
            t = self.types.get(e.type_name)
            if isinstance(t, EnumT) and t.underlying is not None and e.name in t.members:
                return t.value_of(e.name)
            return None
        if isinstance(e, A.Cast):
            v = self._const(e.expr)
            if v is None:
                return None
            t = self.resolve(e.type)
            if isinstance(t, BitT):
                return _wrap(int(v), t)
            if isinstance(t, BoolT):
                return bool(v)
            return v
        if isinstance(e, A.Unary):
            v = self._const(e.expr)
            if v is None:
                return None
            if e.op == "!":
                return not v
            if e.op == "-":
                return -int(v)
            if e.op == "~":
                return ~int(v)
            return None
        if isinstance(e, A.Binary):
            a, b = self._const(e.left), self._const(e.right)
            if a is None or b is None:
                return None
            return _binop(e.op, a, b)
        if isinstance(e, A.Ternary):
            cv = self._const(e.cond)
            if cv is None:
                return None
            return self._const(e.then) if cv else self._const(e.other)
        return None


def _wrap(v: int, t: BitT) -> int:
    v &= (1 << t.width) - 1 if t.width else 0
    if t.signed and t.width and v >> (t.width - 1):
        v -= 1 << t.width
    return v


def _binop(op: str, a: int | bool, b: int | bool) -> int | bool | None:
    x, y = int(a), int(b)
    table = {
        "+": lambda: x + y,
        "-": lambda: x - y,
        "*": lambda: x * y,
        "/": lambda: x // y if y else None,
        "%": lambda: x % y if y else None,
        "<<": lambda: x << y,
        ">>": lambda: x >> y,
        "&": lambda: x & y,
        "|": lambda: x | y,
        "^": lambda: x ^ y,
        "==": lambda: x == y,
        "!=": lambda: x != y,
        "<": lambda: x < y,
        "<=": lambda: x <= y,
        ">": lambda: x > y,
        ">=": lambda: x >= y,
        "&&": lambda: bool(a) and bool(b),
        "||": lambda: bool(a) or bool(b),
    }
    f = table.get(op)
    return f() if f else None
