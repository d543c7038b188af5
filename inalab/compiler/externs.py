"""v1model extern instances and extern calls lowered to bmv2 JSON objects and primitives."""

from __future__ import annotations

from typing import Any

from . import ast as A
from .diagnostics import warn
from .errors import CompileError, UnsupportedError
from .exprs import Scope, Val, as_bool, hexstr, param_json
from .typesys import (
    BitT,
    BoolT,
    Env,
    ExternT,
    IntT,
    StructLikeT,
    Type,
    TypeParamT,
    type_name,
    width_of,
)

Json = dict[str, Any]

_HASH_ALGOS = {
    "crc32": "crc32",
    "crc32_custom": "crc32_custom",
    "crc16": "crc16",
    "crc16_custom": "crc16_custom",
    "random": "random",
    "identity": "identity",
    "csum16": "csum16",
    "xor16": "xor16",
}


class ExternObjects:
    """Counters, meters, registers, action profiles, calculations, learn/field lists."""

    def __init__(self) -> None:
        self.counter_arrays: list[Json] = []
        self.meter_arrays: list[Json] = []
        self.register_arrays: list[Json] = []
        self.calculations: list[Json] = []
        self.learn_lists: list[Json] = []
        self.field_lists: list[Json] = []
        self.action_profiles: dict[str, Json] = {}
        self.info: dict[str, dict[str, Any]] = {}  # fq name -> P4Info facts
        self._calc_names = 0

    def move_to_end(self, names: list[str]) -> None:
        """Put the counter, meter and register arrays called ``names`` after the others, in
        that order, and number every array again: p4c's bmv2 backend converts the program's
        top-level extern instances last (``ConvertGlobals``, after the controls)."""
        rank = {n: i for i, n in enumerate(names)}
        for arrays in (self.counter_arrays, self.meter_arrays, self.register_arrays):
            arrays.sort(key=lambda o: (o["name"] in rank, rank.get(o["name"], 0)))
            for i, o in enumerate(arrays):
                o["id"] = i

    def calculation(self, algo: str, inputs: list[Json], frag: A.Node) -> str:
        n = self._calc_names
        self._calc_names += 1
        name = "calc" if n == 0 else f"calc_{n - 1}"
        self.calculations.append(
            {"name": name, "id": len(self.calculations), "algo": algo, "input": inputs}
        )
        return name


def algo_name(v: Val, e: A.Node) -> str:
    if v.kind != "const" or not v.name or v.name not in _HASH_ALGOS:
        raise CompileError("expected a HashAlgorithm constant", e.loc)
    return _HASH_ALGOS[v.name]


def flatten_fields(v: Val, e: A.Node) -> list[Val]:
    """The fields of a list expression / struct / header, in order (for hashes and digests)."""
    if v.kind == "list":
        out: list[Val] = []
        for i in range(len(v.members)):
            out.extend(flatten_fields(v.members[str(i)], e))
        return out
    if v.kind == "struct":
        out = []
        for m in v.members.values():
            out.extend(flatten_fields(m, e))
        return out
    if v.kind == "header":
        assert isinstance(v.type, StructLikeT)
        return [
            Val({"type": "field", "value": [v.name, f]}, ft, "field") for f, ft in v.type.fields
        ]
    return [v]


def check_call(
    env: Env,
    m: A.Method,
    args: list[Val],
    c: A.Call,
    what: str,
    bound: dict[str, Type] | None = None,
    tparams: tuple[str, ...] = (),
) -> None:
    """Arguments against an extern method's / function's declaration, as p4c's type
    checker does for the bit<W>/bool parameters: the same type, or an integer literal for
    an ``in`` (or directionless) parameter (an implicit cast); ``bound`` gives the extern
    instance's type arguments (``register<bit<8>>``: T = bit<8>). Parameters whose type
    is a type variable left open (``random<T>``, ``hash<O, T, D, M>``) are not checked."""
    names = frozenset((*tparams, *m.type_params))
    for p, a, e in zip(m.params, args, c.args, strict=False):
        want = env.resolve(p.type, names)
        if isinstance(want, TypeParamT):
            want = (bound or {}).get(want.name, want)
        if not isinstance(want, (BitT, BoolT)) or a.type == want:
            continue
        if isinstance(a.type, IntT) and p.direction in ("", "in"):
            continue
        raise CompileError(
            f"{what}: Type of argument '{e.frag}' ({type_name(a.type)}) does not match type "
            f"of parameter '{p.name}' ({type_name(want)})",
            e.loc,
        )


def deprecated(d: A.Decl, c: A.Call, name: str) -> None:
    """p4c's warning for a call of a declaration annotated ``@deprecated("...")``."""
    a = d.annotation("deprecated")
    if a is None:
        return
    why = " ".join(str(x.value) for x in a.args if isinstance(x, A.StrLit))
    warn("deprecated", f"{name}: Using deprecated feature {name}. {why}".rstrip(), c.func.loc)


def instantiate(
    objs: ExternObjects, d: A.Instantiation, fq: str, t: ExternT, args: list[Val]
) -> Val:
    """Create the bmv2 object for an extern instantiation."""
    kind = t.name

    def const_arg(i: int) -> int:
        if i >= len(args) or args[i].kind != "const":
            raise CompileError(f"{kind}: constructor argument {i + 1} must be a constant", d.loc)
        return args[i].const or 0

    if kind == "counter":
        unit = args[1].name if len(args) > 1 else "packets"
        objs.counter_arrays.append(
            {"name": fq, "id": len(objs.counter_arrays), "is_direct": False, "size": const_arg(0)}
        )
        objs.info[fq] = {"kind": "counter", "size": const_arg(0), "unit": unit, "decl": d}
    elif kind == "direct_counter":
        unit = args[0].name if args else "packets"
        objs.info[fq] = {"kind": "direct_counter", "unit": unit, "decl": d}
    elif kind == "meter":
        unit = args[1].name if len(args) > 1 else "packets"
        objs.meter_arrays.append(
            {
                "name": fq,
                "id": len(objs.meter_arrays),
                "is_direct": False,
                "size": const_arg(0),
                "rate_count": 2,
                "type": unit,
            }
        )
        objs.info[fq] = {"kind": "meter", "size": const_arg(0), "unit": unit, "decl": d}
    elif kind == "direct_meter":
        unit = args[0].name if args else "packets"
        objs.info[fq] = {"kind": "direct_meter", "unit": unit, "decl": d}
    elif kind == "register":
        if not t.args or not isinstance(t.args[0], (BitT, BoolT)):
            raise UnsupportedError("register of a non bit<W> type", d.loc)
        w = width_of(t.args[0])
        objs.register_arrays.append(
            {"name": fq, "id": len(objs.register_arrays), "size": const_arg(0), "bitwidth": w}
        )
        objs.info[fq] = {
            "kind": "register",
            "size": const_arg(0),
            "width": w,
            "type": t.args[0],
            "decl": d,
        }
    elif kind == "action_profile":
        objs.info[fq] = {"kind": "action_profile", "size": const_arg(0), "decl": d}
    elif kind == "action_selector":
        algo = algo_name(args[0], d)
        objs.info[fq] = {"kind": "action_selector", "size": const_arg(1), "algo": algo, "decl": d}
    else:
        raise UnsupportedError(f"extern {kind}", d.loc)
    return Val({"type": "extern", "value": fq}, t, "extern", name=fq)


def method_call(
    objs: ExternObjects, obj: Val, method: str, args: list[Val], e: A.Call, scope: Scope
) -> Json | None:
    """A primitive for ``obj.method(args)`` on an extern instance; None when it lowers to nothing."""
    assert isinstance(obj.type, ExternT)
    kind = obj.type.name
    if kind == "counter" and method == "count":
        return {
            "op": "count",
            "parameters": [{"type": "counter_array", "value": obj.name}, param_json(args[0])],
        }
    if kind == "direct_counter" and method == "count":
        return None
    if kind == "meter" and method == "execute_meter":
        return {
            "op": "execute_meter",
            "parameters": [
                {"type": "meter_array", "value": obj.name},
                param_json(args[0]),
                args[1].json,
            ],
        }
    if kind == "direct_meter" and method == "read":
        info = objs.info[obj.name]
        info["result"] = args[0].json["value"]
        return None
    if kind == "register" and method == "write":
        return {
            "op": "register_write",
            "parameters": [
                {"type": "register_array", "value": obj.name},
                param_json(args[0]),
                param_json(args[1]),
            ],
        }
    if kind == "register" and method == "read" and len(args) == 2:
        return {
            "op": "register_read",
            "parameters": [
                args[0].json,
                {"type": "register_array", "value": obj.name},
                param_json(args[1]),
            ],
        }
    raise UnsupportedError(f"method {method} of extern {kind}", e.loc)


def extern_function(low: Any, name: str, args: list[Val], e: A.Call) -> Json | None:
    """A primitive for a v1model extern function call."""
    objs: ExternObjects = low.objs
    n = len(args)
    if name == "mark_to_drop":
        return {
            "op": "mark_to_drop",
            "parameters": [{"type": "header", "value": "standard_metadata"}],
        }
    if name == "random" and n == 3:
        return {
            "op": "modify_field_rng_uniform",
            "parameters": [args[0].json, param_json(args[1]), param_json(args[2])],
        }
    if name == "hash" and n == 5:
        algo = algo_name(args[1], e)
        inputs = [
            f.json if f.kind != "const" else {**f.json, "bitwidth": width_of(f.type)}
            for f in flatten_fields(args[3], e)
        ]
        calc = objs.calculation(algo, inputs, e)
        return {
            "op": "modify_field_with_hash_based_offset",
            "parameters": [
                args[0].json,
                param_json(args[2]),
                {"type": "calculation", "value": calc},
                param_json(args[4]),
            ],
        }
    if name == "digest" and n == 2:
        fields = flatten_fields(args[1], e)
        dtype = args[1].type
        if args[1].kind == "list" and e.type_args:
            dtype = low.env.resolve(e.type_args[0])
            if isinstance(dtype, StructLikeT) and len(dtype.fields) != len(fields):
                raise CompileError(f"digest data does not match {dtype.name}", e.loc)
            fields = [
                low.ex.coerce(f, ft, e) for f, (_, ft) in zip(fields, dtype.fields, strict=False)
            ]
        if not isinstance(dtype, StructLikeT):
            raise CompileError("digest data must be a struct (or a list with digest<T>)", e.loc)
        lname = dtype.name
        for ll in objs.learn_lists:
            if ll["name"] == lname:
                return {
                    "op": "generate_digest",
                    "parameters": [param_json(args[0]), hexstr(ll["id"], None)],
                }
        lid = len(objs.learn_lists) + 1
        objs.learn_lists.append({"id": lid, "name": lname, "elements": [f.json for f in fields]})
        objs.info[lname] = {"kind": "digest", "type": dtype, "decl": e}
        return {"op": "generate_digest", "parameters": [param_json(args[0]), hexstr(lid, None)]}
    if name in ("clone", "clone3", "clone_preserving_field_list"):
        if args[0].kind != "const":
            raise CompileError("clone type must be CloneType.I2E or CloneType.E2E", e.loc)
        op = (
            "clone_ingress_pkt_to_egress" if args[0].name == "I2E" else "clone_egress_pkt_to_egress"
        )
        fl: Json = hexstr(0, None)
        if name == "clone_preserving_field_list":
            fl = hexstr(low.annotated_field_list(args[2].const or 0), None)
        elif name == "clone3":
            fl = hexstr(low.field_list(args[2], e), None)
        return {"op": op, "parameters": [param_json(args[1]), fl]}
    if name in ("resubmit_preserving_field_list", "recirculate_preserving_field_list"):
        # bmv2's primitives are "resubmit" / "recirculate" with a field list id
        fid = low.annotated_field_list(args[0].const or 0)
        return {"op": name.split("_")[0], "parameters": [hexstr(fid, None)]}
    if name in ("resubmit", "recirculate"):
        fid = low.field_list(args[0], e) if n else 0
        return {"op": name, "parameters": [hexstr(fid, None)]}
    if name == "truncate":
        return {"op": "truncate", "parameters": [param_json(args[0])]}
    if name in ("assert", "assume"):
        return {"op": name, "parameters": [{"type": "expression", "value": as_bool(args[0])}]}
    if name == "log_msg":
        vec = [f.json for f in flatten_fields(args[1], e)] if n > 1 else []
        return {
            "op": "log_msg",
            "parameters": [
                {"type": "string", "value": args[0].name},
                {"type": "parameters_vector", "value": vec},
            ],
        }
    raise UnsupportedError(f"extern function {name} here", e.loc)
