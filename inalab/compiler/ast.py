"""Typed syntax tree of P4_16 programs: frozen dataclasses, each with its source location."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import UNKNOWN_LOC, SourceLoc


@dataclass(frozen=True)
class Node:
    loc: SourceLoc = field(default=UNKNOWN_LOC, kw_only=True, compare=False, repr=False)
    frag: str = field(default="", kw_only=True, compare=False, repr=False)


@dataclass(frozen=True)
class Annotation(Node):
    name: str
    args: tuple[Expr, ...] = ()


# ------------------------------------------------------------------ types
@dataclass(frozen=True)
class TypeRef(Node):
    pass


@dataclass(frozen=True)
class BaseTypeRef(TypeRef):
    kind: str  # bit, int, varbit, bool, error, string, void, dontcare, int_any
    width: Expr | None = None


@dataclass(frozen=True)
class NamedTypeRef(TypeRef):
    name: str
    args: tuple[TypeRef, ...] = ()


@dataclass(frozen=True)
class StackTypeRef(TypeRef):
    elem: TypeRef
    size: Expr


@dataclass(frozen=True)
class TupleTypeRef(TypeRef):
    elems: tuple[TypeRef, ...]


# ------------------------------------------------------------------ expressions
@dataclass(frozen=True)
class Expr(Node):
    pass


@dataclass(frozen=True)
class IntLit(Expr):
    value: int
    width: int | None = None
    signed: bool = False


@dataclass(frozen=True)
class BoolLit(Expr):
    value: bool


@dataclass(frozen=True)
class StrLit(Expr):
    value: str


@dataclass(frozen=True)
class NameExpr(Expr):
    name: str


@dataclass(frozen=True)
class Member(Expr):
    expr: Expr
    name: str


@dataclass(frozen=True)
class TypeMember(Expr):
    type_name: str
    name: str


@dataclass(frozen=True)
class Index(Expr):
    expr: Expr
    index: Expr


@dataclass(frozen=True)
class Slice(Expr):
    expr: Expr
    hi: Expr
    lo: Expr


@dataclass(frozen=True)
class Call(Expr):
    func: Expr
    args: tuple[Expr, ...]
    type_args: tuple[TypeRef, ...] = ()


@dataclass(frozen=True)
class CtorCall(Expr):
    type: TypeRef
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Unary(Expr):
    op: str
    expr: Expr


@dataclass(frozen=True)
class Binary(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Ternary(Expr):
    cond: Expr
    then: Expr
    other: Expr


@dataclass(frozen=True)
class Cast(Expr):
    type: TypeRef
    expr: Expr


@dataclass(frozen=True)
class ListExpr(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class DontCare(Expr):
    pass


@dataclass(frozen=True)
class InvalidHeader(Expr):
    """``{#}``: the invalid header (assignable to a header or a header union)."""


@dataclass(frozen=True)
class DefaultKey(Expr):
    pass


@dataclass(frozen=True)
class MaskKey(Expr):
    value: Expr
    mask: Expr


@dataclass(frozen=True)
class RangeKey(Expr):
    lo: Expr
    hi: Expr


@dataclass(frozen=True)
class TupleKey(Expr):
    items: tuple[Expr, ...]


# ------------------------------------------------------------------ statements
@dataclass(frozen=True)
class Stmt(Node):
    pass


@dataclass(frozen=True)
class Assign(Stmt):
    lhs: Expr
    rhs: Expr


@dataclass(frozen=True)
class CallStmt(Stmt):
    call: Call


@dataclass(frozen=True)
class If(Stmt):
    cond: Expr
    then: Stmt
    other: Stmt | None


@dataclass(frozen=True)
class Block(Stmt):
    stmts: tuple[Stmt, ...]


@dataclass(frozen=True)
class Exit(Stmt):
    pass


@dataclass(frozen=True)
class Return(Stmt):
    value: Expr | None


@dataclass(frozen=True)
class SwitchCase(Node):
    label: Expr | None  # None: default; an action name (NameExpr) or a constant
    body: Block | None  # None: fall through


@dataclass(frozen=True)
class Switch(Stmt):
    expr: Expr
    cases: tuple[SwitchCase, ...]


@dataclass(frozen=True)
class EmptyStmt(Stmt):
    pass


# ------------------------------------------------------------------ declarations
@dataclass(frozen=True)
class Decl(Stmt):
    name: str
    annotations: tuple[Annotation, ...] = field(default=(), kw_only=True)

    def annotation(self, name: str) -> Annotation | None:
        for a in self.annotations:
            if a.name == name:
                return a
        return None


@dataclass(frozen=True)
class VarDecl(Decl):
    type: TypeRef
    init: Expr | None


@dataclass(frozen=True)
class ConstDecl(Decl):
    type: TypeRef
    value: Expr


@dataclass(frozen=True)
class Field(Decl):
    type: TypeRef


@dataclass(frozen=True)
class HeaderDecl(Decl):
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class StructDecl(Decl):
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class UnionDecl(Decl):
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class EnumDecl(Decl):
    members: tuple[str, ...]
    underlying: TypeRef | None = None
    values: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class TypedefDecl(Decl):
    type: TypeRef
    newtype: bool = False


@dataclass(frozen=True)
class ErrorDecl(Decl):
    members: tuple[str, ...]


@dataclass(frozen=True)
class MatchKindDecl(Decl):
    members: tuple[str, ...]


@dataclass(frozen=True)
class Param(Decl):
    direction: str  # "", in, out, inout
    type: TypeRef
    default: Expr | None = None


@dataclass(frozen=True)
class Method(Decl):
    ret: TypeRef | None  # None for constructors
    params: tuple[Param, ...]
    type_params: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExternDecl(Decl):
    type_params: tuple[str, ...]
    methods: tuple[Method, ...]


@dataclass(frozen=True)
class ExternFuncDecl(Decl):
    method: Method


@dataclass(frozen=True)
class TypeDeclProto(Decl):
    """parser/control/package type declarations (prototypes)."""

    kind: str
    type_params: tuple[str, ...]
    params: tuple[Param, ...]


@dataclass(frozen=True)
class Transition(Node):
    state: str | None  # direct transition, or None when select is set
    select: tuple[Expr, ...] = ()
    cases: tuple[tuple[Expr, str], ...] = ()


@dataclass(frozen=True)
class ParserState(Decl):
    stmts: tuple[Stmt, ...]
    transition: Transition | None


@dataclass(frozen=True)
class ValueSetDecl(Decl):
    type: TypeRef
    size: Expr


@dataclass(frozen=True)
class ParserDecl(Decl):
    type_params: tuple[str, ...]
    params: tuple[Param, ...]
    ctor_params: tuple[Param, ...]
    locals: tuple[Decl, ...]
    states: tuple[ParserState, ...]


@dataclass(frozen=True)
class ActionDecl(Decl):
    params: tuple[Param, ...]
    body: Block


@dataclass(frozen=True)
class FunctionDecl(Decl):
    ret: TypeRef | None
    params: tuple[Param, ...]
    body: Block


@dataclass(frozen=True)
class KeyElem(Node):
    expr: Expr
    match_kind: str
    annotations: tuple[Annotation, ...] = ()


@dataclass(frozen=True)
class ActionRef(Node):
    name: str
    args: tuple[Expr, ...] | None
    annotations: tuple[Annotation, ...] = ()


@dataclass(frozen=True)
class Entry(Node):
    keys: tuple[Expr, ...]
    action: ActionRef
    priority: int | None = None


@dataclass(frozen=True)
class TableProperty(Node):
    name: str
    value: Expr
    const: bool = False
    annotations: tuple[Annotation, ...] = ()


@dataclass(frozen=True)
class TableDecl(Decl):
    keys: tuple[KeyElem, ...] | None
    actions: tuple[ActionRef, ...]
    entries: tuple[Entry, ...] | None
    entries_const: bool
    properties: tuple[TableProperty, ...]

    def prop(self, name: str) -> TableProperty | None:
        for p in self.properties:
            if p.name == name:
                return p
        return None


@dataclass(frozen=True)
class Instantiation(Decl):
    type: TypeRef
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class ControlDecl(Decl):
    type_params: tuple[str, ...]
    params: tuple[Param, ...]
    ctor_params: tuple[Param, ...]
    locals: tuple[Decl, ...]
    body: Block


@dataclass(frozen=True)
class Program(Node):
    decls: tuple[Decl, ...]
