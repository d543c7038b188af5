"""A program whose ingress asserts ``h.a != 0`` and assumes ``h.b != 0`` (with
p4c-style ``source_info``), then forwards to port 1."""

from __future__ import annotations

from typing import Any

from .bmv2json import Builder, assign, expr, field, hexv, prim


def assert_program() -> dict[str, Any]:
    b = Builder()
    check_a = prim("assert", expr("!=", field("h", "a"), hexv(0)))
    check_a["source_info"] = {
        "filename": "prog.p4", "line": 42, "column": 8, "source_fragment": "assert(hdr.h.a != 0)"
    }  # fmt: skip
    check_b = prim("assume", expr("!=", field("h", "b"), hexv(0)))  # no source_info
    b.action("go", [check_a, check_b, assign(field("standard_metadata", "egress_spec"), hexv(1))])
    b.table("t", [], ["go"], "go")
    return b.build()
