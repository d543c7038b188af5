"""Generated Python source, built and compiled once at load: small helpers, and the
fused control flow of a pipeline (see :func:`gen_flow`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Source:
    """Lines of Python with indentation."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.level = 0

    def add(self, line: str) -> None:
        self.lines.append("    " * self.level + line)

    def indent(self) -> None:
        self.level += 1

    def dedent(self) -> None:
        self.level -= 1

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def compile_functions(src: str, namespace: dict[str, Any], filename: str) -> dict[str, Any]:
    """Exec ``src`` in ``namespace`` (which then holds the defined functions)."""
    code = compile(src, filename, "exec")
    exec(code, namespace)
    return namespace


def mask(width: int) -> int:
    return (1 << width) - 1


# --------------------------------------------------------------- fused control flow
# With tracing off, a pipeline's control graph (conditionals and tables, bmv2's
# ``next`` links) runs as a few generated functions instead of one call per node:
# a node with a single predecessor is inlined into it (an ``if``/``else`` for a
# conditional, the table's code followed by its successor for a table), so that
# only the merge points of the graph stay separate functions. Each function
# returns the next one, as the per-node functions do, so the driver loop and its
# ``exit`` check stay as they are.

MAX_DEPTH = 40  # indentation levels before a node becomes its own function


@dataclass(frozen=True)
class FlowCond:
    """A conditional: Python expression ``test`` over ``F``/``V``, two successors."""

    test: str
    true_next: str | None
    false_next: str | None

    def __post_init__(self) -> None:
        if not self.test:
            raise ValueError("a conditional needs a test expression")


@dataclass(frozen=True)
class FlowStep:
    """A table: ``lines`` run it (binding ``_n``, the next per-node function, when
    ``dynamic``); then ``next`` (a static successor) or the node ``_n`` names."""

    lines: tuple[str, ...]
    next: str | None
    dynamic: bool = False
    may_exit: bool = False
    successors: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.dynamic and self.next is not None:
            raise ValueError("a step has a static or a dynamic successor, not both")


FlowNode = FlowCond | FlowStep


def _successors(node: FlowNode) -> list[str | None]:
    if isinstance(node, FlowCond):
        return [node.true_next, node.false_next]
    return list(node.successors) if node.dynamic else [node.next]


def gen_flow(src: Source, prefix: str, init: str, nodes: dict[str, FlowNode]) -> dict[str, str]:
    """Generate the fused functions of one pipeline into ``src``; returns node name ->
    function name for every node that became a function (``init`` among them)."""
    indeg: dict[str, int] = {}
    seen = {init}
    todo = [init]
    while todo:
        n = todo.pop()
        node = nodes[n]
        for s in _successors(node):
            if s is None:
                continue
            # a dynamic successor is entered from a lookup table, never inlined
            indeg[s] = indeg.get(s, 0) + (2 if isinstance(node, FlowStep) and node.dynamic else 1)
            if s not in seen:
                seen.add(s)
                todo.append(s)
    order = sorted(seen, key=lambda x: (x != init, x))
    funcs = {n: f"{prefix}_{i}" for i, n in enumerate(order) if n == init or indeg.get(n, 0) > 1}
    queue = list(funcs)

    def emit(n: str | None, depth: int) -> None:
        if n is None:
            src.add("return None")
            return
        if n in funcs and depth > 0:
            src.add(f"return {funcs[n]}")
            return
        if depth > MAX_DEPTH:
            funcs[n] = f"{prefix}_{len(order) + len(funcs)}"
            queue.append(n)
            src.add(f"return {funcs[n]}")
            return
        node = nodes[n]
        if isinstance(node, FlowCond):
            src.add(f"if {node.test}:")
            src.indent()
            emit(node.true_next, depth + 1)
            src.dedent()
            src.add("else:")
            src.indent()
            emit(node.false_next, depth + 1)
            src.dedent()
            return
        for line in node.lines:
            src.add(line)
        if node.may_exit:
            src.add("if p.exit: return None")
        if node.dynamic:
            src.add(f"return FMAP_{prefix}.get(_n, _n)")
        else:
            emit(node.next, depth + 1)

    done: set[str] = set()
    while queue:
        n = queue.pop(0)
        if n in done:
            continue
        done.add(n)
        src.add(f"def {funcs[n]}(p):")
        src.indent()
        src.add("F = p.F; V = p.V; d = ()")
        emit(n, 0)
        src.dedent()
    return funcs
