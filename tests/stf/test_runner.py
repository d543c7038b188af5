"""run_stf on programs built in the test: verdicts, PRE/mirroring/register/counter commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inalab.stf import StfError, run_stf

from .programs import forward_json, mc_json


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text)
    return p


def test_pass_with_wildcards_and_exact_length(tmp_path: Path) -> None:
    prog = write(tmp_path, "p.json", json.dumps(forward_json()))
    stf = write(
        tmp_path,
        "p.stf",
        "add fwd h.a:1 set_port(port:3)\npacket 0 01 02 0304\nexpect 3 01 ** 03 04 $\npacket 0 02 00 0000\n",
    )
    r = run_stf(prog, stf)
    assert r.passed, r.errors
    assert (r.packets_in, r.packets_out) == (2, 1)


def test_failures_are_reported_per_port(tmp_path: Path) -> None:
    stf = write(
        tmp_path,
        "p.stf",
        "add fwd a:1 set_port(port:3)\npacket 0 01020304\nexpect 3 01020305\nexpect 4 00\n",
    )
    r = run_stf(forward_json(), stf)
    assert not r.passed
    assert "port 3 packet 0: packet differs at nibble 7: expected 5, received 4" in r.errors
    assert "port 4: expected 1 packet(s), got 0" in r.errors
    stf2 = write(
        tmp_path, "q.stf", "add fwd a:1 set_port(port:3)\npacket 0 01020304\nexpect 3 010203$\n"
    )
    r2 = run_stf(forward_json(), stf2)
    assert r2.errors[0] == "port 3 packet 0: received packet has 4 bytes, expected exactly 3"


def test_unexpected_extra_packet_fails(tmp_path: Path) -> None:
    stf = write(tmp_path, "p.stf", "add fwd a:1 set_port(port:3)\npacket 3 01020304\n")
    r = run_stf(forward_json(), stf)
    assert r.errors[0] == "port 3: expected 0 packet(s), got 1"


def test_multicast_and_registers_and_counters(tmp_path: Path) -> None:
    stf = write(tmp_path, "m.stf", "\n".join([
        "mc_mgrp_create 5",
        "mc_node_create 1 2 3",
        "mc_node_associate 5 0",
        "register_write reg 1 9",
        "packet 0 00000000",
        "expect 2 00090000",
        "expect 3 00090000",
        "check_register reg 1 10",
        "check_counter cnt(0) packets == 1",
        "check_counter cnt(0) bytes == 4",
        "wait",
    ]))  # fmt: skip
    r = run_stf(mc_json(), stf)
    assert r.passed, r.errors
    stf2 = write(tmp_path, "n.stf", "packet 0 00000000\ncheck_counter cnt(0) packets == 5\n")
    r2 = run_stf(mc_json(), stf2)
    assert r2.errors == ("n.stf:2: counter ingress.cnt(0) packets is 1, expected == 5",)


def test_bad_lines_name_file_and_line(tmp_path: Path) -> None:
    for text, msg in (
        ("frobnicate 1\n", "x.stf:1: unknown STF command 'frobnicate'"),
        ("mc_mgrp_create\n", "x.stf:1: mc_mgrp_create: missing arguments in 'mc_mgrp_create '"),
        ("mirroring_add 5\n", "x.stf:1: mirroring_add: missing arguments in 'mirroring_add 5'"),
        ("add nope a:1 set_port(port:1)\n", "x.stf:1: unknown table 'nope'"),
        ("add fwd zz:1 set_port(port:1)\n", "x.stf:1: unknown key field 'zz'"),
        ("add fwd a:1 set_port(prt:1)\n", "x.stf:1: action 'set_port' has no parameter 'prt'"),
        (
            "add fwd a:1 set_port(port:999)\n",
            "x.stf:1: add: action 'set_port' parameter 0: 999 does not fit in 9 bits",
        ),
    ):
        stf = write(tmp_path, "x.stf", text)
        with pytest.raises(StfError) as ei:
            run_stf(forward_json(), stf)
        assert str(ei.value) == msg
