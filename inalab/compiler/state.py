"""State shared by the lowering passes (declared here so each pass module type-checks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import ast as A
from .errors import CompileError, UnsupportedError
from .exprs import ExprLowering, Scope, Val
from .externs import ExternObjects, instantiate
from .instances import Instances
from .typesys import Env, ExternT, StructLikeT, extern_fits, type_name

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
    in_action: bool  # lowering an action's body (jumps allowed), not a parser state
    parser_ops: bool  # cur_prims is a parser state's op list: _emit writes parser ops
    _synth: dict[str, int]
    prog_tag: str
    _returns: list[list[Setter]]
    _seq_returned: bool
    _switch_count: int
    globals: Scope  # the program's top-level extern instances, parent of every block scope
    _reapply: str  # set while a control instance is inlined again: keys its action copies

    def _source_info(self, node: A.Node) -> Json:
        return {
            "filename": node.loc.file,
            "line": node.loc.line,
            "column": max(node.loc.col - 1, 0),
            "source_fragment": node.frag.rstrip(";").rstrip(),
        }

    def _bind_params(
        self,
        d: A.ParserDecl | A.ControlDecl,
        vals: list[Val | None],
        ctor: dict[str, Val] | None = None,
    ) -> Scope:
        scope = Scope(self.globals)
        scope.names.update(ctor or {})
        for p, v in zip(d.params, vals, strict=False):
            if v is None:
                t = self.env.resolve(p.type)
                scope.names[p.name] = Val({"type": "extern"}, t, "extern", name=p.name)
            else:
                scope.names[p.name] = v
        return scope

    def bind_ctor_args(
        self,
        d: A.ParserDecl | A.ControlDecl,
        args: tuple[A.Expr, ...],
        outer: Scope,
        fq: str,
        where: A.Node,
    ) -> dict[str, Val]:
        """Values of a parser/control's constructor parameters for one instance ``fq``
        (p4c specializes the type per instance; we bind the values in the instance's scope
        when it is inlined). Arguments are compile-time constants, evaluated in the
        instantiating scope ``outer``, extern instantiations, which become objects named
        ``<fq>.<parameter>`` (p4c's name), or extern instances visible in ``outer`` (top
        level or the instantiating control), passed on as they are: the block shares that
        object and its name. Missing arguments take the parameter's default."""
        params = d.ctor_params
        if len(args) > len(params):
            raise CompileError(
                f"{d.name} takes {len(params)} constructor argument(s), not {len(args)}",
                where.loc,
            )
        bound: dict[str, Val] = {}
        for i, p in enumerate(params):
            arg = args[i] if i < len(args) else p.default
            if arg is None:
                raise CompileError(
                    f"{d.name}: no value for constructor parameter {p.name}", where.loc
                )
            t = self.env.resolve(p.type)
            if isinstance(arg, A.CtorCall) and isinstance(t, ExternT):
                at = self.env.resolve(arg.type)
                if not isinstance(at, ExternT) or at.name != t.name:
                    raise CompileError(
                        f"constructor parameter {p.name} of {d.name} needs a {t.name}", arg.loc
                    )
                name = f"{fq}.{p.name}"
                if self._reapply and name in self.objs.info:  # instance applied again
                    bound[p.name] = Val({"type": "extern", "value": name}, at, "extern", name=name)
                    continue
                decl = A.Instantiation(p.name, arg.type, arg.args, loc=arg.loc)
                vals = [self.ex.lower(a, outer) for a in arg.args]
                bound[p.name] = instantiate(self.objs, decl, name, at, vals)
                continue
            if isinstance(t, ExternT):
                # an instance declared elsewhere (top level or the instantiating block):
                # the block uses that object, under its own name (p4c passes it through)
                v = self.ex.lower(arg, outer)
                vt = v.type
                if v.kind != "extern" or not extern_fits(vt, t):
                    raise CompileError(
                        f"constructor parameter {p.name} of {d.name} needs a {type_name(t)}",
                        arg.loc,
                    )
                bound[p.name] = v
                continue
            v = self.ex.coerce(self.ex.lower(arg, outer, t), t, arg)
            if v.kind != "const":
                raise UnsupportedError(
                    f"constructor argument for {p.name} of {d.name} that is not a compile-time "
                    f"constant ({type_name(t)})",
                    arg.loc,
                )
            bound[p.name] = v
        return bound
