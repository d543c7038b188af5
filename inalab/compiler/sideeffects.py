"""Calls in expression positions, in p4c's evaluation order (frontend SideEffectOrdering).

A call that runs statements (an inlined function, an extern method with a result) inside
an expression is evaluated left to right, before the expression that uses its result.
``&&``, ``||`` and ``?:`` keep their short-circuit: a call in the right operand of ``&&``
runs only when the left one is true (``||``: false), a call in a branch of ``?:`` only
when that branch is taken. Inside an action this becomes bmv2's ``_jump_if_zero`` /
``_jump`` around the call's primitives; an ``if`` condition of an apply block that holds
such a call is evaluated first, into a bool temporary, by a synthesized action in a
keyless table (as p4c hoists it), and the conditional tests the temporary.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from . import ast as A
from .errors import CompileError, UnsupportedError
from .exprs import Scope, Val, as_bool, expr, hexstr
from .statements import StatementLowering
from .typesys import BoolT, IntT, Type, type_name

Json = dict[str, Any]

# calls that only read state: they stay in the expression (isValid) or are handled where
# they stand (t.apply().hit / .miss / .action_run)
_PURE_METHODS = {"isValid", "apply"}


def calls_in(e: A.Expr) -> Iterator[A.Call]:
    """Every call inside ``e``, outermost first."""
    if isinstance(e, A.Call):
        yield e
    for f in dataclasses.fields(e):
        v = getattr(e, f.name)
        for x in v if isinstance(v, tuple) else (v,):
            if isinstance(x, A.Expr):
                yield from calls_in(x)


def has_side_calls(e: A.Expr) -> bool:
    """Whether ``e`` calls something that runs statements (a function, an extern)."""
    for c in calls_in(e):
        if isinstance(c.func, A.Member) and c.func.name in _PURE_METHODS:
            continue
        return True
    return False


class SideEffectLowering(StatementLowering):
    def _jump_test(self, cond: Val, negate: bool = False) -> Json:
        """The first parameter of ``_jump_if_zero`` for a bool value."""
        if cond.kind == "const":
            return hexstr(int(bool(cond.const) != negate), 1)
        b = as_bool(cond)
        if negate:
            b = expr("not", None, b)
        return {"type": "expression", "value": expr("b2d", None, b)}

    def _jump_if_zero(self, cond: Val, node: A.Node, negate: bool = False) -> Json:
        jz: Json = {"op": "_jump_if_zero", "parameters": [self._jump_test(cond, negate), None]}
        self._emit(jz, node)
        return jz

    def _label(self, jump: Json, index: int) -> None:
        """Point a jump's target (parameter ``index``) at the next primitive emitted."""
        assert self.cur_prims is not None
        jump["parameters"][index] = {"type": "hexstr", "value": hex(len(self.cur_prims))}

    def ordered_in_action(self, e: A.Expr) -> bool:
        """Whether ``e`` must be evaluated with jumps: it calls something and we are in
        an action. In a parser state (its ops have no jumps) such a call is refused."""
        if self.cur_prims is None or not has_side_calls(e):
            return False
        if not self.in_action:
            raise UnsupportedError(
                "a call in the right operand of &&, || or in a branch of ?: in a parser", e.loc
            )
        return True

    def short_circuit(self, e: A.Binary, scope: Scope) -> Val:
        """``a && b`` / ``a || b`` whose right operand calls something: ``tmp = a``; when
        ``tmp`` decides the result, jump over ``b``; else ``tmp = b``."""
        a = self.ex.lower(e.left, scope, BoolT())
        _need_bool(a, e.op, e.left)
        tmp = self.inst.scalar(self.inst.fresh("tmp"), BoolT())
        self._assign_vals(tmp, a, e)
        jz = self._jump_if_zero(tmp, e, negate=e.op == "||")
        b = self.ex.lower(e.right, scope, BoolT())
        _need_bool(b, e.op, e.right)
        self._assign_vals(tmp, b, e)
        self._label(jz, 1)
        return tmp

    def ordered_mux(self, e: A.Ternary, scope: Scope, want: Type | None) -> Val:
        """``c ? x : y`` with a call in a branch: only the branch taken runs."""
        c = self.ex.lower(e.cond, scope, BoolT())
        _need_bool(c, "?:", e.cond)
        jz = self._jump_if_zero(c, e)
        x = self.ex.lower(e.then, scope, want)
        t = want if isinstance(x.type, IntT) and want is not None else x.type
        if isinstance(t, IntT):  # an untyped integer: the other branch's type, as p4c infers
            t = self._branch_type(e.other, scope) or t
        if isinstance(t, IntT):
            raise CompileError("?: needs a type for its branches here (add a cast)", e.loc)
        tmp = self.inst.variable(self.inst.fresh("tmp"), t)
        self._assign_vals(tmp, self.ex.coerce(x, t, e.then), e)
        jmp: Json = {"op": "_jump", "parameters": [None]}
        self._emit(jmp, e)
        self._label(jz, 1)
        y = self.ex.lower(e.other, scope, t)
        self._assign_vals(tmp, self.ex.coerce(y, t, e.other), e)
        self._label(jmp, 0)
        return tmp

    def _branch_type(self, e: A.Expr, scope: Scope) -> Type | None:
        """The type of a ``?:`` branch not lowered yet: a function's declared result, or
        the type of an expression without calls (lowering it emits nothing)."""
        if isinstance(e, A.Call):
            fn = self._find_function(e.func, scope)
            if fn is not None and fn[0].ret is not None:
                return self.env.resolve(fn[0].ret)
        if not has_side_calls(e):
            return self.ex.lower(e, scope).type
        return None

    def hoisted_condition(self, s: A.If, scope: Scope) -> tuple[Val, str]:
        """An apply block's ``if`` condition that calls something: a synthesized action
        computes it into a bool temporary; returns the temporary and the action."""
        tmp = self.inst.scalar(self.inst.fresh("tmp"), BoolT())

        def fill() -> None:
            v = self.ex.lower(s.cond, scope, BoolT())
            if not isinstance(v.type, BoolT):
                raise CompileError("if condition must be a bool expression", s.cond.loc)
            self._assign_vals(tmp, v, s.cond)

        return tmp, self.synth_from(s, fill)


def _need_bool(v: Val, op: str, side: A.Expr) -> None:
    if not isinstance(v.type, BoolT):
        raise CompileError(f"{op} needs bool operands, not {type_name(v.type)}", side.loc)
