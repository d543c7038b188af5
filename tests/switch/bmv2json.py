"""A small builder of bmv2 JSON programs for the switch core's tests.

The program has one 4-byte header ``h`` (``a:8, b:8, c:16``), a user metadata
struct ``m`` (``x:16, y:8``), a parser that extracts ``h`` and a deparser that
emits it; tests add actions, tables and conditionals to the two pipelines.
"""

from __future__ import annotations

import copy
from typing import Any

STANDARD_METADATA = [
    ["ingress_port", 9, False], ["egress_spec", 9, False], ["egress_port", 9, False],
    ["instance_type", 32, False], ["packet_length", 32, False], ["enq_timestamp", 32, False],
    ["enq_qdepth", 19, False], ["deq_timedelta", 32, False], ["deq_qdepth", 19, False],
    ["ingress_global_timestamp", 48, False], ["egress_global_timestamp", 48, False],
    ["mcast_grp", 16, False], ["egress_rid", 16, False], ["checksum_error", 1, False],
    ["parser_error", 32, False], ["priority", 3, False], ["_padding", 3, False],
]  # fmt: skip

ERRORS = [
    ["NoError", 0], ["PacketTooShort", 1], ["NoMatch", 2], ["StackOutOfBounds", 3],
    ["HeaderTooShort", 4], ["ParserTimeout", 5], ["ParserInvalidArgument", 6],
]  # fmt: skip


def field(h: str, f: str) -> dict[str, Any]:
    return {"type": "field", "value": [h, f]}


def hexv(v: int) -> dict[str, Any]:
    return {"type": "hexstr", "value": hex(v)}


def rdata(i: int) -> dict[str, Any]:
    return {"type": "runtime_data", "value": i}


def expr(op: str, left: Any, right: Any) -> dict[str, Any]:
    return {"type": "expression", "value": {"op": op, "left": left, "right": right}}


def prim(op: str, *params: Any) -> dict[str, Any]:
    return {"op": op, "parameters": list(params)}


def assign(dst: dict[str, Any], src: dict[str, Any]) -> dict[str, Any]:
    return prim("assign", dst, src)


class Builder:
    def __init__(self) -> None:
        self.j: dict[str, Any] = {
            "__meta__": {"version": [2, 23], "compiler": "tests"},
            "header_types": [
                {"name": "scalars_0", "id": 0, "fields": []},
                {"name": "standard_metadata", "id": 1, "fields": copy.deepcopy(STANDARD_METADATA)},
                {"name": "h_t", "id": 2, "fields": [["a", 8, False], ["b", 8, False], ["c", 16, False]]},
                {"name": "m_t", "id": 3, "fields": [["x", 16, False], ["y", 8, False]]},
            ],
            "headers": [
                {"name": "scalars", "id": 0, "header_type": "scalars_0", "metadata": True, "pi_omit": True},
                {"name": "standard_metadata", "id": 1, "header_type": "standard_metadata", "metadata": True, "pi_omit": True},
                {"name": "h", "id": 2, "header_type": "h_t", "metadata": False, "pi_omit": True},
                {"name": "m", "id": 3, "header_type": "m_t", "metadata": True, "pi_omit": True},
            ],
            "header_stacks": [], "header_union_types": [], "header_unions": [],
            "header_union_stacks": [], "field_lists": [], "errors": copy.deepcopy(ERRORS),
            "enums": [],
            "parsers": [{
                "name": "parser", "id": 0, "init_state": "start",
                "parse_states": [{
                    "name": "start", "id": 0,
                    "parser_ops": [{"op": "extract", "parameters": [{"type": "regular", "value": "h"}]}],
                    "transition_key": [],
                    "transitions": [{"type": "default", "value": None, "mask": None, "next_state": None}],
                }],
            }],
            "parse_vsets": [],
            "deparsers": [{"name": "deparser", "id": 0, "order": ["h"], "primitives": []}],
            "meter_arrays": [], "counter_arrays": [], "register_arrays": [], "calculations": [],
            "learn_lists": [], "actions": [],
            "pipelines": [
                {"name": "ingress", "id": 0, "init_table": None, "tables": [], "action_profiles": [], "conditionals": []},
                {"name": "egress", "id": 1, "init_table": None, "tables": [], "action_profiles": [], "conditionals": []},
            ],
            "checksums": [], "force_arith": [], "extern_instances": [], "field_aliases": [],
            "program": "test.p4",
        }  # fmt: skip

    def action(
        self, name: str, prims: list[dict[str, Any]], params: list[tuple[str, int]] = ()
    ) -> int:  # type: ignore[assignment]
        aid = len(self.j["actions"])
        self.j["actions"].append({
            "name": name, "id": aid,
            "runtime_data": [{"name": n, "bitwidth": w} for n, w in params],
            "primitives": prims,
        })  # fmt: skip
        return aid

    def table(
        self,
        name: str,
        keys: list[tuple[str, str, str]],
        actions: list[str],
        default: str,
        default_data: list[int] | None = None,
        pipeline: int = 0,
        next_tables: dict[str, str | None] | None = None,
        base_default_next: str | None = None,
        const_default: bool = False,
        entries: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        ids = {a["name"]: a["id"] for a in self.j["actions"]}
        mt = "exact"
        for _, _, m in keys:
            if m in ("ternary", "range", "optional"):
                mt = "ternary"
            elif m == "lpm" and mt == "exact":
                mt = "lpm"
        t: dict[str, Any] = {
            "name": name, "id": sum(len(p["tables"]) for p in self.j["pipelines"]),
            "key": [{"match_type": m, "name": f"{h}.{f}", "target": [h, f], "mask": None} for h, f, m in keys],
            "match_type": mt, "type": "simple", "max_size": 64, "with_counters": False,
            "support_timeout": False, "direct_meters": None,
            "action_ids": [ids[a] for a in actions], "actions": actions,
            "base_default_next": base_default_next,
            "next_tables": next_tables if next_tables is not None else {a: base_default_next for a in actions},
            "default_entry": {
                "action_id": ids[default], "action_const": const_default,
                "action_data": [hex(v) for v in (default_data or [])], "action_entry_const": const_default,
            },
        }  # fmt: skip
        if entries:
            t["entries"] = entries
        t.update(extra)
        pl = self.j["pipelines"][pipeline]
        pl["tables"].append(t)
        if pl["init_table"] is None:
            pl["init_table"] = name
        return t

    def build(self) -> dict[str, Any]:
        return copy.deepcopy(self.j)


def forward_program() -> Builder:
    """``fwd`` exact on ``h.a`` -> ``set_port(port)``; default ``drop``."""
    b = Builder()
    b.action(
        "set_port", [assign(field("standard_metadata", "egress_spec"), rdata(0))], [("port", 9)]
    )
    b.action("drop", [prim("mark_to_drop", {"type": "header", "value": "standard_metadata"})])
    b.table("fwd", [("h", "a", "exact")], ["set_port", "drop"], "drop")
    return b
