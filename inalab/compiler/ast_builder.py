"""lark parse tree -> typed syntax tree (``ast``), with original source locations."""

from __future__ import annotations

import re
from typing import Any

from lark import Token, Transformer, v_args

from . import ast as A
from .errors import CompileError
from .preprocess import PreprocessedText


def _int_literal(text: str) -> A.IntLit:
    t = text.replace("_", "")
    width: int | None = None
    signed = False
    m = re.match(r"(\d+)([ws])(.*)$", t)
    if m:
        width, signed, t = int(m.group(1)), m.group(2) == "s", m.group(3)
    low = t.lower()
    if low.startswith("0x"):
        v = int(low[2:], 16)
    elif low.startswith("0b"):
        v = int(low[2:], 2)
    elif low.startswith("0o"):
        v = int(low[2:], 8)
    elif low.startswith("0d"):
        v = int(low[2:], 10)
    else:
        v = int(low, 10)
    return A.IntLit(v, width, signed)


_BINOPS = {
    "lor_expr": "||",
    "land_expr": "&&",
    "bor_expr": "|",
    "bxor_expr": "^",
    "band_expr": "&",
    "shl_expr": "<<",
    "concat_expr": "++",
    "eq_expr": "==",
    "ne_expr": "!=",
    "lt_expr": "<",
    "le_expr": "<=",
    "ge_expr": ">=",
    "gt_expr": ">",
    "shr_expr": ">>",
    "plus_expr": "+",
    "minus_expr": "-",
    "satplus_expr": "|+|",
    "satminus_expr": "|-|",
    "times_expr": "*",
    "div_expr": "/",
    "mod_expr": "%",
}


class AstBuilder(Transformer[Token, A.Program]):
    def __init__(self, pp: PreprocessedText) -> None:
        super().__init__()
        self.pp = pp
        self.lines = pp.text.split("\n")

    def _loc(self, meta: Any) -> dict[str, Any]:
        if getattr(meta, "empty", True):
            return {}
        loc = self.pp.loc(meta.line, meta.column)
        frag = ""
        if meta.line == meta.end_line and 1 <= meta.line <= len(self.lines):
            frag = self.lines[meta.line - 1][meta.column - 1 : meta.end_column - 1]
        elif 1 <= meta.line <= len(self.lines):
            frag = self.lines[meta.line - 1][meta.column - 1 :].rstrip() + " ..."
        return {"loc": loc, "frag": frag}

    def __default__(self, data: Any, children: Any, meta: Any) -> Any:
        raise CompileError(f"internal: unhandled grammar rule {data}", self.pp.loc(meta.line, 1))

    # ---------------------------------------------------------- helpers
    @staticmethod
    def _split(children: list[Any]) -> tuple[tuple[A.Annotation, ...], list[Any]]:
        annos = tuple(c for c in children if isinstance(c, A.Annotation))
        rest = [c for c in children if not isinstance(c, A.Annotation)]
        return annos, rest

    # ---------------------------------------------------------- names / annotations
    def name(self, c: list[Token]) -> str:
        return str(c[0])

    def member(self, c: list[Token]) -> str:
        return str(c[0])

    @v_args(meta=True)
    def annotation(self, meta: Any, c: list[Any]) -> A.Annotation:
        args = tuple(c[1]) if len(c) > 1 and c[1] is not None else ()
        return A.Annotation(c[0], args, **self._loc(meta))

    def anno_args(self, c: list[Any]) -> list[Any]:
        return list(c)

    @v_args(meta=True)
    def anno_kv(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.Binary("=", A.NameExpr(str(c[0])), c[1], **self._loc(meta))

    # ---------------------------------------------------------- types
    @v_args(meta=True)
    def bool_type(self, meta: Any, c: list[Any]) -> A.TypeRef:
        return A.BaseTypeRef("bool", **self._loc(meta))

    @v_args(meta=True)
    def error_type(self, meta: Any, c: list[Any]) -> A.TypeRef:
        return A.BaseTypeRef("error", **self._loc(meta))

    @v_args(meta=True)
    def string_type(self, meta: Any, c: list[Any]) -> A.TypeRef:
        return A.BaseTypeRef("string", **self._loc(meta))

    @v_args(meta=True)
    def bit1_type(self, meta: Any, c: list[Any]) -> A.TypeRef:
        return A.BaseTypeRef("bit", A.IntLit(1), **self._loc(meta))

    @v_args(meta=True)
    def int_any_type(self, meta: Any, c: list[Any]) -> A.TypeRef:
        return A.BaseTypeRef("int_any", **self._loc(meta))

    def _sized(self, kind: str, meta: Any, c: list[Any]) -> A.TypeRef:
        w = c[1]
        if isinstance(w, Token):
            w = _int_literal(str(w))
        return A.BaseTypeRef(kind, w, **self._loc(meta))

    @v_args(meta=True)
    def bit_type(self, meta: Any, c: list[Any]) -> A.TypeRef:
        return self._sized("bit", meta, c)

    @v_args(meta=True)
    def int_type(self, meta: Any, c: list[Any]) -> A.TypeRef:
        return self._sized("int", meta, c)

    @v_args(meta=True)
    def varbit_type(self, meta: Any, c: list[Any]) -> A.TypeRef:
        return self._sized("varbit", meta, c)

    def rangle(self, c: list[Any]) -> None:
        return None

    @v_args(meta=True)
    def named_type(self, meta: Any, c: list[Any]) -> A.TypeRef:
        return A.NamedTypeRef(str(c[-1]), **self._loc(meta))

    @v_args(meta=True)
    def specialized_type(self, meta: Any, c: list[Any]) -> A.TypeRef:
        return A.NamedTypeRef(str(c[0]), tuple(c[1]), **self._loc(meta))

    @v_args(meta=True)
    def stack_type(self, meta: Any, c: list[Any]) -> A.TypeRef:
        return A.StackTypeRef(c[0], c[1], **self._loc(meta))

    @v_args(meta=True)
    def tuple_type(self, meta: Any, c: list[Any]) -> A.TypeRef:
        return A.TupleTypeRef(tuple(c[0]), **self._loc(meta))

    def type_args(self, c: list[Any]) -> list[Any]:
        return [x for x in c if x is not None]

    @v_args(meta=True)
    def dontcare_type(self, meta: Any, c: list[Any]) -> A.TypeRef:
        return A.BaseTypeRef("dontcare", **self._loc(meta))

    @v_args(meta=True)
    def void_type(self, meta: Any, c: list[Any]) -> A.TypeRef:
        return A.BaseTypeRef("void", **self._loc(meta))

    def type_params(self, c: list[Any]) -> tuple[str, ...]:
        return tuple(
            x for x in c if (isinstance(x, str) and not isinstance(x, Token)) or False
        ) or tuple(str(x) for x in c if x is not None)

    def _ret(self, c: list[Any]) -> tuple[A.TypeRef | None, list[Any]]:
        first = c[0]
        if isinstance(first, Token) and first.type == "VOID":
            return A.BaseTypeRef("void"), c[1:]
        return first, c[1:]

    # ---------------------------------------------------------- declarations
    def start(self, c: list[Any]) -> A.Program:
        return A.Program(tuple(x for x in c if x is not None))

    def empty_decl(self, c: list[Any]) -> None:
        return None

    @v_args(meta=True)
    def const_decl(self, meta: Any, c: list[Any]) -> A.ConstDecl:
        annos, (t, n, v) = self._split(c)
        return A.ConstDecl(n, t, v, annotations=annos, **self._loc(meta))

    @v_args(meta=True)
    def field(self, meta: Any, c: list[Any]) -> A.Field:
        annos, (t, n) = self._split(c)
        return A.Field(n, t, annotations=annos, **self._loc(meta))

    def _fields(self, cls: Any, meta: Any, c: list[Any]) -> Any:
        annos, rest = self._split(c)
        return cls(rest[0], tuple(rest[1:]), annotations=annos, **self._loc(meta))

    @v_args(meta=True)
    def header_decl(self, meta: Any, c: list[Any]) -> A.HeaderDecl:
        return self._fields(A.HeaderDecl, meta, c)

    @v_args(meta=True)
    def struct_decl(self, meta: Any, c: list[Any]) -> A.StructDecl:
        return self._fields(A.StructDecl, meta, c)

    @v_args(meta=True)
    def union_decl(self, meta: Any, c: list[Any]) -> A.UnionDecl:
        return self._fields(A.UnionDecl, meta, c)

    @v_args(meta=True)
    def enum_decl(self, meta: Any, c: list[Any]) -> A.EnumDecl:
        annos, rest = self._split(c)
        return A.EnumDecl(rest[0], tuple(rest[1:]), annotations=annos, **self._loc(meta))

    @v_args(meta=True)
    def ser_enum_decl(self, meta: Any, c: list[Any]) -> A.EnumDecl:
        annos, rest = self._split(c)
        members = tuple(m[0] for m in rest[2:])
        values = tuple(m[1] for m in rest[2:])
        return A.EnumDecl(rest[1], members, rest[0], values, annotations=annos, **self._loc(meta))

    def enum_member(self, c: list[Any]) -> tuple[str, A.Expr]:
        return (c[0], c[1])

    @v_args(meta=True)
    def typedef_decl(self, meta: Any, c: list[Any]) -> A.TypedefDecl:
        annos, (t, n) = self._split(c)
        return A.TypedefDecl(n, t, annotations=annos, **self._loc(meta))

    @v_args(meta=True)
    def newtype_decl(self, meta: Any, c: list[Any]) -> A.TypedefDecl:
        annos, (t, n) = self._split(c)
        return A.TypedefDecl(n, t, True, annotations=annos, **self._loc(meta))

    @v_args(meta=True)
    def error_decl(self, meta: Any, c: list[Any]) -> A.ErrorDecl:
        return A.ErrorDecl("error", tuple(c), **self._loc(meta))

    @v_args(meta=True)
    def match_kind_decl(self, meta: Any, c: list[Any]) -> A.MatchKindDecl:
        return A.MatchKindDecl("match_kind", tuple(c), **self._loc(meta))

    @v_args(meta=True)
    def param(self, meta: Any, c: list[Any]) -> A.Param:
        annos, rest = self._split(c)
        direction = ""
        if isinstance(rest[0], Token) and rest[0].type in ("IN", "OUT", "INOUT"):
            direction = str(rest[0])
            rest = rest[1:]
        default = rest[2] if len(rest) > 2 else None
        return A.Param(rest[1], direction, rest[0], default, annotations=annos, **self._loc(meta))

    def direction(self, c: list[Token]) -> Token:
        return c[0]

    def params(self, c: list[Any]) -> tuple[A.Param, ...]:
        return tuple(x for x in c if x is not None)

    def ctor_params(self, c: list[Any]) -> tuple[A.Param, ...]:
        return tuple(c[0])

    def _method(self, meta: Any, c: list[Any]) -> A.Method:
        annos, rest = self._split(c)
        ret, rest = self._ret(rest)
        name = rest[0]
        tps: tuple[str, ...] = ()
        if len(rest) == 3:
            tps, params = rest[1], rest[2]
        else:
            params = rest[1]
        return A.Method(name, ret, params, tps, annotations=annos, **self._loc(meta))

    @v_args(meta=True)
    def method_decl(self, meta: Any, c: list[Any]) -> A.Method:
        return self._method(meta, c)

    @v_args(meta=True)
    def ctor_decl(self, meta: Any, c: list[Any]) -> A.Method:
        annos, rest = self._split(c)
        return A.Method(str(rest[0]), None, rest[1], annotations=annos, **self._loc(meta))

    @v_args(meta=True)
    def extern_decl(self, meta: Any, c: list[Any]) -> A.ExternDecl:
        annos, rest = self._split(c)
        name = rest[0]
        tps: tuple[str, ...] = ()
        methods = rest[1:]
        if methods and isinstance(methods[0], tuple):
            tps, methods = methods[0], methods[1:]
        return A.ExternDecl(name, tps, tuple(methods), annotations=annos, **self._loc(meta))

    @v_args(meta=True)
    def generic_extern_decl(self, meta: Any, c: list[Any]) -> A.ExternDecl:
        annos, rest = self._split(c)
        st = rest[0]
        tps = tuple(t.name for t in st.args if isinstance(t, A.NamedTypeRef))
        return A.ExternDecl(st.name, tps, tuple(rest[1:]), annotations=annos, **self._loc(meta))

    @v_args(meta=True)
    def extern_func_decl(self, meta: Any, c: list[Any]) -> A.ExternFuncDecl:
        m = self._method(meta, c)
        return A.ExternFuncDecl(m.name, m, annotations=m.annotations, **self._loc(meta))

    def _proto(self, kind: str, meta: Any, c: list[Any]) -> A.TypeDeclProto:
        annos, rest = self._split(c)
        tps: tuple[str, ...] = rest[1] if len(rest) == 3 else ()
        return A.TypeDeclProto(rest[0], kind, tps, rest[-1], annotations=annos, **self._loc(meta))

    @v_args(meta=True)
    def parser_type_decl(self, meta: Any, c: list[Any]) -> A.TypeDeclProto:
        return self._proto("parser", meta, c)

    @v_args(meta=True)
    def control_type_decl(self, meta: Any, c: list[Any]) -> A.TypeDeclProto:
        return self._proto("control", meta, c)

    @v_args(meta=True)
    def package_decl(self, meta: Any, c: list[Any]) -> A.TypeDeclProto:
        return self._proto("package", meta, c)

    # ---------------------------------------------------------- parsers
    @v_args(meta=True)
    def value_set_decl(self, meta: Any, c: list[Any]) -> A.ValueSetDecl:
        annos, rest = self._split(c)
        t, size, n = [x for x in rest if x is not None]
        return A.ValueSetDecl(n, t, size, annotations=annos, **self._loc(meta))

    @v_args(meta=True)
    def transition(self, meta: Any, c: list[Any]) -> A.Transition:
        return A.Transition(c[0], **self._loc(meta))

    @v_args(meta=True)
    def accept_transition(self, meta: Any, c: list[Any]) -> A.Transition:
        return A.Transition("accept", **self._loc(meta))

    @v_args(meta=True)
    def reject_transition(self, meta: Any, c: list[Any]) -> A.Transition:
        return A.Transition("reject", **self._loc(meta))

    @v_args(meta=True)
    def select_transition(self, meta: Any, c: list[Any]) -> A.Transition:
        exprs, cases = c[0]
        return A.Transition(None, exprs, cases, **self._loc(meta))

    def select_expr(self, c: list[Any]) -> tuple[tuple[A.Expr, ...], tuple[Any, ...]]:
        return (tuple(c[0]), tuple(c[1:]))

    def select_case(self, c: list[Any]) -> tuple[A.Expr, str]:
        return (c[0], c[1])

    def accept_name(self, c: list[Any]) -> str:
        return "accept"

    def reject_name(self, c: list[Any]) -> str:
        return "reject"

    @v_args(meta=True)
    def keyset_tuple(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.TupleKey(tuple(c), **self._loc(meta))

    @v_args(meta=True)
    def keyset_default(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.DefaultKey(**self._loc(meta))

    @v_args(meta=True)
    def keyset_dontcare(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.DontCare(**self._loc(meta))

    @v_args(meta=True)
    def keyset_mask(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.MaskKey(c[0], c[1], **self._loc(meta))

    @v_args(meta=True)
    def keyset_range(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.RangeKey(c[0], c[1], **self._loc(meta))

    @v_args(meta=True)
    def parser_state(self, meta: Any, c: list[Any]) -> A.ParserState:
        annos, rest = self._split(c)
        trans = rest[-1] if rest and isinstance(rest[-1], A.Transition) else None
        stmts = tuple(x for x in rest[1:] if isinstance(x, A.Stmt))
        return A.ParserState(rest[0], stmts, trans, annotations=annos, **self._loc(meta))

    @staticmethod
    def _block_head(
        rest: list[Any],
    ) -> tuple[str, tuple[str, ...], Any, tuple[A.Param, ...], int]:
        """A parser or control declaration's name, type parameters, apply
        parameters and constructor parameters, and where its body starts."""
        name = rest[0]
        i = 1
        tps: tuple[str, ...] = ()
        if isinstance(rest[i], tuple) and rest[i] and isinstance(rest[i][0], str):
            tps = rest[i]
            i += 1
        params = rest[i]
        i += 1
        ctor: tuple[A.Param, ...] = ()
        if i < len(rest) and isinstance(rest[i], tuple):
            ctor = rest[i]
            i += 1
        return name, tps, params, ctor, i

    @v_args(meta=True)
    def parser_decl(self, meta: Any, c: list[Any]) -> A.ParserDecl:
        annos, rest = self._split(c)
        name, tps, params, ctor, i = self._block_head(rest)
        body = rest[i:]
        locals_ = tuple(x for x in body if not isinstance(x, A.ParserState))
        states = tuple(x for x in body if isinstance(x, A.ParserState))
        return A.ParserDecl(
            name, tps, params, ctor, locals_, states, annotations=annos, **self._loc(meta)
        )

    # ---------------------------------------------------------- controls
    @v_args(meta=True)
    def control_decl(self, meta: Any, c: list[Any]) -> A.ControlDecl:
        annos, rest = self._split(c)
        name, tps, params, ctor, i = self._block_head(rest)
        body = rest[-1]
        return A.ControlDecl(
            name, tps, params, ctor, tuple(rest[i:-1]), body, annotations=annos, **self._loc(meta)
        )

    @v_args(meta=True)
    def action_decl(self, meta: Any, c: list[Any]) -> A.ActionDecl:
        annos, (n, params, body) = self._split(c)
        return A.ActionDecl(n, params, body, annotations=annos, **self._loc(meta))

    @v_args(meta=True)
    def function_decl(self, meta: Any, c: list[Any]) -> A.FunctionDecl:
        annos, rest = self._split(c)
        ret, rest = self._ret(rest)
        return A.FunctionDecl(
            rest[0], ret, rest[-2], rest[-1], annotations=annos, **self._loc(meta)
        )

    @v_args(meta=True)
    def key_elem(self, meta: Any, c: list[Any]) -> A.KeyElem:
        annos, (e, mk) = self._split(c)
        return A.KeyElem(e, mk, annos, **self._loc(meta))

    @v_args(meta=True)
    def action_ref(self, meta: Any, c: list[Any]) -> A.ActionRef:
        annos, rest = self._split(c)
        args = tuple(rest[1]) if len(rest) > 1 else None
        return A.ActionRef(rest[0], args, annos, **self._loc(meta))

    @v_args(meta=True)
    def entry_action(self, meta: Any, c: list[Any]) -> A.ActionRef:
        args = tuple(c[1]) if len(c) > 1 else ()
        return A.ActionRef(c[0], args, **self._loc(meta))

    @v_args(meta=True)
    def entry(self, meta: Any, c: list[Any]) -> A.Entry:
        annos, rest = self._split(c)
        ks = rest[0]
        keys = ks.items if isinstance(ks, A.TupleKey) else (ks,)
        prio = None
        for a in annos:
            if a.name == "priority" and a.args and isinstance(a.args[0], A.IntLit):
                prio = a.args[0].value
        return A.Entry(keys, rest[1], prio, **self._loc(meta))

    @v_args(meta=True)
    def prio_entry(self, meta: Any, c: list[Any]) -> A.Entry:
        _annos, rest = self._split(c)
        if str(rest[0]) != "priority":
            raise CompileError(
                f"syntax error, unexpected {str(rest[0])!r} (expected priority=)",
                self.pp.loc(meta.line, meta.column),
            )
        prio = rest[1]
        if not isinstance(prio, A.IntLit):
            raise CompileError("entry priority must be an integer literal", prio.loc)
        ks = rest[2]
        keys = ks.items if isinstance(ks, A.TupleKey) else (ks,)
        return A.Entry(keys, rest[3], prio.value, **self._loc(meta))

    def table_key(self, c: list[Any]) -> tuple[str, Any]:
        return ("key", tuple(c))

    def table_actions(self, c: list[Any]) -> tuple[str, Any]:
        return ("actions", tuple(c))

    def table_entries(self, c: list[Any]) -> tuple[str, Any]:
        const = any(isinstance(x, Token) and x.type == "CONST" for x in c)
        return ("entries", (const, tuple(x for x in c if isinstance(x, A.Entry))))

    @v_args(meta=True)
    def table_property(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        const = any(isinstance(x, Token) and x.type == "CONST" for x in c)
        rest = [x for x in c if not isinstance(x, (Token, A.Annotation))]
        annos = tuple(x for x in c if isinstance(x, A.Annotation))
        return ("prop", A.TableProperty(rest[0], rest[1], const, annos, **self._loc(meta)))

    @v_args(meta=True)
    def table_decl(self, meta: Any, c: list[Any]) -> A.TableDecl:
        annos, rest = self._split(c)
        keys = None
        actions: tuple[A.ActionRef, ...] = ()
        entries = None
        econst = False
        props = []
        for kind, v in rest[1:]:
            if kind == "key":
                keys = v
            elif kind == "actions":
                actions = v
            elif kind == "entries":
                econst, entries = v
            else:
                props.append(v)
        return A.TableDecl(
            rest[0],
            keys,
            actions,
            entries,
            econst,
            tuple(props),
            annotations=annos,
            **self._loc(meta),
        )

    @v_args(meta=True)
    def instantiation(self, meta: Any, c: list[Any]) -> A.Instantiation:
        annos, (t, args, n) = self._split(c)
        return A.Instantiation(n, t, tuple(args), annotations=annos, **self._loc(meta))

    @v_args(meta=True)
    def var_decl(self, meta: Any, c: list[Any]) -> A.VarDecl:
        annos, rest = self._split(c)
        init = rest[2] if len(rest) > 2 else None
        return A.VarDecl(rest[1], rest[0], init, annotations=annos, **self._loc(meta))

    # ---------------------------------------------------------- statements
    @v_args(meta=True)
    def block(self, meta: Any, c: list[Any]) -> A.Block:
        return A.Block(tuple(x for x in c if x is not None), **self._loc(meta))

    @v_args(meta=True)
    def exit_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.Exit(**self._loc(meta))

    @v_args(meta=True)
    def return_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.Return(c[0] if c else None, **self._loc(meta))

    @v_args(meta=True)
    def empty_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.EmptyStmt(**self._loc(meta))

    @v_args(meta=True)
    def assignment(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.Assign(c[0], c[1], **self._loc(meta))

    @v_args(meta=True)
    def op_assignment(self, meta: Any, c: list[Any]) -> A.Stmt:
        op = str(c[1])[:-1]
        return A.Assign(c[0], A.Binary(op, c[0], c[2], **self._loc(meta)), **self._loc(meta))

    @v_args(meta=True)
    def call_statement(self, meta: Any, c: list[Any]) -> A.Stmt:
        loc = self._loc(meta)
        return A.CallStmt(A.Call(c[0], tuple(c[1]), **loc), **loc)

    @v_args(meta=True)
    def generic_call_statement(self, meta: Any, c: list[Any]) -> A.Stmt:
        loc = self._loc(meta)
        return A.CallStmt(A.Call(c[0], tuple(c[-1]), tuple(c[2]), **loc), **loc)

    @v_args(meta=True)
    def if_statement(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.If(c[0], c[1], c[2] if len(c) > 2 else None, **self._loc(meta))

    @v_args(meta=True)
    def switch_statement(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.Switch(c[0], tuple(c[1:]), **self._loc(meta))

    @v_args(meta=True)
    def switch_case(self, meta: Any, c: list[Any]) -> A.SwitchCase:
        return A.SwitchCase(c[0], c[1], **self._loc(meta))

    @v_args(meta=True)
    def fallthrough_case(self, meta: Any, c: list[Any]) -> A.SwitchCase:
        return A.SwitchCase(c[0], None, **self._loc(meta))

    def default_label(self, c: list[Any]) -> None:
        return None

    # ---------------------------------------------------------- expressions
    def expr_list(self, c: list[Any]) -> list[Any]:
        return [x for x in c if x is not None]

    def args(self, c: list[Any]) -> list[Any]:
        return [x for x in c if x is not None]

    @v_args(meta=True)
    def dontcare_arg(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.DontCare(**self._loc(meta))

    @v_args(meta=True)
    def int_lit(self, meta: Any, c: list[Any]) -> A.Expr:
        lit = _int_literal(str(c[0]))
        return A.IntLit(lit.value, lit.width, lit.signed, **self._loc(meta))

    @v_args(meta=True)
    def true_lit(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.BoolLit(True, **self._loc(meta))

    @v_args(meta=True)
    def false_lit(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.BoolLit(False, **self._loc(meta))

    @v_args(meta=True)
    def string_lit(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.StrLit(str(c[0])[1:-1], **self._loc(meta))

    @v_args(meta=True)
    def name_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.NameExpr(str(c[-1]), **self._loc(meta))

    @v_args(meta=True)
    def member_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.Member(c[0], c[1], **self._loc(meta))

    @v_args(meta=True)
    def type_member_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.TypeMember(str(c[0]), c[1], **self._loc(meta))

    @v_args(meta=True)
    def error_member_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.TypeMember("error", c[1], **self._loc(meta))

    @v_args(meta=True)
    def index_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.Index(c[0], c[1], **self._loc(meta))

    @v_args(meta=True)
    def slice_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.Slice(c[0], c[1], c[2], **self._loc(meta))

    @v_args(meta=True)
    def call_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.Call(c[0], tuple(c[1]), **self._loc(meta))

    @v_args(meta=True)
    def generic_call_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.Call(c[0], tuple(c[-1]), tuple(c[2]), **self._loc(meta))

    @v_args(meta=True)
    def ctor_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.CtorCall(c[0], tuple(c[1]), **self._loc(meta))

    @v_args(meta=True)
    def list_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.ListExpr(tuple(c[0]), **self._loc(meta))

    @v_args(meta=True)
    def invalid_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.InvalidHeader(**self._loc(meta))

    @v_args(meta=True)
    def ternary_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.Ternary(c[0], c[1], c[2], **self._loc(meta))

    @v_args(meta=True)
    def cast_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.Cast(c[0], c[1], **self._loc(meta))

    @v_args(meta=True)
    def not_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.Unary("!", c[0], **self._loc(meta))

    @v_args(meta=True)
    def compl_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.Unary("~", c[0], **self._loc(meta))

    @v_args(meta=True)
    def neg_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.Unary("-", c[0], **self._loc(meta))

    def _bin(self, op: str, meta: Any, c: list[Any]) -> A.Expr:
        return A.Binary(op, c[0], c[-1], **self._loc(meta))


for _rule, _op in _BINOPS.items():

    def _make(op: str) -> Any:
        @v_args(meta=True)
        def method(self: AstBuilder, meta: Any, c: list[Any]) -> A.Expr:
            return self._bin(op, meta, c)

        return method

    setattr(AstBuilder, _rule, _make(_op))
