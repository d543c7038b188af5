"""Parsing preprocessed P4_16 text into the typed syntax tree (lark, LALR)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import lark
from lark import Token

from . import ast as A
from .ast_builder import AstBuilder
from .errors import CompileError
from .grammar import P4_GRAMMAR
from .preprocess import PreprocessedText

_TYPE_DECL_RE = re.compile(
    r"\b(?:header|header_union|struct|enum|extern|parser|control|package|type|typedef)\s+"
    r"(?:bit\s*<[^>]*>\s+|int\s*<[^>]*>\s+)?([A-Za-z_]\w*)(\s*[<{(;])?"
)
_TYPEDEF_RE = re.compile(r"\b(?:typedef|type)\s+[^;{}]*?\b([A-Za-z_]\w*)\s*;")
_TPARAMS_RE = re.compile(r"\b(?:extern|parser|control|package)\s+[A-Za-z_]\w*\s*<([\w\s,]+)>")
_FUNC_TPARAMS_RE = re.compile(r"\b[A-Za-z_]\w*\s*<\s*([A-Z][\w\s,]*)>\s*\(")
_KEYWORD_TYPES = {"bit", "int", "varbit", "bool", "error", "string", "void"}


def type_parameter_names(text: str) -> set[str]:
    """Names that only occur as type parameters (``extern register<T, I>``, ``f<T>(``)."""
    params: set[str] = set()
    for rx in (_TPARAMS_RE, _FUNC_TPARAMS_RE):
        for m in rx.finditer(text):
            params.update(n.strip() for n in m.group(1).split(",") if n.strip())
    declared = collect_type_names(text, with_parameters=False)
    return params - declared


def collect_type_names(text: str, with_parameters: bool = True) -> set[str]:
    """Names the program declares as types (including type parameters)."""
    names: set[str] = set()
    for m in _TYPE_DECL_RE.finditer(text):
        if m.group(0).lstrip().startswith(("typedef", "type ")) and not m.group(2):
            continue
        if m.group(0).startswith(("extern",)) and m.group(2) and m.group(2).strip() == "(":
            continue  # extern function
        names.add(m.group(1))
    for m in _TYPEDEF_RE.finditer(text):
        names.add(m.group(1))
    for rx in (_TPARAMS_RE, _FUNC_TPARAMS_RE) if with_parameters else ():
        for m in rx.finditer(text):
            for n in m.group(1).split(","):
                if n.strip():
                    names.add(n.strip())
    # extern functions are not types: "extern void f(" / "extern T f<T>("
    for m in re.finditer(r"\bextern\s+[\w<>\s,]+?\s([A-Za-z_]\w*)\s*(?:<[^>]*>)?\s*\(", text):
        names.discard(m.group(1))
    return names - _KEYWORD_TYPES


_TYPE_ARG_TOKENS = {
    "TYPE_IDENT",
    "BIT",
    "INT_T",
    "VARBIT",
    "BOOL",
    "INT",
    "COMMA",
    "ERROR",
    "VOID",
    "__ANON_DONTCARE",
    "UNDERSCORE",
}


_DECL_BEFORE_NAME = {
    "TYPE_IDENT",
    "VOID",
    "MORETHAN",
    "GT_SHIFT",
    "BOOL",
    "ERROR",
    "BIT",
    "INT_T",
    "VARBIT",
    "STRING_T",
    "RSQB",
}


_AFTER_TYPE_PARAM = {
    "IDENT",
    "COMMA",
    "MORETHAN",
    "GT_SHIFT",
    "LSQB",
    "KW_TYPE",
    "KW_KEY",
    "KW_STATE",
    "KW_ENTRIES",
    "KW_ACTIONS",
    "APPLY",
    "__ANON_0",
}


class _PostLex:
    """Marks a ``>`` directly followed by ``>`` (shift operator vs. closing angles)."""

    always_accept: tuple[str, ...] = ("IDENT",)

    def __init__(self, type_names: set[str], params_only: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.type_names = type_names
        self.params_only = params_only

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        toks = list(stream)
        for i, tok in enumerate(toks):
            if tok.type == "IDENT" and tok.value in self.type_names:
                tok.type = "TYPE_IDENT"
                # a name that is only a type parameter (T, H, M of v1model) and is not used
                # like a type here stays an identifier, so programs may use it as a name
                if (
                    tok.value in self.params_only
                    and i + 1 < len(toks)
                    and (toks[i + 1].type not in _AFTER_TYPE_PARAM)
                ):
                    tok.type = "IDENT"
            if (
                i
                and tok.type == "MORETHAN"
                and toks[i - 1].type == "MORETHAN"
                and toks[i - 1].end_pos == tok.start_pos
            ):
                toks[i - 1].type = "GT_SHIFT"
        for i, tok in enumerate(toks):
            if (
                tok.type == "LESSTHAN"
                and i > 1
                and toks[i - 1].type == "IDENT"
                and toks[i - 2].type not in _DECL_BEFORE_NAME
            ) and self._generic_args_end(toks, i):
                tok.type = "GENERIC_LT"
        yield from toks

    @staticmethod
    def _generic_args_end(toks: list[Token], i: int) -> bool:
        """Is toks[i] ('<') the start of type arguments followed by '(' (a generic call)?"""
        depth = 0
        for j in range(i, min(len(toks), i + 64)):
            t = toks[j].type
            if t == "LESSTHAN":
                depth += 1
            elif t in ("MORETHAN", "GT_SHIFT"):
                depth -= 1
                if depth == 0:
                    return j + 1 < len(toks) and toks[j + 1].type == "LPAR"
            elif t not in _TYPE_ARG_TOKENS:
                return False
        return False


@cache
def _lark() -> lark.Lark:
    return lark.Lark(P4_GRAMMAR, parser="lalr", lexer="basic", propagate_positions=True, cache=True)


def parse(pp: PreprocessedText) -> A.Program:
    """Parse preprocessed text; syntax errors become CompileErrors at the original location."""
    type_names = collect_type_names(pp.text)
    try:
        tree = _parse_tree(pp.text, type_names)
    except lark.exceptions.UnexpectedCharacters as e:
        raise pp.error(
            f"syntax error: unexpected character {pp.text[e.pos_in_stream or 0]!r}",
            e.line,
            e.column,
        ) from None
    except lark.exceptions.UnexpectedToken as e:
        tok = e.token
        what = "end of file" if tok.type == "$END" else repr(str(tok))
        if (
            tok.type == "IDENT"
            and tok.end_pos is not None
            and re.match(r"\s*[A-Za-z_]\w*\s*[;=)]", pp.text[tok.end_pos :])
        ):
            raise pp.error(f"{tok}: unknown type", tok.line or 1, tok.column or 1) from None
        line = tok.line if tok.line is not None else pp.text.count("\n")
        col = tok.column if tok.column is not None else 1
        raise pp.error(f"syntax error, unexpected {what}", line, col) from None
    except lark.exceptions.UnexpectedEOF:
        raise pp.error("syntax error, unexpected end of file", pp.text.count("\n"), 1) from None
    try:
        return AstBuilder(pp).transform(tree)
    except lark.exceptions.VisitError as e:
        if isinstance(e.orig_exc, CompileError):
            raise e.orig_exc from None
        raise


def _parse_tree(text: str, type_names: set[str]) -> lark.Tree[Token]:
    parser = _lark()
    post = _PostLex(type_names, type_parameter_names(text))
    # Run the basic lexer, rewrite tokens, then feed the LALR parser.
    toks = post.process(iter(parser.lex(text)))
    ip = parser.parse_interactive("")
    for t in toks:
        ip.feed_token(t)
    return ip.feed_eof()
