"""Loading a bmv2 JSON program: validation and code generation, done once.

:class:`Program` holds the generated parser/pipeline/deparser functions and
the program's control-plane objects (tables, profiles, counters, meters,
registers, value sets, field and learn lists).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inalab.switch.action_profiles import ActionProfile
from inalab.switch.actions import ActionCompiler, Names
from inalab.switch.calculations import gen_calculation, gen_field_bits
from inalab.switch.codegen import (
    FlowCond,
    FlowNode,
    Source,
    compile_functions,
    flow_table,
    gen_checksums,
    gen_flow,
    simplify_test,
)
from inalab.switch.control import GroupRef, MemberRef
from inalab.switch.deparser import compile_deparser
from inalab.switch.errors import WHERE, JsonError, at_path
from inalab.switch.expressions import RUNTIME, ExprCompiler
from inalab.switch.hashes import ALGORITHMS, csum16_int
from inalab.switch.packet import Packet, make_runtime
from inalab.switch.parser import ParserCompiler
from inalab.switch.program import (
    Json,
    Layout,
    at,
    build_layout,
    check_top_level,
    check_version,
    parse_json,
)
from inalab.switch.stateful import CounterArray, MeterArray, RegisterArray
from inalab.switch.tables import CONST_PRIORITY_BASE, ActionInfo, KeySpec, Table

trace_log = logging.getLogger("inalab.switch.trace")
Node = Callable[[Packet], Any]

KNOWN_EXTERNS: set[str] = set()
REQUIRED_SM = (
    "ingress_port", "egress_spec", "egress_port", "instance_type", "packet_length",
    "enq_timestamp", "enq_qdepth", "deq_timedelta", "deq_qdepth", "ingress_global_timestamp",
    "egress_global_timestamp", "mcast_grp", "egress_rid", "checksum_error", "parser_error",
    "priority",
)  # fmt: skip  # v1model needs none; any extern instance fails loudly


@dataclass(frozen=True)
class Checksum:
    name: str
    cond: Callable[[Packet], bool]
    calc: Callable[[Packet], int]
    slot: int
    width: int
    verify: bool
    update: bool


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


def _parse_key_value(s: str, width: int, path: str) -> int:
    try:
        return int(s, 16) & ((1 << width) - 1) if width else int(s, 16)
    except (TypeError, ValueError):
        raise JsonError(path, f"bad hex value {s!r}") from None


class Program:
    def __init__(self, source: str | bytes | dict[str, object], drop_port: int = 511) -> None:
        at_path("")
        try:
            self._load(source, drop_port)
        except JsonError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, SyntaxError) as exc:
            what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise JsonError(WHERE.path, f"malformed program ({what})") from None

    def _load(self, source: str | bytes | dict[str, object], drop_port: int) -> None:
        j = parse_json(source)
        check_version(j)
        check_top_level(j)
        self.json: Json = j
        self.drop_port = drop_port
        lay = build_layout(j)
        self.layout: Layout = lay
        for i, ext in enumerate(j.get("extern_instances", []) or []):
            if ext.get("type") not in KNOWN_EXTERNS:
                raise JsonError(
                    f"extern_instances[{i}]", f"unsupported extern type '{ext.get('type')}'"
                )
        self.sm = {
            n: lay.field_slot("standard_metadata", n, "standard_metadata")[0]
            for n, _, _ in lay.by_name["standard_metadata"].fields
        }
        for need in REQUIRED_SM:
            if need not in self.sm:
                raise JsonError(
                    "header_types[standard_metadata]", f"v1model field '{need}' is missing"
                )
        ns: dict[str, Any] = dict(RUNTIME)
        ns.update(make_runtime(lay))
        ns["TRACE"] = False
        ns["_trace"] = lambda p, msg: trace_log.debug("[%d.%d] %s", p.pid, p.copy, msg)
        ns["_ERRNAMES"] = {v: k for k, v in lay.errors.items()}
        for a, fn in ALGORITHMS.items():
            ns[f"ALG_{a}"] = fn
        ns["_csum16_int"] = csum16_int
        ns["_Struct"] = struct.Struct
        self.ns = ns
        names = Names()
        names.drop_port = drop_port
        names.sm = {k: v for k, v in self.sm.items()}
        self._objects(j, ns, names)
        self.vsets: dict[str, dict[tuple[int, int | None], None]] = {}
        self.vset_widths: dict[str, int] = {}
        for i, vs in enumerate(j.get("parse_vsets", []) or []):
            self.vsets[at(vs, "name", f"parse_vsets[{i}]")] = {}
            self.vset_widths[vs["name"]] = int(vs.get("compressed_bitwidth", vs.get("bitwidth", 0)))
        ns["_vset_match"] = _vset_match
        src = Source()
        ex = ExprCompiler(lay)
        ex.registers = {name: g for name, (g, _w) in names.registers.items()}
        ac = ActionCompiler(lay, ex, names)
        # calculations
        for i, c in enumerate(j.get("calculations", []) or []):
            at_path(f"calculations[{i}]")
            fname = f"calc_{i}"
            gen_calculation(src, lay, c, fname, f"calculations[{i}]")
            names.calcs[at(c, "name", f"calculations[{i}]")] = fname
        # actions
        action_fns: dict[int, tuple[str, str, tuple[int, ...]]] = {}
        self.exit_actions: set[int] = set()
        self.cond_tests: dict[str, str] = {}  # conditional name -> Python test
        self.key_exprs: dict[str, str] = {}  # table name -> Python key expression
        for i, a in enumerate(at(j, "actions", "")):
            p = f"actions[{i}]"
            aid = at(a, "id", p)
            if not isinstance(aid, int) or isinstance(aid, bool) or aid < 0 or aid in action_fns:
                raise JsonError(f"{p}.id", f"bad or duplicate action id {aid!r}")
            fname = f"act_{aid}"
            ac.compile_action(src, fname, a, p)
            widths = tuple(int(r.get("bitwidth", 0)) for r in a.get("runtime_data", []))
            action_fns[aid] = (at(a, "name", p), fname, widths)
            if any(isinstance(pr, dict) and pr.get("op") == "exit" for pr in a["primitives"]):
                self.exit_actions.add(aid)
        # parser
        pc = ParserCompiler(lay, ex, ac)
        for name in self.vsets:
            pc.vsets[name] = f"VS_{_safe(name)}"
            ns[f"VS_{_safe(name)}"] = self.vsets[name]
        parsers = at(j, "parsers", "")
        if not parsers:
            raise JsonError("parsers", "program has no parser")
        init_state = pc.compile(src, parsers[0], "parsers[0]")
        fused_parser = pc.compile_fused(src, init_state)
        # deparser
        deps = at(j, "deparsers", "")
        if not deps:
            raise JsonError("deparsers", "program has no deparser")
        if deps[0].get("primitives"):
            raise JsonError("deparsers[0].primitives", "deparser primitives are not supported")
        compile_deparser(src, lay, deps[0], "deparsers[0]")
        # conditionals and table keys
        pipelines = at(j, "pipelines", "")
        pnames = [pl.get("name") for pl in pipelines if isinstance(pl, dict)]
        for need in ("ingress", "egress"):
            if need not in pnames:
                raise JsonError("pipelines", f"no '{need}' pipeline (not a v1model program?)")
        for pi, pl in enumerate(pipelines):
            for ci, c in enumerate(pl.get("conditionals", [])):
                cp = at_path(f"pipelines[{pi}].conditionals[{ci}]")
                src.add(f"def cond_{pi}_{ci}(p):")
                src.add("    F = p.F; V = p.V; d = ()")
                test = ex.operand(at(c, "expression", cp), cp + ".expression")
                self.cond_tests[at(c, "name", cp)] = test
                src.add(f"    return {test}")
            for ti, t in enumerate(pl.get("tables", [])):
                tp = at_path(f"pipelines[{pi}].tables[{ti}]")
                parts = []
                for ki, k in enumerate(t.get("key", [])):
                    kp = f"{tp}.key[{ki}]"
                    tgt = _key_target(at(k, "target", kp), kp)
                    if k.get("match_type") == "valid" or tgt[1] == "$valid$":
                        h = lay.header(tgt[0], kp)
                        parts.append(f"V[{h.id}]")
                        continue
                    slot, _, _ = lay.field_slot(tgt[0], tgt[1], kp)
                    expr = f"F[{slot}]"
                    if k.get("mask"):
                        expr = f"({expr} & {int(k['mask'], 16)})"
                    parts.append(expr)
                src.add(f"def key_{pi}_{ti}(p):")
                src.add("    F = p.F; V = p.V")
                kinds = {k.get("match_type") for k in t.get("key", [])}
                if len(parts) == 1 and not kinds & {"ternary", "range", "optional"}:
                    key = parts[0]  # single-key exact/LPM: a bare int
                else:
                    key = f"({''.join(x + ', ' for x in parts)})"
                self.key_exprs[at(t, "name", tp)] = key
                src.add(f"    return {key}")
        ck_tests: list[str] = []
        for ci, cs in enumerate(j.get("checksums", []) or []):
            cp = at_path(f"checksums[{ci}]")
            cond = cs.get("if_cond")
            src.add(f"def ckc_{ci}(p):")
            src.add("    F = p.F; V = p.V; d = ()")
            ck_tests.append(ex.operand(cond, cp + ".if_cond") if cond else "True")
            src.add(f"    return {ck_tests[-1]}")
        # field lists / learn lists
        for i, fl in enumerate(j.get("field_lists", []) or []):
            at_path(f"field_lists[{i}]")
            src.add(f"def fl_{i}(dst, srcp):")
            src.add("    F = dst.F; G = srcp.F")
            slots = self._list_slots(fl, f"field_lists[{i}]")
            src.add("    " + ("; ".join(f"F[{s}] = G[{s}]" for s in slots) or "pass"))
        for i, ll in enumerate(j.get("learn_lists", []) or []):
            at_path(f"learn_lists[{i}]")
            slots = self._list_slots(ll, f"learn_lists[{i}]")
            src.add(f"def ll_{i}(p):")
            src.add("    F = p.F")
            src.add(f"    return ({''.join(f'F[{s}], ' for s in slots)})")
        self.source = src.text()
        compile_functions(self.source, ns, f"<bmv2:{j.get('program', 'program')}>")
        self.parse_init: Node = ns[init_state]
        self.parse_fast: Node = ns[fused_parser]  # the same parser, for tracing off
        self.deparse: Callable[[Packet], bytes] = ns["deparse"]
        self.field_lists = {
            fl["id"]: ns[f"fl_{i}"] for i, fl in enumerate(j.get("field_lists", []) or [])
        }
        self.learn_lists = {
            ll["id"]: (ll.get("name", f"digest_{ll['id']}"), ns[f"ll_{i}"])
            for i, ll in enumerate(j.get("learn_lists", []) or [])
        }
        self.checksums: list[Checksum] = []
        for ci, cs in enumerate(j.get("checksums", []) or []):
            cp = f"checksums[{ci}]"
            calc = cs.get("calculation")
            if calc not in names.calcs:
                raise JsonError(cp, f"unknown calculation '{calc}'")
            tgt = at(cs, "target", cp)
            slot, w, _ = lay.field_slot(tgt[0], tgt[1], cp)
            self.checksums.append(
                Checksum(
                    cs.get("name", ""),
                    ns[f"ckc_{ci}"],
                    ns[names.calcs[calc]],
                    slot,
                    w,
                    bool(cs.get("verify", False)),
                    bool(cs.get("update", False)),
                )
            )
        self.actions_by_id = {
            aid: ActionInfo(n, aid, ns[f], w) for aid, (n, f, w) in action_fns.items()
        }
        self.action_bodies = {
            ns[f]: ac.bodies[f] for _n, f, _w in action_fns.values() if f in ac.bodies
        }
        self._build_pipelines(pipelines, ns, names)
        self.verify_checksums = [c for c in self.checksums if c.verify]
        self.update_checksums = [c for c in self.checksums if c.update]
        # both lists as one generated function each, for tracing off
        ck = gen_checksums(
            [
                (
                    simplify_test(t),
                    names.calcs[cs["calculation"]],
                    c.slot,
                    c.width,
                    c.verify,
                    c.update,
                )
                for t, c, cs in zip(ck_tests, self.checksums, j.get("checksums") or [], strict=True)
            ],
            self.sm["checksum_error"],
        )
        compile_functions(ck.text(), ns, f"<bmv2 checksums:{j.get('program', '')}>")
        self.verify_fast: Callable[[Packet], None] = ns["ck_verify"]
        self.update_fast: Callable[[Packet], None] = ns["ck_update"]
        sm = self.sm
        self.s_ingress_port = sm["ingress_port"]
        self.s_instance_type = sm["instance_type"]
        self.s_packet_length = sm["packet_length"]
        self.s_ingress_ts = sm["ingress_global_timestamp"]
        self.s_egress_port = sm["egress_port"]
        self.s_egress_spec = sm["egress_spec"]
        self.s_mcast_grp = sm["mcast_grp"]
        self.s_priority = sm["priority"]
        self.s_parser_error = sm["parser_error"]
        self.s_enq_ts = sm["enq_timestamp"]
        self.s_enq_qdepth = sm["enq_qdepth"]
        self.s_deq_qdepth = sm["deq_qdepth"]
        self.s_deq_td = sm["deq_timedelta"]
        self.s_egress_ts = sm["egress_global_timestamp"]
        self.ingress_init = self.pipeline_init.get("ingress")
        self.egress_init = self.pipeline_init.get("egress")
        # the same pipelines as fused functions (codegen.gen_flow): only with tracing off
        self.ingress_fast = self.pipeline_fused.get("ingress")
        self.egress_fast = self.pipeline_fused.get("egress")
        # template of a fresh packet's fields
        self.nslots = lay.nslots
        self.nheaders = len(lay.headers)
        self.v_template = [1 if h.metadata else 0 for h in lay.headers]
        self.nstacks = len(lay.stacks) + len(lay.union_stacks)
        self.metadata_slices = [(h.base, h.base + h.nfields) for h in lay.headers if h.metadata]

    # ------------------------------------------------------------------ objects
    def _objects(self, j: Json, ns: dict[str, Any], names: Names) -> None:
        self.registers: dict[str, RegisterArray] = {}
        self.counters: dict[str, CounterArray] = {}
        self.direct_counters: dict[str, str] = {}  # counter name -> table
        self.meters: dict[str, MeterArray] = {}
        self.direct_meters: dict[str, tuple[str, Any]] = {}
        for i, r in enumerate(j.get("register_arrays", []) or []):
            p = f"register_arrays[{i}]"
            ra = RegisterArray(at(r, "name", p), int(at(r, "size", p)), int(at(r, "bitwidth", p)))
            self.registers[ra.name] = ra
            ns[f"REG_{i}"] = ra.values
            names.registers[ra.name] = (f"REG_{i}", ra.width)
            names.register_sizes[ra.name] = ra.size
        for i, c in enumerate(j.get("counter_arrays", []) or []):
            p = f"counter_arrays[{i}]"
            if c.get("is_direct"):
                self.direct_counters[at(c, "name", p)] = c.get("binding", "")
                continue
            ca = CounterArray(at(c, "name", p), int(at(c, "size", p)))
            self.counters[ca.name] = ca
            ns[f"CNT_{i}"] = ca
            ns[f"CNT_{i}_P"] = ca.packets
            ns[f"CNT_{i}_B"] = ca.bytes_
            names.counters[ca.name] = f"CNT_{i}"
            names.counter_sizes[ca.name] = ca.size
        for i, m in enumerate(j.get("meter_arrays", []) or []):
            p = f"meter_arrays[{i}]"
            if m.get("is_direct"):
                self.direct_meters[at(m, "name", p)] = (m.get("binding", ""), m)
                continue
            ma = MeterArray(
                at(m, "name", p),
                int(at(m, "size", p)),
                m.get("type") == "bytes",
                int(m.get("rate_count", 2)),
            )
            self.meters[ma.name] = ma
            ns[f"MTR_{i}"] = ma
            names.meters[ma.name] = f"MTR_{i}"

    def _list_slots(self, fl: Json, path: str) -> list[int]:
        slots = []
        for k, el in enumerate(fl.get("elements", [])):
            if el.get("type") != "field":
                raise JsonError(
                    f"{path}.elements[{k}]", f"unsupported element type {el.get('type')!r}"
                )
            v = el["value"]
            slots.append(self.layout.field_slot(v[0], v[1], f"{path}.elements[{k}]")[0])
        return slots

    # ------------------------------------------------------------------ pipelines
    def _build_pipelines(self, pipelines: list[Json], ns: dict[str, Any], names: Names) -> None:
        self.tables: dict[str, Table] = {}
        self.profiles: dict[str, ActionProfile] = {}
        self.pipeline_init: dict[str, Node | None] = {}
        self.table_pipeline: dict[str, str] = {}
        nodes: dict[str, Node] = {}
        pending: list[tuple[str, Json, Table, int, int]] = []
        lay = self.layout
        for pi, pl in enumerate(pipelines):
            pp = f"pipelines[{pi}]"
            for ai, ap in enumerate(pl.get("action_profiles", []) or []):
                app = f"{pp}.action_profiles[{ai}]"
                sel = ap.get("selector")
                selector = None
                if sel:
                    algo = sel.get("algo")
                    if algo not in ALGORITHMS:
                        raise JsonError(f"{app}.selector", f"unsupported hash algorithm '{algo}'")
                    src = Source()
                    src.add(f"def sel_{pi}_{ai}(p):")
                    src.indent()
                    src.add("F = p.F; V = p.V")
                    gen_field_bits(src, lay, sel.get("input", []), f"{app}.selector")
                    src.add("pad = (-n) % 8")
                    src.add(f"return ALG_{algo}((x << pad).to_bytes((n + pad) // 8, 'big'))")
                    compile_functions(src.text(), ns, f"<selector {ap.get('name')}>")
                    selector = ns[f"sel_{pi}_{ai}"]
                prof = ActionProfile(
                    at(ap, "name", app), {}, int(ap.get("max_size", 1 << 30)), selector
                )
                self.profiles[prof.name] = prof
            for ti, t in enumerate(pl.get("tables", [])):
                tp = at_path(f"{pp}.tables[{ti}]")
                name = at(t, "name", tp)
                acts: dict[str, ActionInfo] = {}
                ids = t.get("action_ids", [])
                anames = t.get("actions", [])
                for k, aid in enumerate(ids):
                    if aid not in self.actions_by_id:
                        raise JsonError(f"{tp}.action_ids[{k}]", f"dangling action id {aid}")
                    info = self.actions_by_id[aid]
                    nm = anames[k] if k < len(anames) else info.name
                    acts[nm] = ActionInfo(nm, aid, info.fn, info.widths)
                keys = []
                for ki, k in enumerate(t.get("key", [])):
                    kp = f"{tp}.key[{ki}]"
                    tgt = _key_target(k["target"], kp)
                    mt = k.get("match_type")
                    if mt not in ("exact", "lpm", "ternary", "range", "optional", "valid"):
                        raise JsonError(kp, f"unsupported match type '{mt}'")
                    w = (
                        1
                        if (mt == "valid" or tgt[1] == "$valid$")
                        else lay.field_slot(tgt[0], tgt[1], kp)[1]
                    )
                    kname = k.get("name") or f"{tgt[0]}.{tgt[1]}"
                    keys.append(KeySpec(kname, mt, w))
                kind = t.get("type", "simple")
                profile = None
                if kind in ("indirect", "indirect_ws"):
                    pname = t.get("action_profile")
                    if pname not in self.profiles:
                        raise JsonError(tp, f"unknown action profile '{pname}'")
                    profile = self.profiles[pname]
                    profile.actions.update(acts)
                elif kind != "simple":
                    raise JsonError(tp, f"unknown table type '{kind}'")
                dm = None
                if t.get("direct_meters"):
                    mname = t["direct_meters"]
                    if mname not in self.direct_meters:
                        raise JsonError(tp, f"unknown direct meter '{mname}'")
                    m = self.direct_meters[mname][1]
                    rt = m.get("result_target")
                    slot = lay.field_slot(rt[0], rt[1], tp)
                    dm = (slot[0], (1 << slot[1]) - 1, m.get("type") == "bytes")
                table = Table(
                    name, keys, acts, int(t.get("max_size", 1024)), kind, profile,
                    bool(t.get("with_counters", False)), dm, bool(t.get("support_timeout", False)),
                )  # fmt: skip
                self.tables[name] = table
                self.table_pipeline[name] = pl.get("name", "")
                pending.append((name, t, table, pi, ti))
            for ci, c in enumerate(pl.get("conditionals", [])):
                nodes[at(c, "name", f"{pp}.conditionals[{ci}]")] = ns[f"cond_{pi}_{ci}"]
        # const entries and defaults
        for _name, t, table, pi, ti in pending:
            self._table_init(table, t, at_path(f"pipelines[{pi}].tables[{ti}]"))
        # wire the control flow
        resolved: dict[str, Node] = {}

        def target(n: str | None, path: str) -> str | None:
            if n is None:
                return None
            if n not in self.tables and n not in nodes:
                raise JsonError(path, f"unknown next node '{n}'")
            return n

        table_nodes: dict[str, Node] = {}
        next_refs: dict[str, Callable[[], None]] = {}
        for name, t, table, pi, ti in pending:
            tp = f"pipelines[{pi}].tables[{ti}]"
            nt = t.get("next_tables", {}) or {}
            hitmiss = "__HIT__" in nt or "__MISS__" in nt
            nexts = {k: target(v, f"{tp}.next_tables.{k}") for k, v in nt.items()}
            base = target(t.get("base_default_next"), f"{tp}.base_default_next")
            table_nodes[name] = _make_apply(
                self, table, ns[f"key_{pi}_{ti}"], nexts, hitmiss, base, resolved
            )
        resolved.update(table_nodes)
        for pi, pl in enumerate(pipelines):
            for ci, c in enumerate(pl.get("conditionals", [])):
                cp = f"pipelines[{pi}].conditionals[{ci}]"
                tn = target(c.get("true_next"), cp + ".true_next")
                fn = target(c.get("false_next"), cp + ".false_next")
                resolved[c["name"]] = _make_cond(ns[f"cond_{pi}_{ci}"], tn, fn, resolved, c["name"])
        del next_refs
        for pi, pl in enumerate(pipelines):
            init = target(pl.get("init_table"), f"pipelines[{pi}].init_table")
            self.pipeline_init[pl.get("name", str(pi))] = resolved[init] if init else None
        self.pipeline_fused = self._fuse(pipelines, pending, table_nodes, resolved, ns)

    def _fuse(
        self,
        pipelines: list[Json],
        pending: list[tuple[str, Json, Table, int, int]],
        table_nodes: dict[str, Node],
        resolved: dict[str, Node],
        ns: dict[str, Any],
    ) -> dict[str, Node | None]:
        """The pipelines' fused functions (codegen.gen_flow), run when tracing is off."""
        flow: dict[str, FlowNode] = {}
        for pl in pipelines:
            for c in pl.get("conditionals", []):
                flow[c["name"]] = FlowCond(
                    self.cond_tests[c["name"]], c.get("true_next"), c.get("false_next")
                )
        exit_fns = {a.fn for a in self.actions_by_id.values() if a.id in self.exit_actions}
        for name, t, table, pi, ti in pending:
            tid = f"{pi}_{ti}"
            ns[f"TN_{tid}"] = table_nodes[name]
            exits = table.default_fn in exit_fns or any(
                a.id in self.exit_actions for a in table.actions.values()
            )
            body = self.action_bodies.get(table.default_fn) if table.default_fn else None
            key = self.key_exprs.get(name, "()")
            flow[name] = flow_table(t, table, tid, key, exits, ns, body)
        src = Source()
        fused: dict[str, str | None] = {}
        fmaps: dict[str, dict[str, str]] = {}  # prefix -> node name -> fused function
        for pi, pl in enumerate(pipelines):
            init = pl.get("init_table")
            pname = pl.get("name", str(pi))
            if init is None:
                fused[pname] = None
                continue
            funcs = gen_flow(src, f"FL{pi}", init, flow)
            fused[pname] = funcs[init]
            fmaps[f"FL{pi}"] = {n: f for n, f in funcs.items()}
        self.fused_source = src.text()
        compile_functions(self.fused_source, ns, f"<bmv2 flow:{self.json.get('program', '')}>")
        for prefix, fmap in fmaps.items():
            # the per-node function a dynamic step returned -> the fused one
            ns[f"FMAP_{prefix}"] = {resolved[n]: ns[f] for n, f in fmap.items()}
        return {k: ns[v] if v is not None else None for k, v in fused.items()}

    def _table_init(self, table: Table, t: Json, tp: str) -> None:
        de = t.get("default_entry")
        by_id = {a.id: a for a in table.actions.values()}
        if de:
            aid = de.get("action_id")
            a = by_id.get(aid) or self.actions_by_id.get(aid)
            if a is None:
                raise JsonError(f"{tp}.default_entry", f"dangling action id {aid}")
            data = tuple(
                _parse_key_value(v, w, f"{tp}.default_entry.action_data")
                for v, w in zip(de.get("action_data", []), a.widths, strict=False)
            )
            table.default_fn, table.default_data, table.default_name = a.fn, data, a.name
            table.default_const = bool(de.get("action_const", False))
        else:
            table.default_fn = None
        from inalab.switch.control import (
            ActionCall,
            ExactKey,
            LpmKey,
            RangeKey,
            TernaryKey,
            ValidKey,
        )

        table.initial_default = (
            ActionCall(table.default_name, table.default_data) if table.default_name else None
        )
        entries = t.get("entries", []) or []
        for ei, en in enumerate(entries):
            ep = f"{tp}.entries[{ei}]"
            keys: list[Any] = []
            for ki, (mk, spec) in enumerate(zip(en.get("match_key", []), table.keys, strict=False)):
                kp = f"{ep}.match_key[{ki}]"
                mt = mk.get("match_type")
                w = spec.width
                if mt == "exact":
                    keys.append(ExactKey(_parse_key_value(mk["key"], w, kp)))
                elif mt == "valid":
                    keys.append(ValidKey(bool(_parse_key_value(mk["key"], w, kp))))
                elif mt == "lpm":
                    keys.append(
                        LpmKey(_parse_key_value(mk["key"], w, kp), int(mk["prefix_length"]))
                    )
                elif mt in ("ternary", "optional"):
                    m = _parse_key_value(mk["mask"], w, kp)
                    v = _parse_key_value(mk["key"], w, kp)
                    if spec.match_type == "optional":
                        from inalab.switch.control import OptionalKey

                        keys.append(OptionalKey(v if m else None))
                    else:
                        keys.append(TernaryKey(v & m, m))
                elif mt == "range":
                    lo, hi = mk["range"] if "range" in mk else (mk.get("start"), mk.get("end"))
                    keys.append(RangeKey(_parse_key_value(lo, w, kp), _parse_key_value(hi, w, kp)))
                else:
                    raise JsonError(kp, f"unknown match type '{mt}'")
            ae = en.get("action_entry", {})
            aid = ae.get("action_id")
            a = by_id.get(aid)
            if a is None:
                raise JsonError(
                    f"{ep}.action_entry", f"action id {aid} is not an action of the table"
                )
            data = tuple(
                _parse_key_value(v, wd, f"{ep}.action_entry.action_data")
                for v, wd in zip(ae.get("action_data", []), a.widths, strict=False)
            )
            jp = int(en.get("priority", ei + 1))
            from inalab.switch.control import ControlError

            try:
                table.add(
                    keys, ActionCall(a.name, data), CONST_PRIORITY_BASE - jp, is_const=True, rank=jp
                )
            except ControlError as exc:
                raise JsonError(ep, f"bad const entry: {exc}") from None
        if entries:
            table.has_const_entries = True


def _fmt_key(k: Any) -> str:
    parts = k if isinstance(k, tuple) else (k,)
    return " ".join(f"{int(x):#x}" for x in parts) or "(empty)"


def _key_target(tgt: Any, path: str) -> tuple[str, str]:
    """A table key's target: [header, field], or a bare header name for ``valid`` keys."""
    if isinstance(tgt, str):
        return tgt, "$valid$"
    if isinstance(tgt, list) and len(tgt) == 2 and all(isinstance(x, str) for x in tgt):
        return tgt[0], tgt[1]
    raise JsonError(path, "key target must be [header, field] or a header name")


def _vset_match(vs: dict[tuple[int, int | None], None], k: int) -> bool:
    for v, m in vs:
        if m is None:
            if k == v:
                return True
        elif k & m == v & m:
            return True
    return False


def _make_cond(
    fn: Callable[[Packet], bool],
    tn: str | None,
    fnx: str | None,
    resolved: dict[str, Node],
    name: str,
) -> Node:
    nexts: list[Node | None] = []  # (true, false) next nodes, once all nodes exist

    def node(p: Packet) -> Node | None:
        r = fn(p)
        if _TRACE_STATE[0]:
            trace_log.debug(
                '[%d.%d] Condition "%s" is %s', p.pid, p.copy, name, "true" if r else "false"
            )
        if not nexts:
            nexts.extend(resolved[n] if n is not None else None for n in (tn, fnx))
        return nexts[0] if r else nexts[1]

    return node


_TRACE_STATE = [False]


def set_trace(on: bool, ns: dict[str, Any]) -> None:
    _TRACE_STATE[0] = on
    ns["TRACE"] = on


def _make_apply(
    prog: Program,
    table: Table,
    keyfn: Callable[[Packet], tuple[int, ...]],
    nexts: dict[str, str | None],
    hitmiss: bool,
    base: str | None,
    resolved: dict[str, Node],
) -> Node:
    import time as _time

    name = table.name
    dm = table.direct_meter
    lookup = table.lookup
    fast_ok = dm is None and not table.support_timeout
    cache_hit: dict[str, Node | None] = {}
    cache_miss: dict[str, Node | None] = {}

    def next_node(aname: str, hit: bool) -> Node | None:
        if hitmiss:
            n = nexts.get("__HIT__" if hit else "__MISS__")
        elif aname in nexts:
            n = nexts[aname]
        else:
            n = base
        return resolved[n] if n is not None else None

    def node(p: Packet) -> Node | None:
        k = keyfn(p)
        e = lookup(k)
        if e is not None and fast_ok and not _TRACE_STATE[0]:
            fn = e.fn
            if fn is not None:
                # fast path: a plain hit (no meter, ageing, profile or trace)
                e.packets += 1
                e.bytes_ += p.in_len
                fn(p, e.data)
                an = e.action_name
                try:
                    return cache_hit[an]
                except KeyError:
                    nx = cache_hit[an] = next_node(an, True)
                    return nx
        elif e is None and not _TRACE_STATE[0]:
            # fast path: a miss runs the default action (keyless tables always miss)
            fn = table.default_fn
            if fn is not None:
                fn(p, table.default_data)
            an = table.default_name
            try:
                return cache_miss[an]
            except KeyError:
                nx = cache_miss[an] = next_node(an, False)
                return nx
        return slow(p, k, e)

    def keyless(p: Packet) -> Node | None:
        """A table without a key (p4c's wrapper of a bare action): it always misses
        unless an entry was added with the empty key."""
        if table.exact or _TRACE_STATE[0]:
            return node(p)
        fn = table.default_fn
        if fn is not None:
            fn(p, table.default_data)
        an = table.default_name
        try:
            return cache_miss[an]
        except KeyError:
            nx = cache_miss[an] = next_node(an, False)
            return nx

    def slow(p: Packet, k: Any, e: Any) -> Node | None:
        tr = _TRACE_STATE[0]
        if e is None:
            fn = table.default_fn
            data = table.default_data
            aname = table.default_name
            hit = False
            if tr:
                trace_log.debug(
                    "[%d.%d] Table '%s': key %s: miss", p.pid, p.copy, name, _fmt_key(k)
                )
        else:
            hit = True
            e.packets += 1
            e.bytes_ += p.in_len
            if table.support_timeout:
                e.last_hit = _time.monotonic()
            if dm is not None:
                color = e.meter.execute(p.in_len if dm[2] else 1, _time.monotonic() * 1e6)
                p.F[dm[0]] = color & dm[1]
            if e.fn is None:
                # action profile member / group
                prof: Any = table.profile
                r = None
                if isinstance(e.action, MemberRef):
                    r = prof.members.get(e.action.member)
                elif isinstance(e.action, GroupRef):
                    r = prof.choose(p, e.action.group)
                if r is None:
                    fn, data, aname = table.default_fn, table.default_data, table.default_name
                else:
                    fn, data, aname = r[1], r[2], r[0].action
            else:
                fn, data, aname = e.fn, e.data, e.action_name
            if tr:
                trace_log.debug(
                    "[%d.%d] Table '%s': key %s: hit with handle %d",
                    p.pid, p.copy, name, _fmt_key(k), e.handle,
                )  # fmt: skip
        if fn is not None:
            if tr:
                trace_log.debug(
                    "[%d.%d] Action %s%s", p.pid, p.copy, aname, f" {list(data)}" if data else ""
                )
            fn(p, data)
        return next_node(aname, hit)

    return keyless if not table.keys and table.mode == "exact" else node
