"""The fused control flow (codegen.gen_flow): with tracing off a pipeline runs as a
few generated functions; it must do exactly what the per-node path (tracing on) does."""

from __future__ import annotations

import itertools
import logging

import pytest

from inalab.switch.actions import masked
from inalab.switch.codegen import (
    DUP_BUDGET,
    MAX_DEPTH,
    FlowCond,
    FlowStep,
    Source,
    gen_flow,
    simplify_test,
)
from inalab.switch.control import ActionCall, ExactKey, MemberRef
from inalab.switch.core import Switch
from inalab.switch.loader import Program
from inalab.switch.packet import Packet

from .bmv2json import Builder, assign, expr, field, hexv, prim, rdata

SM = "standard_metadata"


def cond(name: str, e: dict[str, object], t: str | None, f: str | None) -> dict[str, object]:
    return {"name": name, "id": 0, "expression": e, "true_next": t, "false_next": f}


def branchy_program() -> Builder:
    """c0: h.a == 1 ? t_one : t_other; both go on to the merge point c1 (h.c == 5 ?
    t_exit : t_after); t_exit's const default action exits before t_after."""
    b = Builder()
    b.action("set_b", [assign(field("h", "b"), rdata(0))], [("v", 8)])
    b.action("to_port", [assign(field(SM, "egress_spec"), rdata(0))], [("p", 9)])
    b.action("nop", [])
    b.action("do_exit", [assign(field("h", "b"), hexv(0xEE)), prim("exit")])
    b.action("set_c", [assign(field("h", "c"), hexv(0x77))])
    b.table("t_one", [], ["set_b"], "set_b", [0x11], const_default=True, base_default_next="c1")
    b.table(
        "t_other", [("h", "a", "exact")], ["to_port", "nop"], "nop",
        next_tables={"to_port": "t_after", "nop": "c1"},
    )  # fmt: skip
    b.table("t_exit", [], ["do_exit"], "do_exit", const_default=True, base_default_next="t_after")
    b.table("t_after", [], ["set_c"], "set_c", const_default=True)
    pl = b.j["pipelines"][0]
    pl["init_table"] = "c0"
    pl["conditionals"] = [
        cond("c0", expr("==", field("h", "a"), hexv(1)), "t_one", "t_other"),
        cond("c1", expr("==", field("h", "c"), hexv(5)), "t_exit", "t_after"),
    ]
    return b


PACKETS = ["01000005", "01000006", "02000005", "02000006", "03000005", "03000009"]


def run(sw: Switch, packets: list[str]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    sw.set_transmit_handler(lambda port, d: out.append((port, d.hex())))
    for x in packets:
        sw.receive(0, bytes.fromhex(x))
    return out


def switch_for(b: Builder) -> Switch:
    sw = Switch()
    sw.load_program(b.build())
    sw.table_add("t_other", [ExactKey(3)], ActionCall("to_port", (4,)))
    return sw


def test_fused_flow_matches_the_per_node_path(caplog: pytest.LogCaptureFixture) -> None:
    fast = run(switch_for(branchy_program()), PACKETS)
    with caplog.at_level(logging.DEBUG, logger="inalab.switch.trace"):
        slow = run(switch_for(branchy_program()), PACKETS)
    assert 'Condition "c1" is true' in caplog.text  # the per-node path ran
    assert fast == slow
    assert fast == [
        (0, "01ee0005"),  # t_one, then c1 true: t_exit exits before t_after
        (0, "01110077"),  # t_one, c1 false: t_after
        (0, "02ee0005"),  # t_other misses (nop -> c1), t_exit
        (0, "02000077"),
        (4, "03000077"),  # t_other hits to_port -> t_after directly (action-specific next)
        (4, "03000077"),
    ]


def test_keyless_table_with_an_entry_runs_the_entry() -> None:
    """An entry added with the empty key to a keyless table wins over its const default."""
    b = Builder()
    b.action("set_b", [assign(field("h", "b"), rdata(0))], [("v", 8)])
    b.action("set_c", [assign(field("h", "c"), hexv(0x77))])
    b.table("k", [], ["set_b"], "set_b", [0x11], const_default=True, base_default_next="z")
    b.table("z", [], ["set_c"], "set_c", const_default=True)
    sw = Switch()
    sw.load_program(b.build())
    assert run(sw, ["00000000"]) == [(0, "00110077")]
    sw.table_add("k", [], ActionCall("set_b", (0x22,)))
    assert run(sw, ["00000000"]) == [(0, "00220077")]


@pytest.mark.parametrize("merge_lines", [1, DUP_BUDGET])
def test_merge_points_become_functions_unless_small(merge_lines: int) -> None:
    """b and c (one predecessor each) are inlined; the merge point m is copied into
    both when it is small, else it is a function of its own."""
    nodes = {
        "a": FlowCond("F[0] == 1", "b", "c"),
        "b": FlowStep(("B(p)",), "m"),
        "c": FlowStep(("C(p)",), "m"),
        "m": FlowStep(tuple(["M(p)"] * merge_lines), None),
    }
    src = Source()
    funcs = gen_flow(src, "FLX", "a", nodes)
    assert set(funcs) == ({"a"} if merge_lines == 1 else {"a", "m"})
    ns: dict[str, object] = {}
    calls: list[str] = []
    for n in "BCM":
        ns[n] = lambda p, n=n: calls.append(n)
    exec(compile(src.text(), "<flow>", "exec"), ns)
    for f0, want in ((1, "B"), (0, "C")):
        calls.clear()
        fn = ns[funcs["a"]]
        while fn is not None:
            fn = fn(Packet([f0], [], [], b"", 0))  # type: ignore[operator]
        assert calls == [want] + ["M"] * merge_lines


def test_a_long_chain_is_split_before_python_nesting_limits() -> None:
    n = 3 * MAX_DEPTH
    nodes: dict[str, FlowCond | FlowStep] = {
        f"n{i}": FlowCond("F[0]", f"n{i + 1}" if i + 1 < n else None, None) for i in range(n)
    }
    src = Source()
    funcs = gen_flow(src, "FLY", "n0", nodes)
    assert len(funcs) >= 3
    ns: dict[str, object] = {}
    exec(compile(src.text(), "<flow>", "exec"), ns)

    fn, hops = ns[funcs["n0"]], 0
    while fn is not None:
        fn = fn(Packet([1], [], [], b"", 0))  # type: ignore[operator]
        hops += 1
    assert hops == len(funcs)


def test_a_step_is_static_or_dynamic() -> None:
    with pytest.raises(ValueError):
        FlowStep(("x",), "a", dynamic=True)
    with pytest.raises(ValueError):
        FlowCond("", None, None)


def hit_miss_program() -> Builder:
    """``hm`` (exact on h.a) applied for hit/miss: a hit goes to ``sel`` (an action
    selector, itself applied for hit/miss), a miss to ``on_miss``; ``do_exit`` on a
    hit ends the control."""
    b = Builder()
    b.action("to_port", [assign(field(SM, "egress_spec"), rdata(0))], [("p", 9)])
    b.action("nop", [])
    b.action("do_exit", [assign(field("h", "b"), hexv(0xEE)), prim("exit")])
    b.action("mark_c", [assign(field("h", "c"), rdata(0))], [("v", 16)])
    b.table(
        "hm", [("h", "a", "exact")], ["to_port", "do_exit", "nop"], "nop",
        next_tables={"__HIT__": "sel", "__MISS__": "on_miss"}, base_default_next="on_miss",
    )  # fmt: skip
    t = b.table(
        "sel", [("h", "b", "exact")], ["to_port"], "to_port", [0],
        next_tables={"__HIT__": "sel_hit", "__MISS__": None},
    )  # fmt: skip
    t["type"] = "indirect_ws"
    t["action_profile"] = "prof"
    b.j["pipelines"][0]["action_profiles"] = [
        {"name": "prof", "id": 0, "max_size": 8,
         "selector": {"algo": "identity", "input": [field("h", "c")]}},
    ]  # fmt: skip
    b.table("sel_hit", [], ["mark_c"], "mark_c", [0x1111])  # default not const
    b.table("on_miss", [], ["mark_c"], "mark_c", [0x2222], const_default=True)
    return b


def hit_miss_switch() -> Switch:
    sw = Switch()
    sw.load_program(hit_miss_program().build())
    sw.table_add("hm", [ExactKey(1)], ActionCall("to_port", (2,)))
    sw.table_add("hm", [ExactKey(2)], ActionCall("do_exit"))
    m = sw.act_prof_add_member("prof", ActionCall("to_port", (7,)))
    sw.table_add("sel", [ExactKey(5)], MemberRef(m))
    sw.table_set_default("sel_hit", ActionCall("mark_c", (0x3333,)))
    return sw


def test_hit_miss_tables_in_the_fused_flow(caplog: pytest.LogCaptureFixture) -> None:
    pkts = ["01050000", "01060000", "02050000", "03050000"]
    fast = run(hit_miss_switch(), pkts)
    with caplog.at_level(logging.DEBUG, logger="inalab.switch.trace"):
        slow = run(hit_miss_switch(), pkts)
    assert "Table 'hm'" in caplog.text
    assert fast == slow
    assert fast == [
        (7, "01053333"),  # hm hit, sel hit (member: port 7), sel_hit's default as set
        (0, "01060000"),  # hm hit, sel miss: its default (port 0), the control ends
        (0, "02ee0000"),  # hm hit with do_exit
        (0, "03052222"),  # hm miss
    ]
    sw = hit_miss_switch()
    run(sw, pkts)
    # entry hits count packets and bytes on the fused path too
    assert sw.direct_counter_read("hm", 0) == (2, 8)
    assert sw.direct_counter_read("hm", 1) == (1, 4)


def test_short_const_default_actions_are_inlined_with_their_data() -> None:
    prog = Program(branchy_program().build())
    src = prog.fused_source
    # t_one's set_b(0x11) and t_after's set_c: inlined; t_exit's do_exit (exits): called
    assert "d = DD_0_0" in src and "DEF_0_0(" not in src
    assert "DEF_0_2(p, DD_0_2)" in src


@pytest.mark.parametrize(
    ("expr", "want"),
    [
        ("bool(V[3])", "V[3]"),
        ("(bool((F[1] == 1)) and bool((F[2] == 0)))", "F[1] == 1 and F[2] == 0"),
        ("(bool((not bool(V[0]))) or bool((F[0] != 3)))", "not V[0] or F[0] != 3"),
        ("((bool(V[1]) + 1) == 2)", "bool(V[1]) + 1 == 2"),  # a value, not a truth: kept
    ],
)
def test_if_tests_lose_bool_wrappers_but_keep_their_truth(expr: str, want: str) -> None:
    got = simplify_test(expr)
    assert got == want
    for f0, f1, f2, v0, v1, v3 in itertools.product(
        (0, 1, 3), (0, 1), (0, 2), (0, 1), (0, 1), (0, 1)
    ):
        env = {"F": [f0, f1, f2], "V": [v0, v1, 0, v3]}
        assert bool(eval(got, env)) == bool(eval(expr, env))


def test_constants_are_masked_at_load() -> None:
    assert masked("(1)", 1) == "1"
    assert masked("300", 8) == "44"
    assert masked("F[3]", 8) == "(F[3]) & 255"
