"""bmv2 JSON expressions compiled to Python source text.

Values are Python ints of unbounded precision (as bmv2's ``Data``); fields
are stored unsigned and read signed when declared signed. Header-valued
expressions compile to an expression giving a header id. The generated text
expects these names in scope: ``F`` (field slots), ``V`` (validity), ``p``
(the packet), ``d`` (action data), ``B`` (header base slots), ``STK`` (stack
header ids), ``_sx`` and friends from :data:`RUNTIME`.
"""

from __future__ import annotations

from typing import Any

from inalab.switch.errors import JsonError, PacketError
from inalab.switch.program import Layout


def _sx(v: int, w: int) -> int:
    """Unsigned ``w``-bit value read as two's complement."""
    return v - (1 << w) if v >> (w - 1) else v


def _tc(v: int, w: int) -> int:
    v &= (1 << w) - 1
    return v - (1 << w) if w and v >> (w - 1) else v


def _usat(v: int, w: int) -> int:
    return 0 if v < 0 else min(v, (1 << w) - 1)


def _ssat(v: int, w: int) -> int:
    hi = (1 << (w - 1)) - 1
    return max(-hi - 1, min(v, hi))


def _stk(stack: list[int], i: int) -> int:
    if not 0 <= i < len(stack):
        raise PacketError(f"header stack index {i} out of range")
    return stack[i]


def _div(a: int, b: int) -> int:
    if b == 0:
        raise PacketError("division by zero")
    return a // b


def _mod(a: int, b: int) -> int:
    if b == 0:
        raise PacketError("division by zero")
    return a % b


RUNTIME: dict[str, Any] = {
    "_sx": _sx,
    "_tc": _tc,
    "_usat": _usat,
    "_ssat": _ssat,
    "_stk": _stk,
    "_div": _div,
    "_mod": _mod,
}

BOOL_OPS = {
    "==", "!=", ">", ">=", "<", "<=", "and", "or", "not", "valid", "valid_union", "d2b",
}  # fmt: skip

BINOPS = {
    "+": "+", "-": "-", "*": "*", "<<": "<<", ">>": ">>", "&": "&", "|": "|", "^": "^",
    "==": "==", "!=": "!=", ">": ">", ">=": ">=", "<": "<", "<=": "<=",
    "and": "and", "or": "or",
}  # fmt: skip


class ExprCompiler:
    """Turns bmv2 JSON operands into Python expression source."""

    def __init__(self, layout: Layout, enums: dict[str, dict[str, int]] | None = None) -> None:
        self.lay = layout
        self.enums = enums or {}
        self.nparams = 0  # runtime_data of the action being compiled (0 outside actions)
        self.registers: dict[str, str] = {}  # register array -> values list in the namespace

    # ------------------------------------------------------------------ helpers
    def header_id(self, o: Any, path: str) -> str:
        """Source giving the header id designated by a header-valued operand."""
        t: Any = o.get("type") if isinstance(o, dict) else None
        v: Any = o.get("value") if isinstance(o, dict) else None
        if t in ("header", "regular"):
            return str(self.lay.header(v, path).id)
        if t == "expression":
            if isinstance(v, dict) and "op" in v:
                return self.op(v, path)
            return self.header_id(v, path)
        if t == "stack":  # the "last" element of a stack
            return self.stack_last(v, path)
        raise JsonError(path, f"expected a header operand, got {t!r}")

    def stack_ref(self, name: Any, path: str) -> tuple[int, str]:
        if name not in self.lay.stacks:
            raise JsonError(path, f"unknown header stack '{name}'")
        sid = self.lay.stack_ids[name]
        return sid, f"STK[{sid}]"

    def stack_last(self, name: Any, path: str) -> str:
        sid, s = self.stack_ref(name, path)
        return f"_stk({s}, p.NX[{sid}] - 1)"

    def field(self, hdr: str, fname: str, path: str) -> str:
        h = self.lay.header(hdr, path)
        if fname == "$valid$":
            return f"V[{h.id}]"
        slot, w, s = self.lay.field_slot(hdr, fname, path)
        return f"_sx(F[{slot}], {w})" if s else f"F[{slot}]"

    def dyn_field(self, hid_src: str, hdr_type_name: str | None, fidx: int, path: str) -> str:
        return f"F[B[{hid_src}] + {fidx}]"

    # ------------------------------------------------------------------ operands
    def operand(self, o: Any, path: str) -> str:
        if not isinstance(o, dict) or "type" not in o:
            raise JsonError(path, "expected an operand {type, value}")
        t: Any = o["type"]
        v: Any = o.get("value")
        if t == "hexstr":
            try:
                return str(int(v, 16))
            except (TypeError, ValueError):
                raise JsonError(path, f"bad hexstr {v!r}") from None
        if t == "bool":
            return "True" if v else "False"
        if t == "field":
            if not isinstance(v, list) or len(v) != 2:
                raise JsonError(path, "field operand must be [header, field]")
            return self.field(v[0], v[1], path)
        if t in ("runtime_data", "local"):
            if not isinstance(v, int) or not 0 <= v < self.nparams:
                raise JsonError(
                    path, f"runtime_data {v!r} out of range ({self.nparams} parameters)"
                )
            return f"d[{v}]"
        if t == "expression":
            if isinstance(v, dict) and "op" in v:
                return self.op(v, path)
            return self.operand(v, path)
        if t == "header":
            return self.header_id(o, path)
        if t == "stack_field":
            hid = self.stack_last(v[0], path)
            stack = self.lay.stacks[v[0]]
            h0 = self.lay.headers[stack[0]]
            fi = self.lay.field_index(h0, v[1], path)
            return self.dyn_field(hid, h0.type_name, fi, path)
        if t == "string":
            return repr(v)
        if t == "header_union":
            if v not in self.lay.unions:
                raise JsonError(path, f"unknown header union '{v}'")
            return str(list(self.lay.unions).index(v))
        if t == "register":
            if not isinstance(v, list) or len(v) != 2:
                raise JsonError(path, "register operand must be [register_array, index]")
            if v[0] not in self.registers:
                raise JsonError(path, f"unknown register array '{v[0]}'")
            return f"{self.registers[v[0]]}[{self.operand(v[1], path)}]"
        raise JsonError(path, f"unsupported operand type '{t}'")

    def kind(self, o: Any) -> str:
        """Static type of an operand, as bmv2 infers it: data, bool, header or union."""
        if not isinstance(o, dict):
            return "data"
        t, v = o.get("type"), o.get("value")
        if t == "bool":
            return "bool"
        if t == "header":
            return "header"
        if t == "header_union":
            return "union"
        if t == "expression" and isinstance(v, dict):
            if "op" not in v:
                return self.kind(v)
            op = v["op"]
            if op in BOOL_OPS:
                return "bool"
            if op in ("dereference_header_stack", "access_union_header", "dereference_stack"):
                return "header"
            if op == "dereference_union_stack":
                return "union"
            if op == "?":
                return self.kind(v.get("left"))
        return "data"

    def op(self, e: dict[str, Any], path: str) -> str:
        op = e.get("op")
        left: Any = e.get("left")
        right: Any = e.get("right")
        if op in ("==", "!=") and self.kind(left) in ("header", "union"):
            fn = "_hdr_eq" if self.kind(left) == "header" else "_uni_eq"
            a = self.operand(left, path)
            b = self.operand(right, path)
            return f"({'' if op == '==' else 'not '}{fn}(p, {a}, {b}))"
        if op in ("+", "-") and left is None:
            return f"({op}{self.operand(right, path)})"
        if op == "&":
            # a mask no narrower than the other side's value (p4c's width casts) is a no-op
            for keep, mask in ((left, right), (right, left)):
                m = self.const(mask)
                kb = self.bound(keep)
                full = m is not None and m == (1 << m.bit_length()) - 1
                if full and m is not None and kb is not None and kb <= m.bit_length():
                    return self.operand(keep, path)
        if op in BINOPS:
            a = self.operand(left, path)
            b = self.operand(right, path)
            if op in ("and", "or"):
                return f"(bool({a}) {BINOPS[op]} bool({b}))"
            return f"({a} {BINOPS[op]} {b})"
        if op == "/":
            return f"_div({self.operand(left, path)}, {self.operand(right, path)})"
        if op == "%":
            return f"_mod({self.operand(left, path)}, {self.operand(right, path)})"
        if op == "not":
            return f"(not {self.operand(right, path)})"
        if op == "~":
            return f"(~{self.operand(right, path)})"
        if op == "-" and left is None:
            return f"(-{self.operand(right, path)})"
        if op == "d2b":
            return f"bool({self.operand(right, path)})"
        if op == "b2d":
            return f"int({self.operand(right, path)})"
        if op == "valid":
            return f"V[{self.header_id(right, path)}]"
        if op == "valid_union":
            name = right.get("value") if isinstance(right, dict) else None
            if name not in self.lay.unions:
                raise JsonError(path, f"unknown header union '{name}'")
            ids = self.lay.unions[name]
            return "(" + " or ".join(f"bool(V[{i}])" for i in ids) + ")" if ids else "False"
        if op == "?":
            c = self.operand(e.get("cond"), path)
            return f"({self.operand(left, path)} if {c} else {self.operand(right, path)})"
        if op == "two_comp_mod":
            return f"_tc({self.operand(left, path)}, {self.operand(right, path)})"
        if op == "usat_cast":
            return f"_usat({self.operand(left, path)}, {self.operand(right, path)})"
        if op == "sat_cast":
            return f"_ssat({self.operand(left, path)}, {self.operand(right, path)})"
        if op in ("dereference_header_stack", "dereference_stack"):
            sname = right and left.get("value")
            _, s = self.stack_ref(sname, path)
            return f"_stk({s}, {self.operand(right, path)})"
        if op == "last_stack_index":
            sid, _ = self.stack_ref(right.get("value") if right else left.get("value"), path)
            return f"(p.NX[{sid}] - 1)"
        if op == "size_stack":
            _, s = self.stack_ref(right.get("value") if right else left.get("value"), path)
            return f"len({s})"
        if op == "access_field":
            hid = self.header_id(left, path)
            if not isinstance(right, int):
                raise JsonError(path, "access_field needs a field index")
            return self.dyn_field(hid, None, right, path)
        if op == "dereference_union_stack":
            name = left.get("value")
            if name not in self.lay.union_stacks:
                raise JsonError(path, f"unknown union stack '{name}'")
            return f"_stk({self._union_stack_tuple(name)}, {self.operand(right, path)})"
        if op == "access_union_header":
            # left: union designator (static name or union index expr); right: member index
            lv = left.get("value") if isinstance(left, dict) else None
            if isinstance(lv, str) and lv in self.lay.unions:
                return str(self.lay.unions[lv][right])
            u = self.operand(left, path)
            return f"UNI[{u}][{right}]"
        raise JsonError(path, f"unknown expression operator '{op}'")

    # ------------------------------------------------------------------ value bounds
    def const(self, o: Any) -> int | None:
        """The value of a constant operand, else None."""
        if isinstance(o, dict) and o.get("type") == "hexstr":
            try:
                return int(str(o.get("value")), 16)
            except (TypeError, ValueError):
                return None
        if isinstance(o, dict) and o.get("type") == "expression":
            v = o.get("value")
            if isinstance(v, dict) and "op" not in v:
                return self.const(v)
        return None

    def bound(self, o: Any) -> int | None:
        """A number of bits the operand's value always fits in (it is then never
        negative), or None when unknown. Unsigned fields hold values of their width."""
        if not isinstance(o, dict):
            return None
        t, v = o.get("type"), o.get("value")
        c = self.const(o)
        if c is not None:
            return c.bit_length() if c >= 0 else None
        if t == "bool":
            return 1
        if t == "field" and isinstance(v, list) and len(v) == 2:
            if v[1] == "$valid$":
                return 1
            try:
                _slot, w, signed = self.lay.field_slot(v[0], v[1], "")
            except JsonError:
                return None
            return int(w) if w and not signed else None
        if t != "expression" or not isinstance(v, dict):
            return None
        if "op" not in v:
            return self.bound(v)
        op, left, right = v["op"], v.get("left"), v.get("right")
        if op in ("==", "!=", "<", "<=", ">", ">=", "and", "or", "not", "valid", "d2b", "b2d"):
            return 1
        if left is None:
            return None
        a, b = self.bound(left), self.bound(right)
        if op == "&":
            known = [x for x in (a, b) if x is not None]
            return min(known) if known else None
        if a is None or b is None:
            return None
        if op in ("|", "^"):
            return max(a, b)
        if op == "+":
            return max(a, b) + 1
        if op == "*":
            return a + b
        n = self.const(right)
        if op == "<<" and n is not None:
            return a + n
        if op == ">>" and n is not None:
            return max(a - n, 0)
        return None

    def _union_stack_tuple(self, name: str) -> str:
        names = self.lay.union_stacks[name]
        return "(" + "".join(f"{list(self.lay.unions).index(n)}, " for n in names) + ")"

    def bool_src(self, o: Any, path: str) -> str:
        return self.operand(o, path)
