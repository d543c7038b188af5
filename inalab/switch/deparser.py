"""The deparser: valid headers in order, then the unparsed payload."""

from __future__ import annotations

from typing import Any

from inalab.switch.codegen import Source
from inalab.switch.errors import JsonError
from inalab.switch.parser import pack_args, struct_format, struct_plan
from inalab.switch.program import Layout


def compile_deparser(src: Source, lay: Layout, dep: dict[str, Any], path: str) -> None:
    """Emit ``def deparse(p) -> bytes``."""
    src.add("def deparse(p):")
    src.indent()
    src.add("F = p.F; V = p.V; out = []")
    for i, name in enumerate(dep.get("order", [])):
        h = lay.header(name, f"{path}.order[{i}]")
        src.add(f"if V[{h.id}]:")
        src.indent()
        b = h.base
        if any(w == 0 for _, w, _ in h.fields):
            src.add("x = 0; n = 0")
            for k, (_, w, _) in enumerate(h.fields):
                if w == 0:
                    src.add(f"w = p.vl.get({b + k}, 0); x = (x << w) | F[{b + k}]; n += w")
                else:
                    src.add(f"x = (x << {w}) | F[{b + k}]; n += {w}")
            src.add("out.append(x.to_bytes(n // 8, 'big'))")
        elif struct_format(h) is not None:
            n = len(h.fields)
            src.add(f"out.append({src.struct(struct_format(h) or '')}.pack(*F[{b}:{b + n}]))")
        elif (plan := struct_plan(h)) is not None:
            args = pack_args(plan, [f"F[{b + k}]" for k in range(len(h.fields))])
            src.add(f"out.append({src.struct(plan.fmt)}.pack({', '.join(args)}))")
        else:
            total = h.fixed_bits()
            if total % 8:
                raise JsonError(f"{path}.order[{i}]", f"header '{name}' is not whole bytes")
            terms = []
            shift = total
            for k, (_, w, _) in enumerate(h.fields):
                shift -= w
                terms.append(f"(F[{b + k}] << {shift})" if shift else f"F[{b + k}]")
            if terms:
                src.add(f"out.append(({' | '.join(terms)}).to_bytes({total // 8}, 'big'))")
            else:
                src.add("pass")
        src.dedent()
    src.add("out.append(p.data[p.off:])")
    src.add("return b''.join(out)")
    src.dedent()
