from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from inalab.switch.p4runtime.errors import P4RuntimeError
from inalab.switch.p4runtime.p4info_index import RANGE, TERNARY, P4InfoIndex, counter_values

from .helpers import load_pair


@pytest.mark.conformance
def test_every_conformance_pair_indexes(conformance_dir: Path) -> None:
    names = sorted(
        p.name.removesuffix(".p4info.txtpb") for p in conformance_dir.glob("*.p4info.txtpb")
    )
    assert len(names) > 50
    for name in names:
        p4info, program = load_pair(conformance_dir, name)
        index = P4InfoIndex.build(p4info, program)
        assert len(index.tables) == len(p4info.tables), name
        assert len(index.actions) == len(p4info.actions), name


@pytest.mark.conformance
def test_range_table_details(conformance_dir: Path) -> None:
    p4info, program = load_pair(conformance_dir, "table-entries-range-bmv2")
    index = P4InfoIndex.build(p4info, program)
    table = index.table(34184941)
    assert table.name == "ingress.t_range"
    assert table.match_fields[0].match_type == RANGE
    assert table.needs_priority and table.is_const
    action = index.action(17165658)
    assert action.json_name == "ingress.a_with_control_params"
    assert [p.name for p in action.params] == ["x"] and action.params[0].bitwidth == 9
    assert index.action_by_json_name("ingress.a").id == 21186165


@pytest.mark.conformance
def test_ternary_table_needs_priority(conformance_dir: Path) -> None:
    p4info, program = load_pair(conformance_dir, "ternary2-bmv2")
    index = P4InfoIndex.build(p4info, program)
    assert any(
        f.match_type == TERNARY and t.needs_priority
        for t in index.tables.values()
        for f in t.match_fields
    )


@pytest.mark.conformance
def test_unknown_ids_are_not_found(conformance_dir: Path) -> None:
    index = P4InfoIndex.build(*load_pair(conformance_dir, "table-entries-range-bmv2"))
    for lookup in (index.table, index.action, index.counter, index.register, index.digest):
        with pytest.raises(P4RuntimeError) as info:
            lookup(12345)
        assert info.value.code == grpc.StatusCode.NOT_FOUND


@pytest.mark.conformance
def test_p4info_objects_missing_from_json_are_kept(conformance_dir: Path) -> None:
    # real p4c output: P4Info lists simple_table and NoAction, the JSON dropped both
    index = P4InfoIndex.build(*load_pair(conformance_dir, "gauntlet_nested_switch-bmv2"))
    assert index.action_by_json_name("NoAction").name == "NoAction"
    assert index.table_by_name("ingress.simple_table") is not None


@pytest.mark.conformance
def test_param_count_mismatch_is_invalid(conformance_dir: Path) -> None:
    p4info, program = load_pair(conformance_dir, "table-entries-range-bmv2")
    for a in p4info.actions:
        if a.preamble.name == "ingress.a":
            a.params.add(id=1, name="extra", bitwidth=8)
    with pytest.raises(P4RuntimeError, match="parameters"):
        P4InfoIndex.build(p4info, program)


def test_counter_values_follow_the_unit() -> None:
    assert counter_values(1, 3, 300) == (0, 300)  # BYTES
    assert counter_values(2, 3, 300) == (3, 0)  # PACKETS
    assert counter_values(3, 3, 300) == (3, 300)  # BOTH
