"""p4src/ina.p4 stays inside what real p4c-bm2-ss (--arch v1model) and bmv2 accept.

Real p4c is not installed here, so each check reads what our compiler produced for
ina.p4 (bmv2 JSON and P4Info, K=32 and K=64) and tests one rule that p4c's frontend,
midend or bmv2 backend enforces. docs/dataplane.md, section "Real p4c compatibility",
names the p4c source of every rule. Each checker also runs on a small program that breaks
its rule and must report it, so a checker that can no longer fail is noticed.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from p4.config.v1 import p4info_pb2

from inalab.compiler import CompiledProgram, CompileError, compile_file, compile_source

REPO = Path(__file__).resolve().parents[2]
P4SRC = REPO / "p4src"
PROGRAM = P4SRC / "ina.p4"

# (INA_LANES, INA_SLOTS or None for sizes.p4's default)
BUILDS = [(32, None), (64, 4096)]

# Hash algorithms the bmv2 backend converts for v1model (simpleSwitch.cpp,
# ExternConverter_hash: supportedHashAlgorithms).
P4C_HASH_ALGOS = {
    "crc32",
    "crc32_custom",
    "crc16",
    "crc16_custom",
    "random",
    "identity",
    "csum16",
    "xor16",
}
# Primitives p4c-bm2-ss emits for the v1model externs and statements ina.p4 may use.
P4C_PRIMITIVES = {
    "assign",
    "assign_header",
    "add_header",
    "remove_header",
    "register_read",
    "register_write",
    "count",
    "execute_meter",
    "mark_to_drop",
    "modify_field_rng_uniform",
    "modify_field_with_hash_based_offset",
    "clone_ingress_pkt_to_egress",
    "clone_egress_pkt_to_egress",
    "resubmit",
    "recirculate",
    "truncate",
    "generate_digest",
    "log_msg",
}
# Control flow inside an action body: p4c before PR #4999 (Nov 2024) rejects any `if`
# in an action that its Predication pass cannot turn into `?:`.
ACTION_JUMPS = {"_jump", "_jump_if_zero"}

# The controller's tables and their @name'd match fields (docs/dataplane.md).
CONTROLLER_KEYS = {
    "job_region": ["job_id"],
    "job_member": ["job_id", "ingress_port"],
    "importance_class": ["dscp"],
    "drop_simulator": ["ingress_port", "job_id"],
    "ipv4_lpm": ["dst_addr"],
    "arp_proxy": ["target_ip"],
    "queue_admission": ["queue", "importance"],
    "ecn_threshold": ["egress_port", "importance"],
    "result_destination": ["egress_port"],
}


@functools.cache
def _build(lanes: int, slots: int | None) -> CompiledProgram:
    defines = {"INA_LANES": str(lanes)}
    if slots is not None:
        defines["INA_SLOTS"] = str(slots)
    return compile_file(PROGRAM, include_dirs=[P4SRC], defines=defines)


@pytest.fixture(params=BUILDS, ids=lambda b: f"K{b[0]}")
def build(request: pytest.FixtureRequest) -> tuple[int, int | None, CompiledProgram]:
    lanes, slots = request.param
    return lanes, slots, _build(lanes, slots)


# ---- checkers: each returns the violations it found (empty: the rule holds)


def _tables(j: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for p in j["pipelines"]:
        yield from p["tables"]


def _successors(node: dict[str, Any]) -> set[str]:
    """Next nodes of a table or conditional (None = end of the pipeline)."""
    if "expression" in node:  # conditional
        nxt = {node.get("true_next"), node.get("false_next")}
    else:
        nxt = {node.get("base_default_next"), *node.get("next_tables", {}).values()}
    return {n for n in nxt if n is not None}


def _graph_faults(pipeline: dict[str, Any]) -> tuple[set[str], list[str]]:
    """Depth-first walk from the pipeline's start: the nodes reached and the faults
    (an unknown next node, a path from a node back to itself)."""
    nodes = {n["name"]: n for n in (*pipeline["tables"], *pipeline["conditionals"])}
    state: dict[str, int] = {}  # 1: on the walk's stack, 2: done
    faults: list[str] = []
    stack: list[tuple[str, list[str]]] = []

    def enter(name: str) -> None:
        state[name] = 1
        stack.append((name, sorted(_successors(nodes[name]))))

    if pipeline["init_table"] is not None:
        enter(pipeline["init_table"])
    while stack:
        name, todo = stack[-1]
        if not todo:
            state[name] = 2
            stack.pop()
            continue
        nxt = todo.pop()
        if nxt not in nodes:
            faults.append(f"{name} -> unknown node {nxt}")
        elif state.get(nxt) == 1:
            faults.append(f"a path from {nxt} back to itself")
        elif nxt not in state:
            enter(nxt)
    return set(state), faults


def tables_applied_once(j: dict[str, Any]) -> list[str]:
    """p4c's bmv2 CFG (controlFlowGraph.cpp, checkImplementable): a table applied in two
    places must have the same successors, and no path may lead from a table back to
    itself. Each table of ina.p4 is applied once: one JSON table per P4 table, every
    table reachable from the pipeline's start, the graph acyclic."""
    names = Counter(t["name"] for t in _tables(j))
    bad = [f"table {n} appears {c} times" for n, c in names.items() if c > 1]
    for p in j["pipelines"]:
        reached, faults = _graph_faults(p)
        bad += [f"{p['name']}: {f}" for f in faults]
        bad += [
            f"{p['name']}: {t['name']} is never applied"
            for t in p["tables"]
            if t["name"] not in reached
        ]
    return bad


def actions_straight_line(j: dict[str, Any]) -> list[str]:
    """No `if` (and no `exit`) inside an action body: p4c's bmv2 backend before PR #4999
    (Nov 2024) rejects conditional execution in actions that its Predication pass cannot
    turn into `?:` (p4c issue #644); ina.p4 keeps every decision in apply blocks."""
    return [
        f"action {a['name']}: {p['op']}"
        for a in j["actions"]
        for p in a["primitives"]
        if p["op"] in ACTION_JUMPS or p["op"] == "exit"
    ]


def direct_counters_bound_once(j: dict[str, Any]) -> list[str]:
    """control.cpp convertTable: "Direct counters cannot be attached to multiple tables";
    a table with `counters = c` has with_counters and exactly one direct counter."""
    bad: list[str] = []
    counters = j["counter_arrays"]
    names = Counter(c["name"] for c in counters)
    bad += [f"counter {n} declared {k} times" for n, k in names.items() if k > 1]
    tables = {t["name"]: t for t in _tables(j)}
    bound = Counter(c.get("binding") for c in counters if c.get("is_direct"))
    for c in counters:
        if c.get("is_direct") and c.get("binding") not in tables:
            bad.append(f"direct counter {c['name']} bound to unknown table {c.get('binding')}")
    for name, t in tables.items():
        if t.get("with_counters") and bound[name] != 1:
            bad.append(f"table {name} has with_counters and {bound[name]} direct counters")
        if not t.get("with_counters") and bound[name]:
            bad.append(f"table {name} has a direct counter but no with_counters")
    return bad


def _field_widths(j: dict[str, Any]) -> dict[tuple[str, str], int]:
    types = {t["name"]: t for t in j["header_types"]}
    widths: dict[tuple[str, str], int] = {}
    for h in j["headers"]:
        for f in types[h["header_type"]]["fields"]:
            if isinstance(f[1], int):
                widths[(h["name"], f[0])] = f[1]
    return widths


def _is_bit32(operand: dict[str, Any], widths: dict[tuple[str, str], int]) -> bool:
    if operand["type"] == "hexstr":
        return True
    if operand["type"] == "field":
        return widths.get((operand["value"][0], operand["value"][1])) == 32
    if operand["type"] == "expression":  # (bit<32>)x: p4c and we emit x & 0xffffffff
        v = operand["value"]["value"] if operand["value"]["type"] == "expression" else {}
        return v.get("op") == "&" and v.get("right", {}).get("value") == "0xffffffff"
    return False


def register_rules(j: dict[str, Any], info: p4info_pb2.P4Info) -> list[str]:
    """simpleSwitch.cpp ExternConverter_register: a constant, non-zero size and a bit<W>
    element (no structs); default v1model (V1MODEL_VERSION 20180101) declares
    `register<T>` with `in bit<32> index`, so every index must be bit<32>. Counters
    (`count(in bit<32> index)`) likewise."""
    bad: list[str] = []
    widths = _field_widths(j)
    for r in j["register_arrays"]:
        if not isinstance(r["size"], int) or r["size"] <= 0:
            bad.append(f"register {r['name']}: size {r['size']!r}")
        if not isinstance(r["bitwidth"], int) or r["bitwidth"] <= 0:
            bad.append(f"register {r['name']}: bitwidth {r['bitwidth']!r}")
    for reg in info.registers:
        if reg.type_spec.WhichOneof("type_spec") != "bitstring":
            bad.append(f"register {reg.preamble.name}: element is not bit<W>")
    for a in j["actions"]:
        for p in a["primitives"]:
            index = None
            if p["op"] == "register_read":
                index = p["parameters"][2]
            elif p["op"] in ("register_write", "count"):
                index = p["parameters"][1]
            if index is not None and not _is_bit32(index, widths):
                bad.append(f"action {a['name']}: {p['op']} index is not bit<32>: {index}")
    return bad


def header_layout(j: dict[str, Any]) -> list[str]:
    """bmv2 headers are byte-aligned (p4c: header length must be a multiple of 8 bits);
    no varbit fields, header stacks or unions (nothing runtime-indexed)."""
    bad: list[str] = []
    types = {t["name"]: t for t in j["header_types"]}
    for h in j["headers"]:
        if h["metadata"]:
            continue
        fields = types[h["header_type"]]["fields"]
        if any(not isinstance(f[1], int) for f in fields):
            bad.append(f"header {h['name']}: varbit field")
            continue
        total = sum(f[1] for f in fields)
        if total % 8:
            bad.append(f"header {h['name']}: {total} bits, not a multiple of 8")
    for key in ("header_stacks", "header_unions", "header_union_stacks"):
        bad += [f"{key}: {s['name']}" for s in j.get(key, [])]
    return bad


def externs_supported(j: dict[str, Any]) -> list[str]:
    """Hash/selector/checksum algorithms from p4c's supported set, primitives that the
    bmv2 backend emits for v1model, mark_to_drop(standard_metadata) (the 1-argument form
    of v1model since 2019)."""
    bad: list[str] = []
    for c in j["calculations"]:
        if c["algo"] not in P4C_HASH_ALGOS:
            bad.append(f"calculation {c['name']}: algorithm {c['algo']}")
    for p in j["pipelines"]:
        for ap in p["action_profiles"]:
            algo = ap.get("selector", {}).get("algo")
            if algo is not None and algo not in P4C_HASH_ALGOS:
                bad.append(f"selector {ap['name']}: algorithm {algo}")
    for a in j["actions"]:
        for prim in a["primitives"]:
            if prim["op"] not in P4C_PRIMITIVES | ACTION_JUMPS | {"exit"}:
                bad.append(f"action {a['name']}: primitive {prim['op']}")
            if prim["op"] == "mark_to_drop" and prim["parameters"] != [
                {"type": "header", "value": "standard_metadata"}
            ]:
                bad.append(f"action {a['name']}: mark_to_drop without standard_metadata")
    return bad


def _matches(pattern: str, names: list[str]) -> list[str]:
    return [n for n in names if re.fullmatch(pattern, n)]


# ---- ina.p4, both lane counts


def test_both_lane_counts_compile(build: tuple[int, int | None, CompiledProgram]) -> None:
    lanes, slots, prog = build
    j = prog.bmv2_json
    data = next(t for t in j["header_types"] if t["name"] == "ina_data_t")
    assert [f[1] for f in data["fields"]] == [32] * lanes
    regs = [r["name"] for r in j["register_arrays"]]
    assert len(_matches(r".*\.value_reg_\d+", regs)) == lanes
    clock = ".queue_clock_reg"
    sizes = {r["size"] for r in j["register_arrays"] if not r["name"].endswith(clock)}
    # one cell count for every aggregator register, 2 shadow sets (sizes.p4's INA_CELLS folded
    # to a constant); the early drop's virtual-queue clocks: per port and multicast group
    assert [r["size"] for r in j["register_arrays"] if r["name"].endswith(clock)] == [1024]
    assert len(sizes) == 1
    if slots is not None:
        assert sizes == {2 * slots}


def test_every_table_applied_once(build: tuple[int, int | None, CompiledProgram]) -> None:
    j = build[2].bmv2_json
    assert tables_applied_once(j) == []
    short = Counter(t["name"].rsplit(".", 1)[-1] for t in _tables(j))
    for table in CONTROLLER_KEYS:
        assert short[table] == 1, table


def test_no_conditional_execution_in_actions(
    build: tuple[int, int | None, CompiledProgram],
) -> None:
    assert actions_straight_line(build[2].bmv2_json) == []


def test_direct_counter_bound_to_exactly_one_table(
    build: tuple[int, int | None, CompiledProgram],
) -> None:
    j = build[2].bmv2_json
    assert direct_counters_bound_once(j) == []
    direct = [c for c in j["counter_arrays"] if c.get("is_direct")]
    assert [(c["name"], c["binding"]) for c in direct] == [
        (
            "InaIngress.aggregation_control.job_region_counter",
            "InaIngress.aggregation_control.job_region",
        )
    ]
    info = build[2].p4info
    tables = {t.preamble.id: t.preamble.name for t in info.tables}
    assert [tables[c.direct_table_id] for c in info.direct_counters] == [direct[0]["binding"]]


def test_registers_bit_typed_constant_sized_bit32_indexed(
    build: tuple[int, int | None, CompiledProgram],
) -> None:
    prog = build[2]
    assert register_rules(prog.bmv2_json, prog.p4info) == []
    widths = {
        r.preamble.name.rsplit(".", 1)[-1]: r.type_spec.bitstring.bit.bitwidth
        for r in prog.p4info.registers
    }
    assert {k: v for k, v in widths.items() if not k.startswith("value_reg_")} == {
        "bitmap_reg": 32,
        "count_reg": 8,
        "total_reg": 8,
        "exp_reg": 8,
        "ecn_reg": 8,
        "owner_reg": 48,
        "stamp_reg": 48,
        "ack_reg": 32,
        "ack_count_reg": 8,
        "queue_clock_reg": 48,
    }


def test_headers_byte_aligned_no_stacks_no_varbit(
    build: tuple[int, int | None, CompiledProgram],
) -> None:
    assert header_layout(build[2].bmv2_json) == []


def test_externs_and_algorithms_p4c_supports(
    build: tuple[int, int | None, CompiledProgram],
) -> None:
    j = build[2].bmv2_json
    assert externs_supported(j) == []
    ops = {p["op"] for a in j["actions"] for p in a["primitives"]}
    # the v1model externs ina.p4 relies on, in the form p4c emits them
    assert {
        "register_read",
        "register_write",
        "count",
        "mark_to_drop",
        "modify_field_rng_uniform",
        "modify_field_with_hash_based_offset",
    } <= ops
    (cksum,) = j["checksums"]
    assert (cksum["target"], cksum["update"], cksum["verify"]) == (
        ["ipv4", "hdr_checksum"],
        True,
        False,
    )
    calc = next(c for c in j["calculations"] if c["name"] == cksum["calculation"])
    assert calc["algo"] == "csum16"


def test_priority_is_v1model_bit3_alias(build: tuple[int, int | None, CompiledProgram]) -> None:
    j = build[2].bmv2_json
    sm = next(t for t in j["header_types"] if t["name"] == "standard_metadata")
    assert ["priority", 3, False] in sm["fields"]
    assert ["intrinsic_metadata.priority", ["standard_metadata", "priority"]] in j["field_aliases"]
    writes = [
        p["parameters"][0]["value"]
        for a in j["actions"]
        for p in a["primitives"]
        if p["op"] == "assign" and p["parameters"][0]["type"] == "field"
    ]
    assert ["standard_metadata", "priority"] in writes


def test_selector_table_needs_no_default_action(
    build: tuple[int, int | None, CompiledProgram],
) -> None:
    """p4c ignores default_action on a table with an action selector ("Target does not
    support default_action ... due to action profiles"), so ina.p4's ipv4_lpm must work
    with no default entry: any default our compiler emits is NoAction without data, and
    the program reads only .hit."""
    for t in _tables(build[2].bmv2_json):
        if t["type"] != "simple":
            entry = t.get("default_entry")
            assert entry is None or entry["action_data"] == [], t["name"]
            if entry is not None:
                actions = dict(zip(t["action_ids"], t["actions"], strict=True))
                assert actions[entry["action_id"]] == "NoAction", t["name"]


def test_table_keys_carry_their_name_annotation(
    build: tuple[int, int | None, CompiledProgram],
) -> None:
    """Every controller key has @name, so p4c derives the same P4Info match-field names
    (and no key is an expression, which p4c would require a @name for)."""
    info = build[2].p4info
    keys = {
        t.preamble.name.rsplit(".", 1)[-1]: [m.name for m in t.match_fields] for t in info.tables
    }
    assert keys == CONTROLLER_KEYS


def test_defaultonly_noaction_scoped_as_p4c_does(
    build: tuple[int, int | None, CompiledProgram],
) -> None:
    """`@defaultonly NoAction` (6 tables) is P4Info scope DEFAULT_ONLY, as p4c's
    P4RuntimeSerializer emits it; no `@tableonly` is used."""
    info = build[2].p4info
    names = {a.preamble.id: a.preamble.name for a in info.actions}
    scopes = {
        (t.preamble.name.rsplit(".", 1)[-1], names[r.id]): p4info_pb2.ActionRef.Scope.Name(r.scope)
        for t in info.tables
        for r in t.action_refs
    }
    assert {k for k, v in scopes.items() if v == "DEFAULT_ONLY"} == {
        (t, "NoAction") for t in CONTROLLER_KEYS if t not in ("arp_proxy", "importance_class")
    }
    assert "TABLE_ONLY" not in scopes.values()


def test_v1switch_shape(build: tuple[int, int | None, CompiledProgram]) -> None:
    j = build[2].bmv2_json
    assert [p["name"] for p in j["pipelines"]] == ["ingress", "egress"]
    assert [p["name"] for p in j["parsers"]] == ["parser"]
    assert [d["name"] for d in j["deparsers"]] == ["deparser"]
    assert build[2].p4info.pkg_info.arch == "v1model"


def test_v1model_api_pinned_to_p4c_default() -> None:
    """register<T> with bit<32> indices is the V1MODEL_VERSION 20180101 API (p4c's
    default); ina.p4 pins it before including v1model.p4. A preprocessor fact the JSON
    cannot show, so this one reads the source."""
    lines = [ln.strip() for ln in PROGRAM.read_text().splitlines()]
    define = lines.index("#define V1MODEL_VERSION 20180101")
    assert define < lines.index("#include <v1model.p4>")


# ---- each checker catches the construct it guards against

_PROGRAM = """
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; bit<16> b; }
struct H { h_t h; }
struct M { bit<8> x; }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; }
}
control VC(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    direct_counter(CounterType.packets) dc;
    register<bit<8>>(16) r;
    action seta(bit<8> v) { h.h.a = v; }
    action setb(bit<8> v) { SETB }
    table t { key = { h.h.a: exact; } actions = { seta; NoAction; } counters = dc; }
    table u { key = { h.h.b: exact; } actions = { setb; NoAction; } U_COUNTERS }
    apply { t.apply(); u.apply(); REG }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply {} }
control CC(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""


def _variant(setb: str = "h.h.a = v;", u_counters: str = "", reg: str = "") -> CompiledProgram:
    text = _PROGRAM.replace("SETB", setb).replace("U_COUNTERS", u_counters).replace("REG", reg)
    return compile_source(text, filename="variant.p4")


def test_checkers_pass_a_clean_program() -> None:
    prog = _variant(reg="r.read(h.h.a, 32w3);")
    j = prog.bmv2_json
    assert tables_applied_once(j) == []
    assert actions_straight_line(j) == []
    assert direct_counters_bound_once(j) == []
    assert register_rules(j, prog.p4info) == []
    assert header_layout(j) == []
    assert externs_supported(j) == []


def test_if_in_action_is_reported() -> None:
    j = _variant(setb="if (v == 3) { h.h.a = v; }").bmv2_json
    assert actions_straight_line(j)


def test_direct_counter_on_two_tables_is_reported() -> None:
    # our compiler refuses the program as p4c does ...
    with pytest.raises(CompileError, match="Direct counters cannot be attached to multiple"):
        _variant(u_counters="counters = dc;")
    # ... and the JSON check catches the same thing in JSON from elsewhere
    j = _variant().bmv2_json
    u = next(t for t in _tables(j) if t["name"].endswith(".u"))
    u["with_counters"] = True
    (dc,) = [c for c in j["counter_arrays"] if c.get("is_direct")]
    j["counter_arrays"].append({**dc, "binding": u["name"]})
    assert direct_counters_bound_once(j)


def test_register_index_not_bit32_is_reported() -> None:
    # bit<16> index: v1model 20180101 declares bit<32>; refused as p4c refuses it ...
    with pytest.raises(CompileError, match="does not match type of parameter 'index'"):
        _variant(reg="r.read(h.h.a, h.h.b);")
    prog = _variant(reg="r.read(h.h.a, (bit<32>)h.h.b);")
    assert register_rules(prog.bmv2_json, prog.p4info) == []
    # ... and the JSON check catches a bit<16> index in JSON from elsewhere
    for a in prog.bmv2_json["actions"]:
        for prim in a["primitives"]:
            if prim["op"] == "register_read":
                prim["parameters"][2] = {"type": "field", "value": ["h", "b"]}
    assert register_rules(prog.bmv2_json, prog.p4info)


def test_unaligned_header_is_reported() -> None:
    text = _PROGRAM.replace("bit<16> b; }", "bit<16> b; bit<4> c; }")
    j = compile_source(
        text.replace("SETB", "").replace("U_COUNTERS", "").replace("REG", ""),
        filename="variant.p4",
    ).bmv2_json
    assert header_layout(j)


def test_graph_checks_report_a_cycle_and_an_orphan() -> None:
    j = _variant().bmv2_json
    ingress = j["pipelines"][0]
    t, u = ingress["tables"][0], ingress["tables"][1]
    u["base_default_next"] = t["name"]  # u -> t -> u
    u["next_tables"] = {k: t["name"] for k in u["next_tables"]}
    assert any("back to itself" in b for b in tables_applied_once(j))
    ingress["init_table"] = u["name"]
    t["base_default_next"] = None
    t["next_tables"] = {k: None for k in t["next_tables"]}
    u["base_default_next"] = None
    u["next_tables"] = {k: None for k in u["next_tables"]}
    assert any("never applied" in b for b in tables_applied_once(j))
