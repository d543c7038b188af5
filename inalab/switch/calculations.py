"""``calculations``: byte buffers built from field lists, fed to a hash algorithm."""

from __future__ import annotations

from typing import Any

from inalab.switch.codegen import Source
from inalab.switch.errors import JsonError
from inalab.switch.hashes import ALGORITHMS, CUSTOM_CRC_DEFAULTS, custom_crc_key
from inalab.switch.program import Layout


def gen_field_bits(src: Source, lay: Layout, items: list[Any], path: str) -> None:
    """Emit code leaving the concatenation of ``items`` in ``x`` (``n`` bits).

    Consecutive items of static width (fields, constants, validity bits) are
    concatenated by one expression."""
    pending: list[tuple[str, int]] = []  # (value source, width) not emitted yet
    state = {"started": False}

    def flush() -> None:
        if not pending:
            return
        total = sum(w for _, w in pending)
        terms = []
        shift = total
        for val, w in pending:
            shift -= w
            terms.append(f"({val} << {shift})" if shift else val)
        expr = " | ".join(terms)
        if state["started"]:
            src.add(f"x = (x << {total}) | {expr}")
            src.add(f"n += {total}")
        else:
            src.add(f"x = {expr}")
            src.add(f"n = {total}")
        pending.clear()
        state["started"] = True

    def start() -> None:
        flush()
        if not state["started"]:
            src.add("x = 0")
            src.add("n = 0")
            state["started"] = True

    for k, it in enumerate(items):
        ip = f"{path}.input[{k}]"
        t, v = it.get("type"), it.get("value")
        if t == "field":
            h = lay.header(v[0], ip)
            if v[1] == "$valid$":
                pending.append((f"V[{h.id}]", 1))
                continue
            slot, w, _ = lay.field_slot(v[0], v[1], ip)
            if w == 0:
                start()
                src.add(f"w = p.vl.get({slot}, 0)")
                src.add(f"x = (x << w) | F[{slot}]")
                src.add("n += w")
            else:
                pending.append((f"F[{slot}]", w))
        elif t == "hexstr":
            w = int(it.get("bitwidth", 0))
            val = int(v, 16) & ((1 << w) - 1)
            pending.append((str(val), w))
        elif t == "header":
            h = lay.header(v, ip)
            start()
            src.add(f"if V[{h.id}]:")
            src.indent()
            for i, (_, w, _) in enumerate(h.fields):
                if w:
                    src.add(f"x = (x << {w}) | F[{h.base + i}]")
                    src.add(f"n += {w}")
            src.dedent()
        elif t == "payload":
            start()
            src.add("pl = p.payload()")
            src.add("x = (x << (8 * len(pl))) | int.from_bytes(pl, 'big')")
            src.add("n += 8 * len(pl)")
        else:
            raise JsonError(ip, f"unsupported calculation input type '{t}'")
    start()


def gen_calculation(src: Source, lay: Layout, calc: dict[str, Any], fname: str, path: str) -> str:
    """Emit ``def fname(p) -> int`` computing the calculation; returns the algo global name."""
    algo = calc.get("algo")
    if algo not in ALGORITHMS:
        raise JsonError(path, f"unsupported hash algorithm '{algo}'")
    src.add(f"def {fname}(p):")
    src.indent()
    src.add("F = p.F; V = p.V")
    gen_field_bits(src, lay, calc.get("input", []), path)
    if algo in ("csum16", "cksum16"):
        src.add("return _csum16_int(x << ((-n) % 16))")
    elif algo in CUSTOM_CRC_DEFAULTS:
        # parameters the control plane set for this calculation (Switch.set_crc_parameters),
        # else bmv2's defaults
        key = custom_crc_key(str(calc.get("name")))
        src.add("pad = (-n) % 8")
        src.add(
            f"return globals().get({key!r}, ALG_{algo})((x << pad).to_bytes((n + pad) // 8, 'big'))"
        )
    else:
        src.add("pad = (-n) % 8")
        src.add(f"return ALG_{algo}((x << pad).to_bytes((n + pad) // 8, 'big'))")
    src.dedent()
    return f"ALG_{algo}"
