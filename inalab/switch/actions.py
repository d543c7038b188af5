"""Actions: each bmv2 JSON action compiled once into a Python function ``f(p, d)``.

``p`` is the packet (:class:`inalab.switch.packet.Packet`), ``d`` the action
data tuple. Primitives are those of bmv2's core and simple_switch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from inalab.switch.codegen import Source
from inalab.switch.errors import JsonError, at_path
from inalab.switch.expressions import ExprCompiler
from inalab.switch.program import Layout

# parameter counts of the primitives bmv2 checks at load (simple_switch + core)
ARITY = {
    "assign": 2, "assign_VL": 2, "assign_header": 2, "assign_union": 2,
    "assign_header_stack": 2, "assign_union_stack": 2, "push": 2, "pop": 2,
    "add_header": 1, "remove_header": 1, "exit": 0, "mark_to_drop": 1, "drop": 0,
    "register_read": 3, "register_write": 3, "count": 2, "execute_meter": 3,
    "modify_field_with_hash_based_offset": 4, "modify_field_rng_uniform": 3,
    "generate_digest": 2, "clone_ingress_pkt_to_egress": 2,
    "clone_egress_pkt_to_egress": 2, "resubmit": 1, "recirculate": 1, "truncate": 1,
    "log_msg": 2, "assert": 1, "assume": 1, "_jump": 1, "_jump_if_zero": 2,
}  # fmt: skip


_FIELD = re.compile(r"\bF\[(\d+)\]")
# what a run's expressions may contain: static fields, validity bits, action data,
# constants, operators and the pure helpers (no call that reads the packet)
_PURE = re.compile(
    r"(?:\s+|F\[\d+\]|V\[\d+\]|d\[\d+\]|\d+|[-+*&|^~<>=!(),]|"
    r"\b(?:bool|not|and|or|if|else|True|False|_sx|_tc|_usat|_ssat)\b)*"
)


def _pure(text: str) -> bool:
    return _PURE.fullmatch(text) is not None


def _slot_list(text: str) -> list[int]:
    return [int(m[1]) for m in _FIELD.finditer(text)]


def _slots(text: str) -> set[int]:
    return set(_slot_list(text))


def _uses(text: str, name: str) -> int:
    return len(re.findall(rf"\b{name}\b", text))


def _forward(stmts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Copy propagation in a register run: a local whose value only the next
    statement reads (it is overwritten before any other read, so not stored at the
    run's end) is replaced there by its expression (``f50 = R[_i]; f120 = f50 + x``
    becomes ``f120 = R[_i] + x``: nothing runs between the two)."""
    out: list[tuple[str, str]] = []
    pending = list(stmts)
    while pending:
        lhs, rhs = pending.pop(0)
        if lhs.startswith("f") and pending and _uses(pending[0][1], lhs) == 1:
            rest = pending[1:]
            if pending[0][0] == lhs:
                dead = True  # the next statement overwrites it
            else:
                nxt = next((k for k, (left, _) in enumerate(rest) if left == lhs), None)
                dead = nxt is not None and not any(_uses(r, lhs) for _, r in rest[: nxt + 1])
            if dead:
                pending[0] = (pending[0][0], re.sub(rf"\b{lhs}\b", f"({rhs})", pending[0][1]))
                continue
        out.append((lhs, rhs))
    return out


@dataclass(frozen=True)
class RunOp:
    """One primitive of a register run: ``set`` a field slot to ``value``, ``read``
    register ``reg`` at ``index`` into ``slot``, or ``write`` ``value`` into it."""

    kind: str
    slot: int
    value: str
    reg: str
    size: int
    index: str

    def __post_init__(self) -> None:
        if self.kind not in ("set", "read", "write"):
            raise ValueError(f"unknown register-run step '{self.kind}'")
        if (self.kind == "write") != (self.slot < 0):
            raise ValueError("a write has no target slot, a set or read has one")


class Names:
    """Program objects as names in the generated code's namespace."""

    def __init__(self) -> None:
        self.registers: dict[str, tuple[str, int]] = {}  # name -> (global, width)
        self.register_sizes: dict[str, int] = {}  # name -> number of cells (fixed at load)
        self.counters: dict[str, str] = {}
        self.counter_sizes: dict[str, int] = {}
        self.meters: dict[str, str] = {}
        self.calcs: dict[str, str] = {}
        self.drop_port = 511
        self.sm: dict[str, int] = {}


def header_type_of(lay: Layout, o: Any, path: str) -> str:
    """Static header type name of a header-valued operand."""
    t, v = o.get("type"), o.get("value")
    if t in ("header", "regular"):
        return lay.header(v, path).type_name
    if t == "stack":
        return lay.headers[lay.stacks[v][0]].type_name
    if t == "expression":
        if isinstance(v, dict) and "op" in v:
            op = v["op"]
            if op == "dereference_header_stack":
                return lay.headers[lay.stacks[v["left"]["value"]][0]].type_name
            if op == "?":
                return header_type_of(lay, v["left"], path)
            if op == "access_union_header":
                return lay.headers[_union_member(lay, v, path)].type_name
        return header_type_of(lay, v, path)
    raise JsonError(path, f"cannot find the header type of operand {t!r}")


def masked(val: str, w: int) -> str:
    """``val & mask(w)``, without the mask when ``val`` is already ``(x & mask(w))``."""
    m = (1 << w) - 1
    if val.strip("()").isdigit():
        return str(int(val.strip("()")) & m)  # a constant: masked now
    tail = f" & {m})"
    if val.startswith("(") and val.endswith(tail):
        depth = 0
        for ch in val[1 : -len(tail)]:
            depth += ch == "("
            depth -= ch == ")"
            if depth < 0:
                break
        else:
            if depth == 0:
                return val
    return f"({val}) & {m}"


def _union_member(lay: Layout, v: dict[str, Any], path: str) -> int:
    lv = v["left"].get("value")
    if isinstance(lv, str) and lv in lay.unions:
        return lay.unions[lv][v["right"]]
    if isinstance(lv, dict) and lv.get("op") == "dereference_union_stack":
        us = lay.union_stacks[lv["left"]["value"]]
        return lay.unions[us[0]][v["right"]]
    raise JsonError(path, "cannot resolve the union member")


class ActionCompiler:
    def __init__(self, lay: Layout, ex: ExprCompiler, names: Names) -> None:
        self.lay = lay
        self.ex = ex
        self.names = names
        # function name -> its body (after ``F = p.F; V = p.V``) when it can be inlined
        # where ``p``, ``F``, ``V`` and ``d`` are bound: no jumps, no exit
        self.bodies: dict[str, list[str]] = {}

    # ---------------------------------------------------------------- lvalues
    def lvalue(self, o: Any, path: str) -> tuple[str, int, int | None]:
        """(target source, width, static slot or None); width 0 = varbit."""
        t, v = o.get("type"), o.get("value")
        if t == "field":
            if v[1] == "$valid$":
                h = self.lay.header(v[0], path)
                return f"V[{h.id}]", 1, None
            slot, w, _ = self.lay.field_slot(v[0], v[1], path)
            return f"F[{slot}]", w, slot
        if t == "stack_field":
            stack = self.lay.stacks[v[0]]
            h0 = self.lay.headers[stack[0]]
            fi = self.lay.field_index(h0, v[1], path)
            return f"F[B[{self.ex.stack_last(v[0], path)}] + {fi}]", h0.fields[fi][1], None
        if t == "expression" and isinstance(v, dict) and v.get("op") == "access_field":
            hid = self.ex.header_id(v["left"], path)
            ht = self.lay.header_types[header_type_of(self.lay, v["left"], path)]
            fi = v["right"]
            w = ht["fields"][fi][1]
            return f"F[B[{hid}] + {fi}]", 0 if w == "*" else w, None
        if t == "register":
            if not isinstance(v, list) or len(v) != 2 or v[0] not in self.names.registers:
                raise JsonError(path, f"unknown register operand {v!r}")
            g, w = self.names.registers[v[0]]
            return f"{g}[{self.ex.operand(v[1], path)}]", w, None
        if t == "expression":
            return self.lvalue(v, path)
        raise JsonError(path, f"cannot assign to operand of type '{t}'")

    def hid(self, o: Any, path: str) -> str:
        return self.ex.header_id(o, path)

    # ---------------------------------------------------------------- actions
    def compile_action(self, src: Source, fname: str, action: dict[str, Any], path: str) -> None:
        at_path(path)
        prims = action.get("primitives", [])
        self.ex.nparams = len(action.get("runtime_data", []) or [])
        if not isinstance(prims, list):
            raise JsonError(path, "'primitives' must be a list")
        src.add(f"def {fname}(p, d):")
        src.indent()
        src.add("F = p.F; V = p.V")
        jumps = any(pr.get("op") in ("_jump", "_jump_if_zero") for pr in prims)
        if jumps:
            src.add("pc = 0")
            src.add("while True:")
            src.indent()
            for i, pr in enumerate(prims):
                src.add(f"{'if' if i == 0 else 'elif'} pc == {i}:")
                src.indent()
                self.primitive(src, pr, f"{path}.primitives[{i}]", pc=i)
                src.dedent()
            src.add("else:")
            src.add("    return")
            src.dedent()
        else:
            first = len(src.lines)
            i = 0
            while i < len(prims):
                run = self._register_run(prims, i, path)
                if run:
                    self._emit_run(src, run, prims, i, path)
                    i += len(run)
                    continue
                self.primitive(src, prims[i], f"{path}.primitives[{i}]", pc=None)
                i += 1
            body = [line[len(src.prefix()) :] for line in src.lines[first:]]
            if not any(line.lstrip().startswith("return") for line in body):
                self.bodies[fname] = body  # straight-line code (no exit)
        src.add("return")
        src.dedent()

    # ------------------------------------------------- runs of register primitives
    # p4c writes a per-lane register update (a loop body, unrolled by macros) as K
    # groups of register_read / assign / register_write primitives on one index.
    # Such a run is generated once more as a fast path: the index evaluated and its
    # bounds checked once (every register of the run is indexed the same way), the
    # fields the run writes or reads repeatedly kept in locals and stored back once
    # at its end. An index out of range takes the primitive-by-primitive code.

    def _run_op(self, pr: Any, path: str) -> RunOp | None:
        """A primitive as a step of a register run, or None if it cannot be one."""
        if not isinstance(pr, dict):
            return None
        op, params = pr.get("op"), pr.get("parameters")
        if not isinstance(params, list) or op not in ARITY or len(params) != ARITY[op]:
            return None
        try:
            if op == "assign":
                _tgt, w, slot = self.lvalue(params[0], path)
                val = self.ex.operand(params[1], path)
                if slot is None or w == 0 or not _pure(val):
                    return None
                if self._width_of(params[1], path) > w:
                    val = masked(val, w)
                return RunOp("set", slot, val, "", 0, "")
            if op == "register_read":
                _tgt, w, slot = self.lvalue(params[0], path)
                rg, rw = self._reg(params[1], path)
                idx = self.ex.operand(params[2], path)
                if slot is None or w == 0 or not _pure(idx):
                    return None
                val = f"{rg}[_i]" if 0 < rw <= w else f"({rg}[_i] & {(1 << w) - 1})"
                size = self.names.register_sizes[params[1]["value"]]
                return RunOp("read", slot, val, rg, size, idx)
            if op == "register_write":
                rg, rw = self._reg(params[0], path)
                idx = self.ex.operand(params[1], path)
                val = self.ex.operand(params[2], path)
                if not (_pure(idx) and _pure(val)):
                    return None
                if self._width_of(params[2], path) > rw:
                    val = masked(val, rw)
                size = self.names.register_sizes[params[0]["value"]]
                return RunOp("write", -1, val, rg, size, idx)
        except (JsonError, KeyError, TypeError, IndexError, AttributeError):
            return None  # the primitive-by-primitive code reports it
        return None

    def _register_run(self, prims: list[Any], start: int, path: str) -> list[RunOp]:
        """The longest run from ``start`` of register primitives on one index (and
        field assignments between them) worth a fast path; empty if none."""
        run: list[RunOp] = []
        index = None
        written: set[int] = set()
        for k in range(start, len(prims)):
            op = self._run_op(prims[k], f"{path}.primitives[{k}]")
            if op is None:
                break
            if op.kind != "set":
                if index is None:
                    index = op.index
                if op.index != index or _slots(index) & written:
                    break
            if op.slot >= 0:
                written.add(op.slot)
                if index is not None and op.slot in _slots(index):
                    run.append(op)  # the run ends after it changes its index
                    break
            run.append(op)
        while run and run[-1].kind == "set":
            run.pop()  # trailing assignments gain nothing here
        if sum(op.kind != "set" for op in run) < 2:
            return []
        return run

    def _emit_run(
        self, src: Source, run: list[RunOp], prims: list[Any], start: int, path: str
    ) -> None:
        index = next(op.index for op in run if op.kind != "set")
        size = min(op.size for op in run if op.kind != "set")
        # a field read twice before the run writes it is loaded into a local first;
        # from its first write on, a field lives in a local until the store at the end
        early_reads: dict[int, int] = {}
        written: list[int] = []
        for op in run:
            for s in _slot_list(op.value):
                if s not in written:
                    early_reads[s] = early_reads.get(s, 0) + 1
            if op.slot >= 0 and op.slot not in written:
                written.append(op.slot)
        local = {s for s, n in early_reads.items() if n > 1}

        def sub(text: str) -> str:
            return _FIELD.sub(lambda m: f"f{m[1]}" if int(m[1]) in local else m[0], text)

        src.add(f"_i = {index}")
        src.add(f"if 0 <= _i < {size}:")
        src.indent()
        for s in sorted(local):
            src.add(f"f{s} = F[{s}]")
        stmts: list[tuple[str, str]] = []
        for op in run:
            if op.kind == "write":
                stmts.append((f"{op.reg}[_i]", sub(op.value)))
            else:
                stmts.append((f"f{op.slot}", sub(op.value)))
                local.add(op.slot)
        for lhs, rhs in _forward(stmts):
            src.add(f"{lhs} = {rhs}")
        src.add("; ".join(f"F[{s}] = f{s}" for s in written) if written else "pass")
        src.dedent()
        src.add("else:")
        src.indent()
        for k in range(start, start + len(run)):
            self.primitive(src, prims[k], f"{path}.primitives[{k}]", pc=None)
        src.dedent()

    def primitive(self, src: Source, pr: dict[str, Any], path: str, pc: int | None) -> None:
        at_path(path)
        if not isinstance(pr, dict):
            raise JsonError(path, "a primitive must be an object {op, parameters}")
        op = pr.get("op")
        params = pr.get("parameters", [])
        e = self.ex.operand
        nxt = f"pc = {pc + 1}" if pc is not None else None

        def done() -> None:
            if nxt:
                src.add(nxt)

        if not isinstance(params, list):
            raise JsonError(path, "'parameters' must be a list")
        if op in ARITY and len(params) != ARITY[op]:
            raise JsonError(
                path, f"primitive '{op}' takes {ARITY[op]} parameters, got {len(params)}"
            )

        def need(n: int) -> None:
            if len(params) < n:
                raise JsonError(path, f"primitive '{op}' needs {n} parameters, got {len(params)}")

        if op == "_jump":
            need(1)
            src.add(f"pc = {int(params[0]['value'], 16)}")
            return
        if op == "_jump_if_zero":
            need(2)
            src.add(
                f"pc = {int(params[1]['value'], 16)} if not ({e(params[0], path)}) else {pc + 1 if pc is not None else 0}"
            )
            return
        if op in ("assign", "modify_field"):
            need(2)
            tgt, w, _slot = self.lvalue(params[0], path)
            val = e(params[1], path)
            if w == 0:
                src.add(f"{tgt} = {val}")
            elif tgt.startswith("V["):
                src.add(f"{tgt} = 1 if {val} else 0")
            elif self._width_of(params[1], path) <= w:
                src.add(f"{tgt} = {val}")  # an unsigned field no wider than the target
            else:
                src.add(f"{tgt} = {masked(val, w)}")
        elif op == "assign_VL":
            need(2)
            dst = params[0]["value"]
            srcf = params[1]["value"]
            ds, _, _ = self.lay.field_slot(dst[0], dst[1], path)
            ss, _, _ = self.lay.field_slot(srcf[0], srcf[1], path)
            src.add(f"F[{ds}] = F[{ss}]; p.vl[{ds}] = p.vl.get({ss}, 0)")
        elif op == "assign_header":
            need(2)
            d, s = self.hid(params[0], path), self.hid(params[1], path)
            ht = self.lay.header_types[header_type_of(self.lay, params[0], path)]
            n = len(ht["fields"])
            src.add(f"_copy_hdr(p, {d}, {s}, {n})")
        elif op == "assign_union":
            need(2)
            du, su = params[0]["value"], params[1]["value"]
            for h1, h2 in zip(self.lay.unions[du], self.lay.unions[su], strict=True):
                src.add(f"_copy_hdr(p, {h1}, {h2}, {self.lay.headers[h1].nfields})")
        elif op in ("assign_header_stack", "assign_union_stack"):
            need(2)
            if op == "assign_header_stack":
                dst_ids = self.lay.stacks[params[0]["value"]]
                src_ids = self.lay.stacks[params[1]["value"]]
                for ha, hb in zip(dst_ids, src_ids, strict=True):
                    src.add(f"_copy_hdr(p, {ha}, {hb}, {self.lay.headers[ha].nfields})")
                src.add(
                    f"p.NX[{self.lay.stack_ids[params[0]['value']]}] = p.NX[{self.lay.stack_ids[params[1]['value']]}]"
                )
            else:
                for ua, ub in zip(
                    self.lay.union_stacks[params[0]["value"]],
                    self.lay.union_stacks[params[1]["value"]],
                    strict=True,
                ):
                    for x, y in zip(self.lay.unions[ua], self.lay.unions[ub], strict=True):
                        src.add(f"_copy_hdr(p, {x}, {y}, {self.lay.headers[x].nfields})")
        elif op in ("add_header", "setValid"):
            need(1)
            src.add(f"_add_header(p, {self.hid(params[0], path)})")
        elif op in ("remove_header", "setInvalid"):
            need(1)
            src.add(f"_remove_header(p, {self.hid(params[0], path)})")
        elif op in ("push", "pop"):
            need(2)
            name = params[0]["value"]
            sid, _ = self.ex.stack_ref(name, path)
            src.add(f"_stack_{op}(p, {sid}, {e(params[1], path)})")
        elif op == "exit":
            src.add("p.exit = True")
            src.add("return")
            return
        elif op in ("mark_to_drop", "drop"):
            src.add(f"F[{self.names.sm['egress_spec']}] = {self.names.drop_port}")
            src.add(f"F[{self.names.sm['mcast_grp']}] = 0")
        elif op == "register_read":
            need(3)
            tgt, w, _ = self.lvalue(params[0], path)
            rg, rw = self._reg(params[1], path)
            size = self.names.register_sizes[params[1]["value"]]
            src.add(f"_i = {e(params[2], path)}")
            # a register cell holds a value of the register's width: mask only if narrower
            read = f"({rg}[_i] if 0 <= _i < {size} else 0)"
            src.add(f"{tgt} = {read}" if 0 < rw <= w else f"{tgt} = {read} & {(1 << w) - 1}")
        elif op == "register_write":
            need(3)
            rg, rw = self._reg(params[0], path)
            size = self.names.register_sizes[params[0]["value"]]
            src.add(f"_i = {e(params[1], path)}")
            val = e(params[2], path)
            if self._width_of(params[2], path) > rw:
                val = masked(val, rw)
            src.add(f"if 0 <= _i < {size}: {rg}[_i] = {val}")
        elif op == "count":
            need(2)
            c = self._named(self.names.counters, params[0], "counter", path)
            size = self.names.counter_sizes[params[0]["value"]]
            # CounterArray.count inline: its packet and byte lists are {c}_P / {c}_B
            src.add(f"_c = {e(params[1], path)}")
            src.add(f"if 0 <= _c < {size}: {c}_P[_c] += 1; {c}_B[_c] += p.in_len")
        elif op == "execute_meter":
            need(3)
            m = self._named(self.names.meters, params[0], "meter", path)
            tgt, w, _ = self.lvalue(params[2], path)
            src.add(f"{tgt} = {m}.execute({e(params[1], path)}, p.in_len) & {(1 << w) - 1}")
        elif op == "modify_field_with_hash_based_offset":
            need(4)
            tgt, w, _ = self.lvalue(params[0], path)
            calc = self._named(self.names.calcs, params[2], "calculation", path)
            src.add(f"_sz = {e(params[3], path)}")
            src.add(f"_h = {calc}(p)")
            src.add(f"{tgt} = ({e(params[1], path)} + (_h % _sz if _sz else _h)) & {(1 << w) - 1}")
        elif op == "modify_field_rng_uniform":
            need(3)
            tgt, w, _ = self.lvalue(params[0], path)
            src.add(f"{tgt} = _rand({e(params[1], path)}, {e(params[2], path)}) & {(1 << w) - 1}")
        elif op == "generate_digest":
            need(2)
            src.add(f"p.digests = p.digests + ({e(params[1], path)},)")
        elif op == "clone_ingress_pkt_to_egress":
            need(1)
            fl = e(params[1], path) if len(params) > 1 else "0"
            src.add(f"p.clone_i2e = ({e(params[0], path)}, {fl})")
        elif op == "clone_egress_pkt_to_egress":
            need(1)
            fl = e(params[1], path) if len(params) > 1 else "0"
            src.add(f"p.clone_e2e = ({e(params[0], path)}, {fl})")
        elif op == "resubmit":
            fl = e(params[0], path) if params else "0"
            src.add(f"p.resubmit = {fl}")
        elif op == "recirculate":
            fl = e(params[0], path) if params else "0"
            src.add(f"p.recirculate = {fl}")
        elif op == "truncate":
            need(1)
            src.add(f"p.truncate = {e(params[0], path)}")
        elif op == "log_msg":
            need(1)
            fmt = params[0].get("value")
            args: list[str] = []
            if len(params) > 1:
                vec = params[1].get("value") or []
                args = [e(a, path) for a in vec]
            src.add(f"_log_msg(p, {fmt!r}, [{', '.join(args)}])")
        elif op in ("assert", "assume"):
            need(1)
            src.add(f"if not ({e(params[0], path)}): _assert_fail(p, {op!r}, {path!r})")
        elif op == "no_op":
            pass
        else:
            raise JsonError(path, f"unknown primitive '{op}'")
        done()

    def _width_of(self, o: Any, path: str) -> int:
        """Static bound on the width of an operand's value (ExprCompiler.bound: an
        unsigned field holds values of its width, a mask bounds its result, ...);
        unbounded when unknown."""
        b = self.ex.bound(o)
        return b if b is not None else 1 << 30

    def _reg(self, o: Any, path: str) -> tuple[str, int]:
        name = o.get("value")
        if name not in self.names.registers:
            raise JsonError(path, f"unknown register array '{name}'")
        return self.names.registers[name]

    def _named(self, table: dict[str, str], o: Any, kind: str, path: str) -> str:
        name = o.get("value")
        if name not in table:
            raise JsonError(path, f"unknown {kind} '{name}'")
        return table[name]
