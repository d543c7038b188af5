"""Programs for the STF runner tests, built with the switch tests' bmv2 JSON builder."""

from __future__ import annotations

from typing import Any

# pytest puts tests/ on sys.path (tests/ has no __init__.py), so the switch
# tests' builder is the package ``switch``.
from switch.bmv2json import Builder, assign, expr, field, forward_program, hexv, prim


def forward_json() -> dict[str, Any]:
    return forward_program().build()


def mc_json() -> dict[str, Any]:
    """Multicast to group 5; register ``reg[1]`` read into h.b then incremented; counter ``cnt``."""
    b = Builder()
    b.j["register_arrays"] = [{"name": "ingress.reg", "id": 0, "size": 4, "bitwidth": 8}]
    b.j["counter_arrays"] = [{"name": "ingress.cnt", "id": 0, "size": 2, "is_direct": False}]
    reg = {"type": "register_array", "value": "ingress.reg"}
    b.action("mc", [
        assign(field("standard_metadata", "mcast_grp"), hexv(5)),
        prim("register_read", field("h", "b"), reg, hexv(1)),
        prim("register_write", reg, hexv(1), expr("&", expr("+", field("h", "b"), hexv(1)), hexv(0xFF))),
        prim("count", {"type": "counter_array", "value": "ingress.cnt"}, hexv(0)),
    ])  # fmt: skip
    b.table("t", [], ["mc"], "mc")
    return b.build()


def kind_json(kind: str) -> dict[str, Any]:
    """Table ``t`` matching ``h.c`` with ``kind``: ``set_port(port)``, default ``miss`` (port 9)."""
    b = Builder()
    sm = "standard_metadata"
    b.action(
        "set_port",
        [assign(field(sm, "egress_spec"), {"type": "runtime_data", "value": 0})],
        [("port", 9)],
    )
    b.action("miss", [assign(field(sm, "egress_spec"), hexv(9))])
    b.table("t", [("h", "c", kind)], ["set_port", "miss"], "miss")
    return b.build()


def clone_json() -> dict[str, Any]:
    """Ingress clones to session 5 and forwards to port 1; egress stamps instance_type in h.a."""
    b = Builder()
    sm = "standard_metadata"
    b.action("go", [
        prim("clone_ingress_pkt_to_egress", hexv(5), hexv(0)),
        assign(field(sm, "egress_spec"), hexv(1)),
    ])  # fmt: skip
    b.table("t", [], ["go"], "go")
    b.action("stamp", [assign(field("h", "a"), field(sm, "instance_type"))])
    b.table("e", [], ["stamp"], "stamp", pipeline=1)
    return b.build()
