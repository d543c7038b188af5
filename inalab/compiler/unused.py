"""p4c's warnings on unused declarations (frontends/p4/unusedDeclarations.cpp): a control
or parser type no instance uses, a table its control never applies, an instance nothing
refers to. Warnings only: unused objects never reach the JSON or the P4Info anyway (tables
are emitted when applied, blocks when instantiated)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from . import ast as A
from .diagnostics import warn
from .typesys import Env


def _nodes(x: Any) -> Iterator[A.Node]:
    """Every syntax node inside ``x`` (a node, or a tuple of them), ``x`` included."""
    stack = [x]
    while stack:
        n = stack.pop()
        if isinstance(n, tuple):
            stack.extend(n)
        elif isinstance(n, A.Node):
            yield n
            stack.extend(getattr(n, f.name) for f in dataclasses.fields(n))


def _names(x: Any) -> set[str]:
    out = {n.name for n in _nodes(x) if isinstance(n, A.NameExpr)}
    out |= {n.name for n in _nodes(x) if isinstance(n, A.NamedTypeRef)}
    return out


def _block_type(t: A.TypeRef) -> str | None:
    return t.name if isinstance(t, A.NamedTypeRef) else None


def warn_unused(env: Env) -> None:
    """Report the unused declarations of a program that compiled."""
    if env.main is None:
        return
    blocks: dict[str, A.ControlDecl | A.ParserDecl] = {**env.controls, **env.parsers}
    used: set[str] = set()
    main_args = env.main_blocks()  # top-level instances named by main: their instantiation
    todo = [_block_type(a.type) for a in main_args if isinstance(a, A.CtorCall)]
    while todo:
        name = todo.pop()
        if name is None or name in used or name not in blocks:
            continue
        used.add(name)
        for d in blocks[name].locals:
            if isinstance(d, A.Instantiation):
                todo.append(_block_type(d.type))
            todo.extend(n for n in _names(d) if n in blocks)  # constructor arguments
    for name, b in blocks.items():
        if name not in used:
            kind = "Control" if isinstance(b, A.ControlDecl) else "Parser"
            warn("unused", f"{kind} {name} is not used; removing", b.loc)
    # top-level instances may be passed to main's blocks or used by top-level actions
    refs: set[str] = _names(env.main.args) | _names(main_args)
    refs |= _names((tuple(env.actions.values()), tuple(env.functions.values())))
    for name in used:
        b = blocks[name]
        body = b.body if isinstance(b, A.ControlDecl) else b.states
        local_refs = _names((body, b.locals))
        refs |= local_refs
        for d in b.locals:
            if isinstance(d, A.TableDecl) and d.name not in local_refs:
                warn("unused", f"Table {d.name} is not used; removing", d.loc)
            elif isinstance(d, A.Instantiation) and d.name not in local_refs:
                warn("unused", f"{d.name}: unused instance", d.loc)
    for d in env.decls.values():
        if isinstance(d, A.Instantiation) and d.name != "main" and d.name not in refs:
            warn("unused", f"{d.name}: unused instance", d.loc)
