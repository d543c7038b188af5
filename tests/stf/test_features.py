"""STF files for features the p4c conformance set does not cover: ternary priorities,
LPM wildcards, setdefault, mirroring (clone sessions), multicast to a clone group,
remove."""

from __future__ import annotations

from pathlib import Path

import pytest

from inalab.stf import StfError, run_stf

from .programs import clone_json, kind_json


def stf(tmp: Path, text: str) -> Path:
    p = tmp / "t.stf"
    p.write_text(text)
    return p


def test_ternary_larger_stf_priority_wins(tmp_path: Path) -> None:
    r = run_stf(
        kind_json("ternary"),
        stf(
            tmp_path,
            """
add t 10 h.c:0x12** set_port(port:1)
add t 20 h.c:0x1234 set_port(port:2)
packet 0 00 00 1234
expect 2 00 00 1234 $
packet 0 00 00 1299
expect 1 00 00 1299 $
packet 0 00 00 9999
expect 9 00 00 9999 $
""",
        ),
    )
    assert r.passed, r.errors


def test_lpm_wildcard_and_prefix_forms(tmp_path: Path) -> None:
    r = run_stf(
        kind_json("lpm"),
        stf(
            tmp_path,
            """
add t h.c:0x12** set_port(port:1)
add t h.c:0x1230/12 set_port(port:2)
packet 0 0000 1234
packet 0 0000 1299
expect 2 0000 1234
expect 1 0000 1299
""",
        ),
    )
    assert r.passed, r.errors


def test_setdefault(tmp_path: Path) -> None:
    r = run_stf(
        kind_json("exact"),
        stf(
            tmp_path,
            """
setdefault t set_port(port:7)
packet 0 0000 0001
expect 7 0000 0001
""",
        ),
    )
    assert r.passed, r.errors


def test_mirroring_add_sends_i2e_clone(tmp_path: Path) -> None:
    r = run_stf(
        clone_json(),
        stf(
            tmp_path,
            """
mirroring_add 5 3
packet 0 00 11 2233
expect 3 01 11 2233
expect 1 00 11 2233
""",
        ),
    )
    assert r.passed, r.errors


def test_mirroring_add_mc_sends_clone_copies_to_a_group(tmp_path: Path) -> None:
    r = run_stf(
        clone_json(),
        stf(
            tmp_path,
            """
mc_mgrp_create 4
mc_node_create 0 6 7
mc_node_associate 4 0
mirroring_add_mc 5 4
packet 0 00 11 2233
expect 6 01 11 2233
expect 7 01 11 2233
expect 1 00 11 2233
""",
        ),
    )
    assert r.passed, r.errors


def test_remove_deletes_one_entry_by_its_key(tmp_path: Path) -> None:
    r = run_stf(
        kind_json("exact"),
        stf(
            tmp_path,
            """
add t h.c:0x0001 set_port(port:1)
add t h.c:0x0002 set_port(port:2)
packet 0 0000 0001
expect 1 0000 0001
remove t h.c:0x0001
packet 0 0000 0001
expect 9 0000 0001
packet 0 0000 0002
expect 2 0000 0002
""",
        ),
    )
    assert r.passed, r.errors


def test_remove_a_ternary_entry_needs_its_priority(tmp_path: Path) -> None:
    r = run_stf(
        kind_json("ternary"),
        stf(
            tmp_path,
            """
add t 10 h.c:0x12** set_port(port:1)
add t 20 h.c:0x12** set_port(port:2)
packet 0 00 00 1234
expect 2 00 00 1234
remove t 20 h.c:0x12**
packet 0 00 00 1234
expect 1 00 00 1234
""",
        ),
    )
    assert r.passed, r.errors
    with pytest.raises(
        StfError, match=r"t\.stf:3: remove: table t has no entry h.c:0x12\*\* priority 30"
    ):
        run_stf(
            kind_json("ternary"),
            stf(tmp_path, "add t 10 h.c:0x12** set_port(port:1)\n\nremove t 30 h.c:0x12**\n"),
        )


def test_remove_all_empties_every_table(tmp_path: Path) -> None:
    r = run_stf(
        kind_json("lpm"),
        stf(
            tmp_path,
            """
add t h.c:0x12** set_port(port:1)
add t h.c:0x1230/12 set_port(port:2)
remove all
packet 0 0000 1234
expect 9 0000 1234
""",
        ),
    )
    assert r.passed, r.errors


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("remove", "remove needs 'all' or a table"),
        ("remove t h.c", "bad key 'h.c' in remove"),
        ("remove nosuch h.c:1", "nosuch"),
        ("remove t h.c:0x0005", "remove: table t has no entry h.c:0x0005"),
    ],
)
def test_bad_remove_is_an_error_with_its_line(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(StfError, match=r"t\.stf:2") as ei:
        run_stf(kind_json("exact"), stf(tmp_path, f"add t h.c:1 set_port(port:1)\n{line}\n"))
    assert message in str(ei.value)
