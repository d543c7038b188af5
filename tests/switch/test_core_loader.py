"""Loading bmv2 JSON: validation errors name the JSON path; nothing runs per packet from JSON."""

from __future__ import annotations

import json

import pytest

from inalab.switch.control import ActionCall, ControlError, ExactKey
from inalab.switch.core import Switch
from inalab.switch.errors import JsonError

from .bmv2json import forward_program, prim


def load(j: object) -> Switch:
    sw = Switch()
    sw.load_program(j)  # type: ignore[arg-type]
    return sw


def test_unknown_primitive_names_action_and_primitive_index() -> None:
    b = forward_program()
    b.j["actions"][1]["primitives"].append(prim("foo"))
    with pytest.raises(JsonError, match=r"actions\[1\]\.primitives\[1\]: unknown primitive 'foo'"):
        load(b.build())


def test_wrong_format_version_is_refused() -> None:
    b = forward_program()
    b.j["__meta__"]["version"] = [3, 0]
    with pytest.raises(JsonError, match=r"__meta__\.version: unsupported bmv2 JSON format 3\.0"):
        load(b.build())


def test_dangling_action_id_in_table() -> None:
    b = forward_program()
    b.j["pipelines"][0]["tables"][0]["action_ids"] = [0, 7]
    with pytest.raises(
        JsonError, match=r"pipelines\[0\]\.tables\[0\]\.action_ids\[1\]: dangling action id 7"
    ):
        load(b.build())


def test_unknown_expression_operator() -> None:
    b = forward_program()
    b.j["actions"][0]["primitives"][0]["parameters"][1] = {
        "type": "expression",
        "value": {"op": "**", "left": None, "right": None},
    }
    with pytest.raises(
        JsonError, match=r"actions\[0\]\.primitives\[0\]: unknown expression operator '\*\*'"
    ):
        load(b.build())


def test_unsupported_extern_fails_at_load() -> None:
    b = forward_program()
    b.j["extern_instances"] = [
        {"name": "x", "id": 0, "type": "Frobnicator", "attribute_values": []}
    ]
    with pytest.raises(
        JsonError, match=r"extern_instances\[0\]: unsupported extern type 'Frobnicator'"
    ):
        load(b.build())


def test_unknown_header_in_field_reference() -> None:
    b = forward_program()
    b.j["actions"][0]["primitives"][0]["parameters"][0]["value"] = ["nope", "x"]
    with pytest.raises(
        JsonError, match=r"actions\[0\]\.primitives\[0\]: unknown header instance 'nope'"
    ):
        load(b.build())


def test_not_json_text() -> None:
    with pytest.raises(JsonError, match="not valid JSON"):
        load("{nope")


def test_text_and_bytes_are_accepted_and_failed_load_keeps_old_program() -> None:
    sw = load(json.dumps(forward_program().build()).encode())
    before = sw.program_json()
    bad = forward_program()
    bad.j["actions"][0]["primitives"].append(prim("foo"))
    with pytest.raises(JsonError):
        sw.load_program(bad.build())
    assert sw.program_json() is before


def test_unknown_parse_state() -> None:
    b = forward_program()
    b.j["parsers"][0]["parse_states"][0]["transitions"][0]["next_state"] = "ghost"
    with pytest.raises(
        JsonError,
        match=r"parsers\[0\]\.parse_states\[0\]\.transitions\[0\]: unknown parse state 'ghost'",
    ):
        load(b.build())


def test_malformed_parts_name_their_path() -> None:
    b = forward_program()
    b.j["actions"][0]["primitives"][0]["parameters"][0] = {"type": "field", "value": 5}
    with pytest.raises(JsonError, match=r"^actions\[0\]\.primitives\[0\]: "):
        load(b.build())
    b = forward_program()
    del b.j["pipelines"][0]["tables"][0]["key"][0]["target"]
    with pytest.raises(JsonError, match=r"^pipelines\[0\]\.tables\[0\]"):
        load(b.build())
    b = forward_program()
    b.j["header_types"][1]["fields"] = [
        f for f in b.j["header_types"][1]["fields"] if f[0] != "priority"
    ]
    with pytest.raises(JsonError, match="v1model field 'priority' is missing"):
        load(b.build())


def _paths(o: object, p: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [p]
    if isinstance(o, dict):
        for k, v in o.items():
            out += _paths(v, (*p, k))
    elif isinstance(o, list):
        for i, v in enumerate(o):
            out += _paths(v, (*p, i))
    return out


def test_random_damage_gives_json_errors_never_tracebacks() -> None:
    import contextlib
    import copy
    import random

    rng = random.Random(11)
    base = forward_program()
    base.j["register_arrays"] = [{"name": "r", "id": 0, "size": 4, "bitwidth": 8}]
    base.j["calculations"] = [
        {"name": "c", "id": 0, "algo": "crc16", "input": [{"type": "field", "value": ["h", "a"]}]}
    ]
    built = base.build()
    paths = _paths(built)[1:]
    for _ in range(400):
        j = copy.deepcopy(built)
        p = rng.choice(paths)
        parent: object = j
        for k in p[:-1]:
            parent = parent[k]  # type: ignore[index]
        if rng.random() < 0.5 and isinstance(parent, dict):
            del parent[p[-1]]
        else:
            parent[p[-1]] = rng.choice([None, 5, "x", [], {}, -1, "0xzz", [1], True])  # type: ignore[index]
        sw = Switch()
        try:
            sw.load_program(j)
        except JsonError:
            continue
        with contextlib.suppress(ControlError):
            sw.table_add("fwd", [ExactKey(1)], ActionCall("set_port", (2,)))
        for frame in (b"\x01\x02\x03\x04\x05", b"\x01"):
            sw.receive(0, frame)
        assert sw.faults == 0, (p, j)


def test_field_aliases_resolve_intrinsic_metadata_names() -> None:
    b = forward_program()
    b.j["field_aliases"] = [["intrinsic_metadata.mcast_grp", ["standard_metadata", "mcast_grp"]]]
    b.j["actions"][0]["primitives"].append(
        {
            "op": "assign",
            "parameters": [
                {"type": "field", "value": ["intrinsic_metadata", "mcast_grp"]},
                {"type": "hexstr", "value": "0x0"},
            ],
        }
    )
    load(b.build())


def test_missing_pipeline_is_refused() -> None:
    b = forward_program()
    b.j["pipelines"] = b.j["pipelines"][:1]
    with pytest.raises(JsonError, match="pipelines: no 'egress' pipeline"):
        load(b.build())


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("register_arrays", [{"name": "r", "id": 0, "size": -1, "bitwidth": 32}],
         r"register_arrays\[0\]\.size: expected an integer > 0, got -1"),
        ("register_arrays", [{"name": "r", "id": 0, "size": 4, "bitwidth": "32"}],
         r"register_arrays\[0\]\.bitwidth: expected an integer > 0, got '32'"),
        ("counter_arrays", [{"name": "c", "id": 0, "size": 0, "is_direct": False}],
         r"counter_arrays\[0\]\.size: expected an integer > 0, got 0"),
        ("meter_arrays", [{"name": "m", "id": 0, "size": True, "is_direct": False}],
         r"meter_arrays\[0\]\.size: expected an integer > 0, got True"),
        ("actions", None, r"^actions: expected a list, got null"),
        ("pipelines", {"x": 1}, r"^pipelines: expected a list, got dict"),
        ("parsers", [3], r"^parsers\[0\]: expected an object, got int"),
        ("register_arrays", "abc", r"^register_arrays: expected a list, got str"),
    ],
)  # fmt: skip
def test_top_level_arrays_are_checked_with_their_json_path(
    key: str, value: object, message: str
) -> None:
    b = forward_program()
    b.j[key] = value
    with pytest.raises(JsonError, match=message):
        load(b.build())


def test_a_direct_counter_needs_no_size() -> None:
    b = forward_program()
    b.j["counter_arrays"] = [{"name": "c", "id": 0, "is_direct": True, "binding": "t"}]
    load(b.build())
