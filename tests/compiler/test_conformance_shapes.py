"""Our bmv2 JSON has the shapes real p4c output has (read from the conformance data).

For each JSON section, every object we emit must have exactly the keys p4c's objects of
that section have (optional keys p4c emits only sometimes are allowed), primitives and
expression operators must be ones p4c emits, and top-level sections must be the same.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from inalab.compiler import compile_file

REPO = Path(__file__).resolve().parent.parent.parent
PROGRAMS = [*sorted((REPO / "tests/p4").glob("*.p4")), REPO / "tests/compiler/programs/features.p4"]

# sections whose objects we compare: path -> how to get the objects from a program
SECTIONS = {
    "header_types": lambda j: j["header_types"],
    "headers": lambda j: j["headers"],
    "header_stacks": lambda j: j["header_stacks"],
    "parsers": lambda j: j["parsers"],
    "parse_states": lambda j: [s for p in j["parsers"] for s in p["parse_states"]],
    "transitions": lambda j: [
        t for p in j["parsers"] for s in p["parse_states"] for t in s["transitions"]
    ],
    "deparsers": lambda j: j["deparsers"],
    "actions": lambda j: j["actions"],
    "pipelines": lambda j: j["pipelines"],
    "tables": lambda j: [t for p in j["pipelines"] for t in p["tables"]],
    "table_keys": lambda j: [k for p in j["pipelines"] for t in p["tables"] for k in t["key"]],
    "default_entry": lambda j: [
        t["default_entry"] for p in j["pipelines"] for t in p["tables"] if "default_entry" in t
    ],
    "conditionals": lambda j: [c for p in j["pipelines"] for c in p["conditionals"]],
    "checksums": lambda j: j["checksums"],
    "calculations": lambda j: j["calculations"],
}
# keys p4c emits only in some cases (we are allowed to emit or omit them)
OPTIONAL = {"tables": {"entries", "action_profile"}, "header_types": {"max_length"}}


def _walk_ops(x: Any, prims: set[str], exprs: set[str]) -> None:
    if isinstance(x, dict):
        if "op" in x and "parameters" in x:
            prims.add(x["op"])
        if (
            x.get("type") == "expression"
            and isinstance(x.get("value"), dict)
            and "op" in x["value"]
        ):
            exprs.add(x["value"]["op"])
        for v in x.values():
            _walk_ops(v, prims, exprs)
    elif isinstance(x, list):
        for v in x:
            _walk_ops(v, prims, exprs)


@pytest.fixture(scope="module")
def reference(conformance_dir: Path) -> dict[str, Any]:
    keys: dict[str, set[frozenset[str]]] = defaultdict(set)
    prims: set[str] = set()
    exprs: set[str] = set()
    top: set[frozenset[str]] = set()
    for f in sorted(conformance_dir.glob("*.json")):
        j = json.loads(f.read_text())
        top.add(frozenset(j))
        for name, get in SECTIONS.items():
            for obj in get(j):
                keys[name].add(frozenset(obj) - OPTIONAL.get(name, set()))
        _walk_ops(j, prims, exprs)
    assert len(top) == 1
    return {"keys": keys, "prims": prims, "exprs": exprs, "top": next(iter(top))}


# primitives / operators p4c emits that the small conformance set happens not to use
EXTRA_PRIMS = {
    "count",
    "register_write",
    "execute_meter",
    "modify_field_rng_uniform",
    "generate_digest",
    "clone_ingress_pkt_to_egress",
    "clone_egress_pkt_to_egress",
    "resubmit",
    "recirculate",
    "truncate",
    "log_msg",
    "assert",
    "assume",
    "push",
    "pop",
}
EXTRA_EXPRS = {"two_comp_mod", "usat_cast", "sat_cast", "*", "^", ">", "<", "/", "%"}


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_same_shapes_as_p4c(path: Path, reference: dict[str, Any]) -> None:
    j = compile_file(path).bmv2_json
    assert frozenset(j) == reference["top"]
    for name, get in SECTIONS.items():
        for obj in get(j):
            shape = frozenset(obj) - OPTIONAL.get(name, set())
            if name == "tables" and "action_profile" in obj:
                # p4c emits no default_entry for a table with an action profile/selector
                # (ControlConverter::convertTable); the conformance set has no such table
                assert "default_entry" not in obj
                shape |= {"default_entry"}
            assert shape in reference["keys"][name], (name, sorted(shape))
    prims: set[str] = set()
    exprs: set[str] = set()
    _walk_ops(j, prims, exprs)
    assert prims <= reference["prims"] | EXTRA_PRIMS
    assert exprs <= reference["exprs"] | EXTRA_EXPRS
