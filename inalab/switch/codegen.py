"""Generated Python source, built and compiled once at load: small helpers, and the
fused control flow of a pipeline (see :func:`gen_flow`)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from inalab.switch.tables import Table


class Source:
    """Lines of Python with indentation; :meth:`struct` names a precompiled
    :class:`struct.Struct` (``_Struct`` must be in the namespace it runs in)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.level = 0
        self.structs: dict[str, str] = {}  # format -> global name

    def struct(self, fmt: str) -> str:
        if fmt not in self.structs:
            self.structs[fmt] = f"_ST{len(self.structs)}"
        return self.structs[fmt]

    def add(self, line: str) -> None:
        self.lines.append("    " * self.level + line)

    def prefix(self) -> str:
        return "    " * self.level

    def indent(self) -> None:
        self.level += 1

    def dedent(self) -> None:
        self.level -= 1

    def text(self) -> str:
        head = [f"{name} = _Struct({fmt!r})" for fmt, name in self.structs.items()]
        return "\n".join(head + self.lines) + "\n"


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
DUP_BUDGET = 48  # lines a merge point may add by being copied into its predecessors


@dataclass(frozen=True)
class FlowCond:
    """A two-way node: ``lines``, then the Python expression ``test`` (over ``F``,
    ``V`` and what ``lines`` bound) picks a branch, which runs its ``true_lines`` or
    ``false_lines`` and goes on to its successor. A conditional is only a test; a
    table applied for ``hit``/``miss`` looks up its entry in ``lines``."""

    test: str
    true_next: str | None
    false_next: str | None
    lines: tuple[str, ...] = ()
    true_lines: tuple[str, ...] = ()
    false_lines: tuple[str, ...] = ()
    may_exit: bool = False  # the branch lines may run an action that exits

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


def simplify_test(expr: str) -> str:
    """``expr`` for use as an ``if`` test: ``bool(x)`` wrappers that only change the
    value, not the truth, dropped (under ``and``/``or``/``not`` too)."""

    def strip(node: ast.expr) -> ast.expr:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "bool"
            and len(node.args) == 1
            and not node.keywords
        ):
            return strip(node.args[0])
        if isinstance(node, ast.BoolOp):
            node.values = [strip(v) for v in node.values]
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            node.operand = strip(node.operand)
        return node

    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return expr
    return ast.unparse(strip(tree.body))


def _successors(node: FlowNode) -> list[str | None]:
    if isinstance(node, FlowCond):
        return [node.true_next, node.false_next]
    return list(node.successors) if node.dynamic else [node.next]


def _own_lines(node: FlowNode) -> int:
    if isinstance(node, FlowCond):
        return len(node.lines) + 2 + len(node.true_lines) + len(node.false_lines)
    return len(node.lines) + 2


def _duplicated(
    init: str, nodes: dict[str, FlowNode], seen: set[str], indeg: dict[str, int], merges: set[str]
) -> set[str]:
    """Merge points small enough to be copied into each predecessor instead of being
    a function of their own (tail duplication): a function call per packet saved for
    at most DUP_BUDGET more lines. Needs the graph acyclic (bmv2's is); a node entered
    from a lookup table (a dynamic successor) always stays a function."""
    dynamic: set[str] = set()
    for n in seen:
        node = nodes[n]
        if isinstance(node, FlowStep) and node.dynamic:
            dynamic.update(node.successors)
    # reverse topological order: successors first
    left = {n: 0 for n in seen}
    for n in seen:
        for s in _successors(nodes[n]):
            if s is not None:
                left[n] += 1
    preds: dict[str, list[str]] = {n: [] for n in seen}
    for n in seen:
        for s in _successors(nodes[n]):
            if s is not None:
                preds[s].append(n)
    ready = [n for n, k in left.items() if k == 0]
    order: list[str] = []
    while ready:
        n = ready.pop()
        order.append(n)
        for m in preds[n]:
            left[m] -= 1
            if left[m] == 0:
                ready.append(m)
    if len(order) != len(seen):
        return set()  # a cycle: no duplication
    size: dict[str, int] = {}
    dup: set[str] = set()
    for n in order:
        total = _own_lines(nodes[n])
        for s in _successors(nodes[n]):
            total += 1 if s is None or (s in merges and s not in dup) else size[s]
        size[n] = total
        small = total * (indeg.get(n, 0) - 1) <= DUP_BUDGET
        if small and n in merges and n != init and n not in dynamic:
            dup.add(n)
    return dup


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
    merges = {n for n in order if n == init or indeg.get(n, 0) > 1}
    merges -= _duplicated(init, nodes, seen, indeg, merges)
    funcs = {n: f"{prefix}_{i}" for i, n in enumerate(order) if n in merges}
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
            for line in node.lines:
                src.add(line)
            for head, lines, nxt in (
                (f"if {simplify_test(node.test)}:", node.true_lines, node.true_next),
                ("else:", node.false_lines, node.false_next),
            ):
                src.add(head)
                src.indent()
                for line in lines:
                    src.add(line)
                if node.may_exit and lines:
                    src.add("if p.exit: return None")
                emit(nxt, depth + 1)
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

    emit_functions(src, funcs, queue, emit)
    return funcs


def emit_functions(
    src: Source, funcs: dict[str, str], queue: list[str], emit: Callable[[str, int], None]
) -> None:
    """Write ``def funcs[n](p):`` with ``emit(n, 0)`` as its body for each node ``n``
    of ``queue``, once each, in order; ``emit`` may append nodes to ``queue``."""
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


MAX_INLINE = 24  # lines of an action body inlined into the fused flow


def flow_table(
    t: dict[str, Any],
    table: Table,
    tid: str,
    key: str,
    may_exit: bool,
    ns: dict[str, Any],
    default_body: list[str] | None = None,
) -> FlowNode:
    """Table ``t`` (its JSON; ``key`` its Python key expression) as a fused node. Its
    per-node function must be ``TN_<tid>`` in ``ns``; the node's globals go there too.

    A keyless table runs its default action (a const one called directly) unless an
    entry with the empty key was added; a simple table without meter or ageing whose
    successor depends only on hit/miss looks its entry up inline (counting the hit
    as the per-node function does); any other table runs its per-node function.
    A short const default action (``default_body``, its straight-line code) is
    inlined with its data bound to ``d``."""
    nt = t.get("next_tables", {}) or {}
    if "__HIT__" in nt or "__MISS__" in nt:
        hit, miss = nt.get("__HIT__"), nt.get("__MISS__")
        possible = {hit, miss}
        static = True
    else:
        possible = {*nt.values(), t.get("base_default_next")}
        hit = miss = next(iter(possible))
        static = len(possible) == 1
    ns[f"TBL_{tid}"] = table
    if table.default_const and table.default_fn is not None:
        ns[f"DEF_{tid}"] = table.default_fn
        ns[f"DD_{tid}"] = table.default_data
        miss_lines: tuple[str, ...] = (f"DEF_{tid}(p, DD_{tid})",)
        if default_body is not None and len(default_body) <= MAX_INLINE:
            miss_lines = (f"d = DD_{tid}", *default_body)
    else:
        miss_lines = (
            f"_f = TBL_{tid}.default_fn",
            f"if _f is not None: _f(p, TBL_{tid}.default_data)",
        )
    if static and not table.keys and table.mode == "exact":
        guard = f"if TBL_{tid}.exact: return TN_{tid}(p)"  # per-node functions from here
        return FlowStep((guard, *miss_lines), miss, may_exit=may_exit)
    if (
        static
        and table.keys
        and table.kind == "simple"  # an entry holds its action (no profile member)
        and table.direct_meter is None
        and not table.support_timeout
    ):
        look = f"TBL_{tid}.exact.get" if table.mode == "exact" else f"TBL_{tid}.lookup"
        return FlowCond(
            "_e is not None",
            hit,
            miss,
            lines=(f"_e = {look}({key})",),
            true_lines=("_e.packets += 1; _e.bytes_ += p.in_len", "_e.fn(p, _e.data)"),
            false_lines=miss_lines,
            may_exit=may_exit,
        )
    if len(possible) == 1:
        return FlowStep((f"TN_{tid}(p)",), possible.pop(), may_exit=may_exit)
    succ = tuple(sorted(x for x in possible if x is not None))
    return FlowStep((f"_n = TN_{tid}(p)",), None, True, may_exit, succ)


def gen_checksums(checksums: list[tuple[str, str, int, int, bool, bool]], error: int) -> Source:
    """``ck_verify(p)`` and ``ck_update(p)``: a program's checksums, each given as
    (if-test, calculation function, target slot, width, verify, update), in order;
    a failed verification sets slot ``error`` (standard_metadata.checksum_error)."""
    src = Source()
    for kind in ("verify", "update"):
        src.add(f"def ck_{kind}(p):")
        src.indent()
        src.add("F = p.F; V = p.V; d = ()")
        for test, calc, slot, width, verify, update in checksums:
            m = (1 << width) - 1
            if kind == "verify" and verify:
                src.add(f"if {test}:")
                src.add(f"    if {calc}(p) & {m} != F[{slot}]: F[{error}] = 1")
            elif kind == "update" and update:
                src.add(f"if {test}:")
                src.add(f"    F[{slot}] = {calc}(p) & {m}")
        src.add("return None")
        src.dedent()
    return src
