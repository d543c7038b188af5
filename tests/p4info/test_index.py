"""The one P4Info index, as the P4Runtime server uses it (by id, joined to the
bmv2 JSON, gRPC codes) and as the controller does (by name, P4InfoError), on
real p4c output and on the INA program."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from inalab.controller import gen_names
from inalab.controller.entities import Builder
from inalab.controller.errors import P4InfoError
from inalab.controller.p4info import ControllerP4Info
from inalab.p4info.errors import InvalidP4InfoError, UnknownObjectError
from inalab.p4info.index import P4InfoIndex
from inalab.p4info.model import EXACT, LPM, RANGE, TERNARY, counter_values
from inalab.switch.p4runtime.errors import P4INFO_ERRORS, P4RuntimeError

from .p4c_output import load_pair, pair_names

KEY_OF_KIND: dict[int, int | tuple[int, int]] = {EXACT: 0, LPM: (0, 1), TERNARY: (0, 0)}


def server_index(conformance_dir: Path, name: str) -> P4InfoIndex:
    return P4InfoIndex.build(*load_pair(conformance_dir, name), errors=P4INFO_ERRORS)


@pytest.mark.conformance
def test_every_conformance_pair_indexes_for_the_server(conformance_dir: Path) -> None:
    names = pair_names(conformance_dir)
    assert len(names) > 50
    for name in names:
        p4info, program = load_pair(conformance_dir, name)
        index = P4InfoIndex.build(p4info, program, errors=P4INFO_ERRORS)
        assert len(index.tables) == len(p4info.tables), name
        assert len(index.actions) == len(p4info.actions), name


@pytest.mark.conformance
def test_every_conformance_p4info_serves_the_controller(conformance_dir: Path) -> None:
    """The same real-p4c P4Info files, indexed without JSON as the controller does:
    every object found by its name has the id the server's index gives it, and the
    controller's Builder writes an entry into every table with an action of it."""
    entries = 0
    for name in pair_names(conformance_dir):
        p4info, program = load_pair(conformance_dir, name)
        server = P4InfoIndex.build(p4info, program, errors=P4INFO_ERRORS)
        ctl = ControllerP4Info.of(p4info)
        for kind, objects in (
            ("table", server.tables),
            ("action", server.actions),
            ("action_profile", server.action_profiles),
            ("counter", server.counters),
            ("register", server.registers),
            ("digest", server.digests),
        ):
            for obj in objects.values():
                assert getattr(ctl, kind)(obj.name).id == obj.id, (name, obj.name)
                assert ctl.name_of(obj.id) == obj.name
        builder = Builder(ctl)
        for table in ctl.tables.values():
            if table.implementation_id or table.is_const or not table.action_ids:
                continue
            action = ctl.action(min(table.action_ids))
            if any(f.match_type not in KEY_OF_KIND or f.bitwidth == 0 for f in table.match_fields):
                continue
            keys = {f.name: KEY_OF_KIND[f.match_type] for f in table.match_fields}
            ent = builder.table_entry(
                table.name, keys, action.name, {p.name: 0 for p in action.params}
            )
            assert ent.table_entry.table_id == table.id
            assert ent.table_entry.action.action.action_id == action.id
            entries += 1
    assert entries >= 40


@pytest.mark.conformance
def test_range_table_details(conformance_dir: Path) -> None:
    index = server_index(conformance_dir, "table-entries-range-bmv2")
    table = index.table(34184941)
    assert table.name == "ingress.t_range"
    assert index.table("t_range") is table  # the unique last name component
    assert table.match_fields[0].match_type == RANGE
    assert table.needs_priority and table.is_const
    action = index.action(17165658)
    assert action.json_name == "ingress.a_with_control_params"
    assert [p.name for p in action.params] == ["x"] and action.params[0].bitwidth == 9
    assert action.find_param(action.params[0].id) == action.params[0]
    assert action.find_param(99) is None
    assert index.action_by_json_name("ingress.a").id == 21186165


@pytest.mark.conformance
def test_ternary_table_needs_priority(conformance_dir: Path) -> None:
    index = server_index(conformance_dir, "ternary2-bmv2")
    assert any(
        f.match_type == TERNARY and t.needs_priority
        for t in index.tables.values()
        for f in t.match_fields
    )


@pytest.mark.conformance
def test_unknown_ids_are_not_found_for_the_server(conformance_dir: Path) -> None:
    index = server_index(conformance_dir, "table-entries-range-bmv2")
    for lookup in (index.table, index.action, index.counter, index.register, index.digest):
        with pytest.raises(P4RuntimeError) as info:
            lookup(12345)
        assert info.value.code == grpc.StatusCode.NOT_FOUND
        assert "id 12345" in info.value.message
    with pytest.raises(P4RuntimeError) as info:
        index.action_by_json_name("nope")
    assert info.value.code == grpc.StatusCode.NOT_FOUND


@pytest.mark.conformance
def test_p4info_objects_missing_from_json_are_kept(conformance_dir: Path) -> None:
    # real p4c output: P4Info lists simple_table and NoAction, the JSON dropped both
    index = server_index(conformance_dir, "gauntlet_nested_switch-bmv2")
    assert index.action_by_json_name("NoAction").name == "NoAction"
    assert index.table("ingress.simple_table").name == "ingress.simple_table"


@pytest.mark.conformance
def test_param_count_mismatch_is_invalid(conformance_dir: Path) -> None:
    p4info, program = load_pair(conformance_dir, "table-entries-range-bmv2")
    for a in p4info.actions:
        if a.preamble.name == "ingress.a":
            a.params.add(id=1, name="extra", bitwidth=8)
    with pytest.raises(P4RuntimeError, match="parameters") as info:
        P4InfoIndex.build(p4info, program, errors=P4INFO_ERRORS)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(InvalidP4InfoError, match="parameters"):  # the index's own error
        P4InfoIndex.build(p4info, program)
    ControllerP4Info.of(p4info)  # without JSON there is nothing to contradict


def test_names_report_as_the_controller_reports() -> None:
    index = ControllerP4Info.of(gen_names.compile_p4info())
    for lookup, kind in (
        (index.table, "table"),
        (index.action, "action"),
        (index.action_profile, "action profile"),
        (index.counter, "counter"),
        (index.register, "register"),
    ):
        with pytest.raises(P4InfoError, match=f"P4Info has no {kind} named 'nope'"):
            lookup("nope")
    assert index.name_of(7) == "<id 0x7>"
    lanes = index.value_registers()
    assert [r.name.rsplit("_", 1)[1] for r in lanes] == [str(i) for i in range(len(lanes))]


def test_default_policy_raises_the_index_errors() -> None:
    index = P4InfoIndex.build(gen_names.compile_p4info())
    with pytest.raises(UnknownObjectError, match="no table named 'nope'"):
        index.table("nope")
    with pytest.raises(UnknownObjectError, match="unknown register id 3"):
        index.register(3)


def test_an_ambiguous_last_component_names_nothing() -> None:
    info = gen_names.compile_p4info()
    first = info.tables[0].preamble.name
    twin = info.tables.add()
    twin.CopyFrom(info.tables[0])
    twin.preamble.id += 1
    twin.preamble.name = "Other." + first.rsplit(".", 1)[-1]
    index = ControllerP4Info.of(info)
    assert index.table(first).id == info.tables[0].preamble.id  # the full name still works
    with pytest.raises(P4InfoError, match="no table named"):
        index.table(first.rsplit(".", 1)[-1])


def test_counter_values_follow_the_unit() -> None:
    assert counter_values(1, 3, 300) == (0, 300)  # BYTES
    assert counter_values(2, 3, 300) == (3, 0)  # PACKETS
    assert counter_values(3, 3, 300) == (3, 300)  # BOTH
