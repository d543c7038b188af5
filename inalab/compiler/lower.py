"""Lowering of a checked v1model program to bmv2 JSON: blocks, actions, tables, control flow."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import ast as A
from .controlflow import ControlFlowLowering
from .errors import CompileError, UnsupportedError
from .exprs import ExprLowering, Scope, Val, as_data, hex_value
from .externs import ExternObjects
from .instances import Instances
from .typesys import Env, StackT, StructLikeT, Type

Json = dict[str, Any]
Setter = Callable[[str | None], None]


class Lowering(ControlFlowLowering):
    """One lowering run of a program: ``run()`` returns the bmv2 JSON."""

    def __init__(self, env: Env, filename: str) -> None:
        self.env = env
        self.filename = filename
        self.inst = Instances()
        self.objs = ExternObjects()
        self.ex = ExprLowering(env, self)
        self.actions: list[Json] = []
        self.action_ids: dict[str, int] = {}
        self._action_keys: dict[str, int] = {}
        self.action_info: dict[str, dict[str, Any]] = {}
        self.tables_info: list[dict[str, Any]] = []
        self.pipelines: list[Json] = []
        self.parsers: list[Json] = []
        self.deparsers: list[Json] = []
        self.checksums: list[Json] = []
        self.parse_vsets: list[Json] = []
        self.vset_info: list[dict[str, Any]] = []
        self.controller_headers: list[StructLikeT] = []
        self.node_count = 0
        self.table_count = 0
        self.cur_prims: list[Json] | None = None
        self.annotated_lists: dict[int, list[Json]] = {}
        self._inlining: set[str] = set()
        self.allow_lookahead = False
        self.in_action = False
        self.parser_ops = False
        self._leaves = 0
        self._returns: list[list[Setter]] = []
        self._seq_returned = False
        self._switch_count = 0
        self._reapply = ""
        self._synth: dict[str, int] = {}
        self.globals = Scope()
        self.prog_tag = re.sub(r"[^A-Za-z0-9_]", "", Path(filename).stem)

    # ================================================================ program
    def run(self) -> Json:
        env = self.env
        if env.main is None:
            raise CompileError("no package instantiation named main", None)
        main = env.main
        if not isinstance(main.type, A.NamedTypeRef) or main.type.name != "V1Switch":
            raise UnsupportedError("architecture other than v1model V1Switch", main.loc)
        if len(main.args) != 6:
            raise CompileError("V1Switch takes 6 arguments", main.loc)
        global_externs = self.top_level_externs()
        blocks: list[A.ParserDecl | A.ControlDecl] = []
        ctor_args: list[tuple[A.Expr, ...]] = []
        args = env.main_blocks()
        for a in args:
            if not isinstance(a, A.CtorCall) or not isinstance(a.type, A.NamedTypeRef):
                raise UnsupportedError(
                    "V1Switch argument that is not a parser/control instance", a.loc
                )
            d = env.parsers.get(a.type.name) or env.controls.get(a.type.name)
            if d is None:
                raise CompileError(f"{a.type.name}: declaration not found", a.loc)
            blocks.append(d)
            ctor_args.append(a.args)
        # constructor arguments of the six blocks: constants bound in each block's scope
        ctors = [
            self.bind_ctor_args(d, cargs, self.globals, d.name, a)
            for d, cargs, a in zip(blocks, ctor_args, args, strict=True)
        ]
        parser, vck, ig, eg, ck, dep = blocks
        if not isinstance(parser, A.ParserDecl):
            raise CompileError("first V1Switch argument must be a parser", main.args[0].loc)
        hdr_t = env.resolve(parser.params[1].type)
        meta_t = env.resolve(parser.params[2].type)
        sm_t = env.types["standard_metadata_t"]
        assert isinstance(sm_t, StructLikeT)
        sm = self.inst.header(
            "standard_metadata", StructLikeT("standard_metadata", "header", sm_t.fields), True
        )
        sm = Val(sm.json, sm_t, "header", name="standard_metadata")
        hdrs = self._struct_instances(hdr_t, "", parser.params[1])
        meta = self._metadata(meta_t, parser.params[2])
        self.parsers.append(self._parser(parser, [None, hdrs, meta, sm], ctors[0]))
        for d in (ig, eg):
            if not isinstance(d, A.ControlDecl):
                raise CompileError("ingress/egress must be controls", d.loc)
        self.pipelines.append(self._pipeline("ingress", ig, [hdrs, meta, sm], ctors[2]))  # type: ignore[arg-type]
        self.pipelines.append(self._pipeline("egress", eg, [hdrs, meta, sm], ctors[3]))  # type: ignore[arg-type]
        for d, verify, ctor in ((vck, True, ctors[1]), (ck, False, ctors[4])):
            assert isinstance(d, A.ControlDecl)
            self._checksum_control(d, [hdrs, meta], verify, ctor)
        assert isinstance(dep, A.ControlDecl)
        self.deparsers.append(self._deparser(dep, [None, hdrs], ctors[5]))
        self.objs.move_to_end(global_externs)
        self.inst.finish()
        return self._json()

    def _struct_instances(self, t: Type, prefix: str, where: A.Node) -> Val:
        if not isinstance(t, StructLikeT) or t.kind != "struct":
            raise CompileError("the parsed headers type must be a struct", where.loc)
        members: dict[str, Val] = {}
        for fname, ft in t.fields:
            name = f"{prefix}{fname}"
            if isinstance(ft, StructLikeT) and ft.kind == "header":
                members[fname] = self.inst.header(name, ft)
                if any(a.name == "controller_header" for a in ft.annotations):
                    self.controller_headers.append(ft)
            elif isinstance(ft, StackT):
                members[fname] = self.inst.stack(name, ft)
            elif isinstance(ft, StructLikeT) and ft.kind == "header_union":
                members[fname] = self.inst.union(name, ft)
            elif isinstance(ft, StructLikeT):
                members[fname] = self._struct_instances(ft, f"{name}.", where)
            else:
                raise CompileError(
                    f"field {fname} of the headers struct is not a header", where.loc
                )
        return Val({"type": "struct", "value": prefix}, t, "struct", members=members)

    def _metadata(self, t: Type, where: A.Node) -> Val:
        if not isinstance(t, StructLikeT) or t.kind != "struct":
            raise CompileError("the metadata type must be a struct", where.loc)
        members: dict[str, Val] = {}
        decl = self.env.decls.get(t.name)
        annos = {f.name: f.annotations for f in getattr(decl, "fields", ())}
        for fname, ft in t.fields:
            self._metadata_field(t, fname, ft, members)
            for a in annos.get(fname, ()):
                if a.name == "field_list":
                    from .externs import flatten_fields

                    for arg in a.args:
                        idx = self.env.const_value(arg)
                        if isinstance(idx, int):
                            self.annotated_lists.setdefault(idx, []).extend(
                                f.json for f in flatten_fields(members[fname], a)
                            )
        return Val({"type": "struct", "value": t.name}, t, "struct", members=members)

    def _metadata_field(
        self, t: StructLikeT, fname: str, ft: Type, members: dict[str, Val]
    ) -> None:
        """User metadata goes to scalars as ``<Type>.<field>``; when the struct nests
        structs, p4c flattens every field to ``<Type>._<path>_<field><n>`` (n counts the
        leaves), and so do we."""
        nested = any(isinstance(x, StructLikeT) and x.kind == "struct" for _, x in t.fields)
        if isinstance(ft, StructLikeT) and ft.kind == "header":
            members[fname] = self.inst.header(fname, ft)
        elif isinstance(ft, StructLikeT) and ft.kind == "struct":
            members[fname] = self._flat_struct(t.name, [fname], ft)
        elif nested:
            members[fname] = self.inst.variable(f"{t.name}._{fname}{self._leaf()}", ft)
        else:
            members[fname] = self.inst.variable(f"{t.name}.{fname}", ft)

    def _leaf(self) -> int:
        self._leaves += 1
        return self._leaves - 1

    def _flat_struct(self, tname: str, path: list[str], st: StructLikeT) -> Val:
        inner: dict[str, Val] = {}
        for f2, t2 in st.fields:
            if isinstance(t2, StructLikeT) and t2.kind == "struct":
                inner[f2] = self._flat_struct(tname, [*path, f2], t2)
            elif isinstance(t2, StructLikeT) and t2.kind == "header":
                inner[f2] = self.inst.header(f"{'.'.join(path)}.{f2}", t2)
            else:
                name = f"{tname}._{'_'.join(path)}_{f2}{self._leaf()}"
                inner[f2] = self.inst.variable(name, t2)
        return Val({"type": "struct"}, st, "struct", members=inner)

    # ================================================================ parser / deparser / checksums
    def _parser(self, d: A.ParserDecl, vals: list[Val | None], ctor: dict[str, Val]) -> Json:
        from .parsers import lower_parser

        return lower_parser(self, d, self._bind_params(d, vals, ctor))

    def _deparser(self, d: A.ControlDecl, vals: list[Val | None], ctor: dict[str, Val]) -> Json:
        from .parsers import lower_deparser

        return lower_deparser(self, d, self._bind_params(d, vals, ctor))

    def _checksum_control(
        self, d: A.ControlDecl, vals: list[Val], verify: bool, ctor: dict[str, Val]
    ) -> None:
        from .parsers import lower_checksums

        lower_checksums(self, d, self._bind_params(d, vals, ctor), verify)  # type: ignore[arg-type]

    # ================================================================ output
    def _json(self) -> Json:
        errors = [[n, i] for i, n in enumerate(self.env.errors)]
        enums: list[Json] = []
        for t in self.env.types.values():
            from .typesys import EnumT

            if (
                isinstance(t, EnumT)
                and t.underlying is not None
                and t.name not in {e["name"] for e in enums}
            ):
                enums.append({"name": t.name, "entries": [[m, t.value_of(m)] for m in t.members]})
        return {
            "header_types": self.inst.header_types,
            "headers": self.inst.headers,
            "header_stacks": self.inst.header_stacks,
            "header_union_types": self.inst.header_union_types,
            "header_unions": self.inst.header_unions,
            "header_union_stacks": [],
            "field_lists": self.objs.field_lists,
            "errors": errors,
            "enums": enums,
            "parsers": self.parsers,
            "parse_vsets": self.parse_vsets,
            "deparsers": self.deparsers,
            "meter_arrays": self.objs.meter_arrays,
            "counter_arrays": self.objs.counter_arrays,
            "register_arrays": self.objs.register_arrays,
            "calculations": self.objs.calculations,
            "learn_lists": self.objs.learn_lists,
            "actions": self.actions,
            "pipelines": self.pipelines,
            "checksums": self.checksums,
            "force_arith": [],
            "extern_instances": [],
            "field_aliases": [[f"{a}", ["standard_metadata", f]] for a, f in _ALIASES],
            "program": self.filename,
            "__meta__": {"version": [2, 23], "compiler": "https://github.com/p4lang/p4c"},
        }


_ALIASES = [
    ("queueing_metadata.enq_timestamp", "enq_timestamp"),
    ("queueing_metadata.enq_qdepth", "enq_qdepth"),
    ("queueing_metadata.deq_timedelta", "deq_timedelta"),
    ("queueing_metadata.deq_qdepth", "deq_qdepth"),
    ("intrinsic_metadata.ingress_global_timestamp", "ingress_global_timestamp"),
    ("intrinsic_metadata.egress_global_timestamp", "egress_global_timestamp"),
    ("intrinsic_metadata.mcast_grp", "mcast_grp"),
    ("intrinsic_metadata.egress_rid", "egress_rid"),
    ("intrinsic_metadata.priority", "priority"),
]
_ = (as_data, hex_value)
