"""State shared by the lowering passes (declared here so each pass module type-checks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import ast as A
from .exprs import ExprLowering, Scope, Val
from .externs import ExternObjects
from .instances import Instances
from .typesys import Env, StructLikeT

Json = dict[str, Any]
Setter = Callable[[str | None], None]


class LoweringState:
    """Attributes of a lowering run; set up by ``lower.Lowering.__init__``."""

    env: Env
    filename: str
    inst: Instances
    objs: ExternObjects
    ex: ExprLowering
    actions: list[Json]
    action_ids: dict[str, int]
    _action_keys: dict[str, int]
    action_info: dict[str, dict[str, Any]]
    tables_info: list[dict[str, Any]]
    pipelines: list[Json]
    controller_headers: list[StructLikeT]
    node_count: int
    table_count: int
    cur_prims: list[Json] | None
    annotated_lists: dict[int, list[Json]]
    _inlining: set[str]
    allow_lookahead: bool
    _synth: dict[str, int]
    prog_tag: str
    _returns: list[list[Setter]]
    _seq_returned: bool
    _switch_count: int

    def _source_info(self, node: A.Node) -> Json:
        return {
            "filename": node.loc.file,
            "line": node.loc.line,
            "column": max(node.loc.col - 1, 0),
            "source_fragment": node.frag.rstrip(";").rstrip(),
        }

    def _bind_params(self, d: A.ParserDecl | A.ControlDecl, vals: list[Val | None]) -> Scope:
        scope = Scope()
        for p, v in zip(d.params, vals, strict=False):
            if v is None:
                t = self.env.resolve(p.type)
                scope.names[p.name] = Val({"type": "extern"}, t, "extern", name=p.name)
            else:
                scope.names[p.name] = v
        return scope
