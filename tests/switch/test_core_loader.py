"""Loading bmv2 JSON: validation errors name the JSON path; nothing runs per packet from JSON."""

from __future__ import annotations

import json

import pytest

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
