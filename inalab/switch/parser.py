"""Parsers: each parse state compiled into ``ps_<parser>_<state>(p) -> next state fn | None``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inalab.switch.actions import ActionCompiler
from inalab.switch.codegen import Source, emit_functions
from inalab.switch.errors import JsonError, at_path
from inalab.switch.expressions import ExprCompiler
from inalab.switch.program import HeaderInfo, Layout

_STRUCT_CODES = {8: "B", 16: "H", 32: "I", 64: "Q"}
_STRUCT_WIDTH = {v: k for k, v in _STRUCT_CODES.items()}


def struct_format(h: HeaderInfo) -> str | None:
    """A big-endian :mod:`struct` format for ``h`` when every field is 8/16/32/64 bits."""
    if not h.fields or any(w not in _STRUCT_CODES for _, w, _ in h.fields):
        return None
    return ">" + "".join(_STRUCT_CODES[w] for _, w, _ in h.fields)


_SIZES = (64, 32, 16, 8)


@dataclass(frozen=True)
class StructPlan:
    """A fixed header as :mod:`struct` chunks of 8/16/32/64 bits (``fmt``) and, per
    field, its pieces ``(chunk, shift, width)``, most significant first: several
    narrow fields may share a chunk (IPv4's version and ihl), a wide one may span
    chunks (a 48-bit MAC address is a 16- and a 32-bit chunk)."""

    fmt: str
    fields: tuple[tuple[tuple[int, int, int], ...], ...]

    def __post_init__(self) -> None:
        if not self.fmt.startswith(">") or not self.fields:
            raise ValueError("a struct plan needs a big-endian format and fields")


def struct_plan(h: HeaderInfo) -> StructPlan | None:
    """``h`` as struct chunks, or None (a varbit field, or fields across chunks)."""
    widths = [w for _, w, _ in h.fields]
    if not widths or 0 in widths:
        return None
    chunks: list[int] = []
    fields: list[tuple[tuple[int, int, int], ...]] = []
    cur: list[int] = []  # widths of the fields in the chunk being filled
    for w in widths:
        if not cur and w % 8 == 0 and w not in _SIZES:
            pieces = []
            left = w
            while left:
                size = next(x for x in _SIZES if x <= left)
                pieces.append((len(chunks), 0, size))
                chunks.append(size)
                left -= size
            fields.append(tuple(pieces))
            continue
        cur.append(w)
        total = sum(cur)
        if total > 64:
            return None
        if total in _SIZES:
            shift = total
            for fw in cur:
                shift -= fw
                fields.append(((len(chunks), shift, fw),))
            chunks.append(total)
            cur = []
    if cur:
        return None
    return StructPlan(">" + "".join(_STRUCT_CODES[c] for c in chunks), tuple(fields))


def unpack_exprs(plan: StructPlan, t: str) -> list[str]:
    """Per field, its value from the tuple ``t`` of unpacked chunks."""
    out = []
    for pieces in plan.fields:
        terms = []
        below = sum(w for _, _, w in pieces)
        for c, shift, w in pieces:
            below -= w
            if shift + w == _STRUCT_WIDTH[plan.fmt[1 + c]]:  # the chunk's top bits
                v = f"({t}[{c}] >> {shift})" if shift else f"{t}[{c}]"
            else:
                v = (
                    f"(({t}[{c}] >> {shift}) & {(1 << w) - 1})"
                    if shift
                    else f"({t}[{c}] & {(1 << w) - 1})"
                )
            terms.append(f"({v} << {below})" if below else v)
        out.append(" | ".join(terms))
    return out


def pack_args(plan: StructPlan, field: list[str]) -> list[str]:
    """Per chunk, its value from the fields' source texts ``field`` (each a value
    of its field's width)."""
    chunks: list[list[str]] = [[] for _ in plan.fmt[1:]]
    for f, pieces in zip(field, plan.fields, strict=True):
        below = sum(w for _, _, w in pieces)
        for c, shift, w in pieces:
            below -= w
            v = f
            if len(pieces) > 1 and (c, shift, w) == pieces[0]:
                v = f"({f} >> {below})"  # the field's top bits: no mask
            elif len(pieces) > 1:
                v = f"(({f} >> {below}) & {(1 << w) - 1})" if below else f"({f} & {(1 << w) - 1})"
            chunks[c].append(f"({v} << {shift})" if shift else v)
    return [" | ".join(terms) for terms in chunks]


def gen_extract(
    src: Source, h: HeaderInfo, hid: str, base: str, vlen: str | None, in_union: bool = True
) -> None:
    """Extract header ``h``'s layout into header id ``hid`` (base slot ``base``)."""
    fixed = h.fixed_bits()
    has_vb = any(w == 0 for _, w, _ in h.fields)
    src.add("o = p.off")
    if has_vb:
        src.add(f"vl = {vlen if vlen is not None else '0'}")
        src.add(f"if vl > {h.varbit_max} or (vl + {fixed}) % 8: raise _perr('HeaderTooShort')")
        src.add(f"n = ({fixed} + vl) // 8")
    else:
        if fixed % 8:
            raise JsonError(f"headers[{h.name}]", "header is not a whole number of bytes")
        src.add(f"n = {fixed // 8}")
    src.add("if o + n > len(p.data): raise _perr('PacketTooShort')")
    fmt = None if has_vb else struct_format(h)
    plan = None if has_vb or fmt is not None else struct_plan(h)
    if fmt is None and plan is None:
        src.add("x = int.from_bytes(p.data[o:o + n], 'big')")
    if has_vb:
        src.add("s = n * 8")
        for i, (_, w, _) in enumerate(h.fields):
            if w == 0:
                src.add(
                    f"s -= vl; F[{base} + {i}] = (x >> s) & ((1 << vl) - 1); p.vl[{base} + {i}] = vl"
                )
            else:
                src.add(f"s -= {w}; F[{base} + {i}] = (x >> s) & {(1 << w) - 1}")
    elif fmt is not None:
        # whole-byte fields of 8/16/32/64 bits: one C-level unpack of the header
        src.add(f"F[{base}:{base} + {len(h.fields)}] = {src.struct(fmt)}.unpack_from(p.data, o)")
    elif plan is not None:
        # byte-aligned groups of fields: one unpack, then shifts within a chunk
        src.add(f"_t = {src.struct(plan.fmt)}.unpack_from(p.data, o)")
        vals = unpack_exprs(plan, "_t")
        src.add(f"F[{base}:{base} + {len(vals)}] = ({', '.join(vals)},)")
    else:
        shift = fixed
        vals = []
        for _, w, _ in h.fields:
            shift -= w
            vals.append(f"(x >> {shift}) & {(1 << w) - 1}" if shift else f"x & {(1 << w) - 1}")
        if vals:
            src.add(f"F[{base}:{base} + {len(vals)}] = ({', '.join(vals)},)")
    if in_union:
        src.add(f"_mark_valid(p, {hid})")  # also invalidates its union siblings
    else:
        src.add(f"V[{hid}] = 1")
    src.add("p.off = o + n")


class ParserCompiler:
    def __init__(self, lay: Layout, ex: ExprCompiler, ac: ActionCompiler) -> None:
        self.lay = lay
        self.ex = ex
        self.ac = ac
        self.vsets: dict[str, str] = {}
        # state function -> (its ops' lines, select key line, transitions)
        self.plans: dict[
            str, tuple[list[str], str | None, list[tuple[str | None, str | None]]]
        ] = {}

    def fn_name(self, parser: str, state: str) -> str:
        return "ps_" + "".join(c if c.isalnum() else "_" for c in f"{parser}__{state}")

    def compile(self, src: Source, parser: dict[str, Any], path: str) -> str:
        """Emit all states; return the name of the init state's function."""
        states = parser.get("parse_states", [])
        names = {s.get("name"): self.fn_name(parser["name"], s.get("name")) for s in states}
        for i, st in enumerate(states):
            self.state(src, st, names, f"{path}.parse_states[{i}]")
        init = parser.get("init_state")
        if init not in names:
            raise JsonError(f"{path}.init_state", f"unknown parse state '{init}'")
        return names[init]

    def state(self, src: Source, st: dict[str, Any], names: dict[str, str], path: str) -> None:
        at_path(path)
        body = Source()
        body.structs = src.structs  # one set of precompiled formats
        for k, op in enumerate(st.get("parser_ops", [])):
            self.parser_op(body, op, f"{path}.parser_ops[{k}]")
        key, trans = self.transitions(st, names, path)
        fname = names[st["name"]]
        self.plans[fname] = (body.lines, key, trans)
        src.add(f"def {fname}(p):")
        src.indent()
        src.add("F = p.F; V = p.V; d = ()")
        src.add(f"if TRACE: _trace(p, 'Parser state {st['name']}')")
        for line in body.lines:
            src.add(line)
        _emit_transitions(src, key, trans, lambda t: src.add(f"return {t or 'None'}"))
        src.dedent()

    def compile_fused(self, src: Source, init: str) -> str:
        """The parser as few functions as possible, for tracing off: a state with one
        predecessor is inlined where it is entered; returns the init function's name."""
        indeg: dict[str, int] = {}
        seen, todo = {init}, [init]
        while todo:
            for _cond, t in self.plans[todo.pop()][2]:
                if t is not None:
                    indeg[t] = indeg.get(t, 0) + 1
                    if t not in seen:
                        seen.add(t)
                        todo.append(t)
        funcs = {s: f"pf{s[2:]}" for s in sorted(seen) if s == init or indeg.get(s, 0) > 1}

        def emit(state: str, depth: int) -> None:
            lines, key, trans = self.plans[state]
            for line in lines:
                if not line.startswith("if TRACE:"):
                    src.add(line)

            def enter(t: str | None) -> None:
                if t is None or t in funcs or depth >= 20:
                    if t is not None and t not in funcs:
                        funcs[t] = f"pf{t[2:]}"
                        queue.append(t)
                    src.add(f"return {funcs[t] if t is not None else 'None'}")
                else:
                    emit(t, depth + 1)

            _emit_transitions(src, key, trans, enter)

        queue = list(funcs)
        emit_functions(src, funcs, queue, emit)
        return funcs[init]

    def parser_op(self, src: Source, op: dict[str, Any], path: str) -> None:
        at_path(path)
        kind = op.get("op")
        params = op.get("parameters", [])
        if kind in ("extract", "extract_VL"):
            if not params:
                raise JsonError(path, f"{kind} needs a header")
            t: Any = params[0].get("type")
            v: Any = params[0].get("value")
            vlen = self.ex.operand(params[1], path) if kind == "extract_VL" else None
            if t == "regular":
                h = self.lay.header(v, path)
                gen_extract(src, h, str(h.id), str(h.base), vlen, h.id in self.lay.union_of)
                src.add(f"if TRACE: _trace(p, 'Extracting header {v}')")
            elif t == "stack":
                sid, _ = self.ex.stack_ref(v, path)
                h0 = self.lay.headers[self.lay.stacks[v][0]]
                src.add(f"_h = _stk_next(p, {sid}); _b = B[_h]")
                gen_extract(src, h0, "_h", "_b", vlen)
                src.add(f"if TRACE: _trace(p, 'Extracting header {v}.next')")
            elif t == "union_stack":
                # [union stack, member]: next union element's member header
                us, member = v
                if us not in self.lay.union_stacks:
                    raise JsonError(path, f"unknown union stack '{us}'")
                first = self.lay.union_stacks[us][0]
                members = self.lay.union_member_names.get(first, [])
                if member not in members:
                    raise JsonError(path, f"union stack '{us}' has no member '{member}'")
                mi = members.index(member)
                h0 = self.lay.headers[self.lay.unions[first][mi]]
                usid = self.lay.union_stack_ids[us]
                src.add(f"_h = _us_next(p, {usid}, {mi}); _b = B[_h]")
                gen_extract(src, h0, "_h", "_b", vlen)
            else:
                raise JsonError(path, f"cannot extract into operand type '{t}'")
        elif kind == "set":
            tgt, w, _ = self.ac.lvalue(params[0], path)
            val = self.value(params[1], path)
            src.add(f"{tgt} = ({val}) & {(1 << w) - 1}" if w else f"{tgt} = {val}")
        elif kind == "verify":
            cond = self.value(params[0], path)
            err = self.value(params[1], path)
            src.add(f"if not ({cond}): raise ParserError({err}, _ERRNAMES.get({err}, str({err})))")
        elif kind == "primitive":
            self.ac.primitive(src, params[0], path, pc=None)
        elif kind == "shift":
            n = int(params[0]["value"], 16)
            src.add(f"if p.off + {n} > len(p.data): raise _perr('PacketTooShort')")
            src.add(f"p.off += {n}")
        elif kind == "advance":
            bits = self.value(params[0], path)
            src.add(f"_n = ({bits}) // 8")
            src.add("if p.off + _n > len(p.data): raise _perr('PacketTooShort')")
            src.add("p.off += _n")
        else:
            raise JsonError(path, f"unknown parser op '{kind}'")

    def value(self, o: Any, path: str) -> str:
        if isinstance(o, dict) and o.get("type") == "lookahead":
            off, w = o["value"]
            return f"_look(p, {off}, {w})"
        if isinstance(o, dict) and o.get("type") == "expression":
            v = o.get("value")
            if isinstance(v, dict) and v.get("type") == "lookahead":
                return self.value(v, path)
        return self.ex.operand(o, path)

    def key_part(self, k: dict[str, Any], path: str) -> tuple[str, int]:
        """(source, byte width) of one transition key element."""
        t: Any = k.get("type")
        v: Any = k.get("value")
        if t == "field":
            if v[1] == "$valid$":
                return self.ex.field(v[0], v[1], path), 1
            slot, w, _ = self.lay.field_slot(v[0], v[1], path)
            return f"F[{slot}]", (w + 7) // 8
        if t == "stack_field":
            h0 = self.lay.headers[self.lay.stacks[v[0]][0]]
            fi = self.lay.field_index(h0, v[1], path)
            return self.ex.operand(k, path), (h0.fields[fi][1] + 7) // 8
        if t == "lookahead":
            off, w = v
            return f"_look(p, {off}, {w})", (w + 7) // 8
        if t == "expression":
            return self.ex.operand(k, path), 0
        raise JsonError(path, f"unsupported transition key type '{t}'")

    def transitions(
        self, st: dict[str, Any], names: dict[str, str], path: str
    ) -> tuple[str | None, list[tuple[str | None, str | None]]]:
        """(the select key's assignment, [(case test or None for the default, next
        state function or None to accept)]); the list always ends in a default."""
        parts = [
            self.key_part(k, f"{path}.transition_key[{i}]")
            for i, k in enumerate(st.get("transition_key", []))
        ]
        key = None
        if parts:
            expr = parts[0][0]
            for s, nb in parts[1:]:
                expr = f"(({expr}) << {8 * nb}) | {s}"
            key = f"k = {expr}"
        out: list[tuple[str | None, str | None]] = []
        for i, tr in enumerate(st.get("transitions", [])):
            tp = f"{path}.transitions[{i}]"
            nxt = tr.get("next_state")
            if nxt is not None and nxt not in names:
                raise JsonError(tp, f"unknown parse state '{nxt}'")
            target = names[nxt] if nxt is not None else None
            t = tr.get("type")
            if t == "default":
                out.append((None, target))
                return key, out
            if t == "hexstr":
                val = int(tr["value"], 16)
                m = tr.get("mask")
                if m is None:
                    out.append((f"k == {val}", target))
                else:
                    mv = int(m, 16)
                    out.append((f"k & {mv} == {val & mv}", target))
            elif t == "parse_vset":
                vs = tr.get("value")
                if vs not in self.vsets:
                    raise JsonError(tp, f"unknown parse value set '{vs}'")
                out.append((f"_vset_match({self.vsets[vs]}, k)", target))
            else:
                raise JsonError(tp, f"unknown transition type '{t}'")
        # no case matched and no default: bmv2 ends the parse there (accept)
        out.append((None, None))
        return key, out


def _emit_transitions(
    src: Source,
    key: str | None,
    trans: list[tuple[str | None, str | None]],
    enter: Callable[[str | None], None],
) -> None:
    """The select: ``enter(target)`` emits what going to ``target`` means (a return
    of the state's function, or its code inlined)."""
    if key is not None:
        src.add(key)
    for cond, target in trans:
        if cond is None:
            enter(target)
            return
        src.add(f"if {cond}:")
        src.indent()
        enter(target)
        src.dedent()
