"""A small v1model program for the P4Runtime tests, as bmv2 JSON and P4Info.

Hand-written (no compiler needed) to exercise every P4Runtime entity the
server handles: packet_out / packet_in controller headers on CPU port 64,
``MyIngress.fwd`` (exact dstAddr; direct counter; idle timeout),
``MyIngress.acl`` (ternary srcAddr + range etherType: digests, an indexed
counter, register writes, ingress clones; a direct meter), ``MyIngress.ecmp`` (exact etherType through the
action selector ``MyIngress.ecmp_selector``), a meter, a register and a parser value set (declared, unused by the parser).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from google.protobuf import text_format
from p4.config.v1 import p4info_pb2

CPU_PORT = 64
Json = dict[str, Any]

_STANDARD_METADATA = [
    ["ingress_port", 9, False], ["egress_spec", 9, False], ["egress_port", 9, False],
    ["instance_type", 32, False], ["packet_length", 32, False], ["enq_timestamp", 32, False],
    ["enq_qdepth", 19, False], ["deq_timedelta", 32, False], ["deq_qdepth", 19, False],
    ["ingress_global_timestamp", 48, False], ["egress_global_timestamp", 48, False],
    ["mcast_grp", 16, False], ["egress_rid", 16, False], ["checksum_error", 1, False],
    ["parser_error", 32, False], ["priority", 3, False], ["_padding", 3, False],
]  # fmt: skip

# ids with the P4Ids prefix byte of their kind (p4runtime-shell relies on it)
T_FWD, T_ACL, T_ECMP = 0x02000001, 0x02000002, 0x02000003
A_NOACTION, A_DROP, A_SET_PORT, A_TO_CPU, A_SET_MCAST = (0x01000000 + i for i in range(5))
A_LEARN, A_COUNT_PORT, A_REMEMBER = 0x01000005, 0x01000006, 0x01000007
A_CLONE = 0x01000008
PROFILE = 0x11000001
COUNTER, DIRECT_COUNTER, METER, REGISTER, DIGEST = (
    0x12000001,
    0x13000001,
    0x14000001,
    0x16000001,
    0x17000001,
)
PKT_IN, PKT_OUT = 0x04000001, 0x04000002
VALUE_SET = 0x03000001
DIRECT_METER = 0x15000001


def _f(h: str, name: str) -> Json:
    return {"type": "field", "value": [h, name]}


def _hex(v: int) -> Json:
    return {"type": "hexstr", "value": hex(v)}


def _rd(i: int) -> Json:
    return {"type": "runtime_data", "value": i}


def _op(op: str, *params: Json) -> Json:
    return {"op": op, "parameters": list(params)}


def _action(aid: int, name: str, params: list[tuple[str, int]], prims: list[Json]) -> Json:
    return {
        "name": name,
        "id": aid,
        "runtime_data": [{"name": n, "bitwidth": w} for n, w in params],
        "primitives": prims,
    }


def _table(
    name: str, tid: int, keys: list[Json], actions: list[tuple[int, str]], **kw: Any
) -> Json:
    nxt = kw.pop("next", None)
    out = {
        "name": name, "id": tid, "key": keys, "match_type": kw.pop("match_type", "exact"),
        "type": "simple", "max_size": kw.pop("size", 1024), "with_counters": False,
        "support_timeout": False, "direct_meters": None,
        "action_ids": [a for a, _ in actions], "actions": [n for _, n in actions],
        "base_default_next": nxt, "next_tables": {n: nxt for _, n in actions},
    }  # fmt: skip
    out.update(kw)
    return out


def _default(aid: int, const: bool = False) -> Json:
    return {"action_id": aid, "action_const": const, "action_data": [], "action_entry_const": const}


def bmv2_json() -> Json:
    header_types = [
        {"name": "scalars_0", "id": 0, "fields": [["acl_color", 8, False]]},
        {"name": "standard_metadata", "id": 1, "fields": _STANDARD_METADATA},
        {
            "name": "packet_out_t",
            "id": 2,
            "fields": [["egress_port", 9, False], ["_pad", 7, False]],
        },
        {
            "name": "packet_in_t",
            "id": 3,
            "fields": [["ingress_port", 9, False], ["_pad", 7, False]],
        },
        {
            "name": "ethernet_t",
            "id": 4,
            "fields": [["dstAddr", 48, False], ["srcAddr", 48, False], ["etherType", 16, False]],
        },
    ]
    headers = [
        {"name": n, "id": i, "header_type": t, "metadata": m, "pi_omit": True}
        for i, (n, t, m) in enumerate(
            [
                ("scalars", "scalars_0", True),
                ("standard_metadata", "standard_metadata", True),
                ("packet_out", "packet_out_t", False),
                ("packet_in", "packet_in_t", False),
                ("ethernet", "ethernet_t", False),
            ]
        )
    ]
    accept = {"type": "default", "value": None, "mask": None, "next_state": None}
    parser = {
        "name": "parser",
        "id": 0,
        "init_state": "start",
        "parse_states": [
            {
                "name": "start",
                "id": 0,
                "parser_ops": [],
                "transition_key": [_f("standard_metadata", "ingress_port")],
                "transitions": [
                    {"type": "hexstr", "value": hex(CPU_PORT), "mask": None, "next_state": "parse_packet_out"},
                    {"type": "default", "value": None, "mask": None, "next_state": "parse_ethernet"},
                ],
            },
            {
                "name": "parse_packet_out",
                "id": 1,
                "parser_ops": [_op("extract", {"type": "regular", "value": "packet_out"})],
                "transition_key": [],
                "transitions": [dict(accept, next_state="parse_ethernet")],
            },
            {
                "name": "parse_ethernet",
                "id": 2,
                "parser_ops": [_op("extract", {"type": "regular", "value": "ethernet"})],
                "transition_key": [],
                "transitions": [accept],
            },
        ],
    }  # fmt: skip
    sm = "standard_metadata"
    actions = [
        _action(A_NOACTION, "NoAction", [], []),
        _action(A_DROP, "MyIngress.drop", [], [_op("mark_to_drop", {"type": "header", "value": sm})]),
        _action(A_SET_PORT, "MyIngress.set_port", [("port", 9)], [_op("assign", _f(sm, "egress_spec"), _rd(0))]),
        _action(A_TO_CPU, "MyIngress.to_cpu", [], [_op("assign", _f(sm, "egress_spec"), _hex(CPU_PORT))]),
        _action(A_SET_MCAST, "MyIngress.set_mcast", [("grp", 16)], [_op("assign", _f(sm, "mcast_grp"), _rd(0))]),
        _action(A_LEARN, "MyIngress.learn", [], [_op("generate_digest", _hex(1), _hex(1))]),
        _action(A_COUNT_PORT, "MyIngress.count_port", [], [
            _op("count", {"type": "counter_array", "value": "MyIngress.port_counter"}, _f(sm, "ingress_port"))
        ]),
        _action(A_REMEMBER, "MyIngress.remember", [("idx", 3), ("value", 32)], [
            _op("register_write", {"type": "register_array", "value": "MyIngress.reg"}, _rd(0), _rd(1))
        ]),
        _action(A_CLONE, "MyIngress.clone_it", [("session", 32)], [
            _op("clone_ingress_pkt_to_egress", _rd(0), _hex(0))
        ]),
        _action(9, "send_from_cpu", [], [
            _op("assign", _f(sm, "egress_spec"), _f("packet_out", "egress_port")),
            _op("remove_header", {"type": "header", "value": "packet_out"}),
        ]),
        _action(10, "add_packet_in", [], [
            _op("add_header", {"type": "header", "value": "packet_in"}),
            _op("assign", _f("packet_in", "ingress_port"), _f(sm, "ingress_port")),
        ]),
    ]  # fmt: skip

    def key(mt: str, name: str, h: str, f: str) -> Json:
        return {"match_type": mt, "name": name, "target": [h, f], "mask": None}

    fwd = _table(
        "MyIngress.fwd", 0,
        [key("exact", "hdr.ethernet.dstAddr", "ethernet", "dstAddr")],
        [(A_SET_PORT, "MyIngress.set_port"), (A_TO_CPU, "MyIngress.to_cpu"),
         (A_SET_MCAST, "MyIngress.set_mcast"), (A_DROP, "MyIngress.drop"), (A_NOACTION, "NoAction")],
        next="MyIngress.acl", with_counters=True, support_timeout=True, default_entry=_default(A_DROP),
    )  # fmt: skip
    acl = _table(
        "MyIngress.acl", 1,
        [key("ternary", "hdr.ethernet.srcAddr", "ethernet", "srcAddr"),
         key("range", "hdr.ethernet.etherType", "ethernet", "etherType")],
        [(A_LEARN, "MyIngress.learn"), (A_COUNT_PORT, "MyIngress.count_port"),
         (A_REMEMBER, "MyIngress.remember"), (A_CLONE, "MyIngress.clone_it"),
         (A_DROP, "MyIngress.drop"), (A_NOACTION, "NoAction")],
        match_type="range", next="MyIngress.ecmp", default_entry=_default(A_NOACTION),
        direct_meters="MyIngress.acl_meter",
    )  # fmt: skip
    ecmp = _table(
        "MyIngress.ecmp", 2,
        [key("exact", "hdr.ethernet.etherType", "ethernet", "etherType")],
        [(A_SET_PORT, "MyIngress.set_port"), (A_NOACTION, "NoAction")],
        type="indirect_ws", action_profile="MyIngress.ecmp_selector",
    )  # fmt: skip
    from_cpu = _table(
        "tbl_send_from_cpu", 3, [], [(9, "send_from_cpu")], default_entry=_default(9, const=True)
    )
    to_cpu = _table(
        "tbl_add_packet_in", 4, [], [(10, "add_packet_in")], default_entry=_default(10, const=True)
    )
    is_cpu_out = {
        "name": "node_in", "id": 0,
        "expression": {"type": "expression", "value": {"op": "d2b", "left": None, "right": _f("packet_out", "$valid$")}},
        "true_next": "tbl_send_from_cpu", "false_next": "MyIngress.fwd",
    }  # fmt: skip
    is_cpu_in = {
        "name": "node_eg", "id": 1,
        "expression": {"type": "expression", "value": {"op": "==", "left": _f(sm, "egress_port"), "right": _hex(CPU_PORT)}},
        "true_next": "tbl_add_packet_in", "false_next": None,
    }  # fmt: skip
    return {
        "header_types": header_types,
        "headers": headers,
        "header_stacks": [], "header_union_types": [], "header_unions": [], "header_union_stacks": [],
        "field_lists": [],
        "errors": [["NoError", 0], ["PacketTooShort", 1], ["NoMatch", 2]],
        "enums": [],
        "parsers": [parser],
        "parse_vsets": [{"name": "ParserImpl.tunnel_types", "id": 0, "compressed_bitwidth": 16}],
        "deparsers": [{"name": "deparser", "id": 0, "order": ["packet_in", "ethernet"], "primitives": []}],
        "meter_arrays": [
            {"name": "MyIngress.port_meter", "id": 0, "is_direct": False, "size": 4, "rate_count": 2, "type": "packets"},
            {"name": "MyIngress.acl_meter", "id": 1, "is_direct": True, "rate_count": 2, "type": "bytes",
             "binding": "MyIngress.acl", "result_target": ["scalars", "acl_color"]},
        ],
        "counter_arrays": [
            {"name": "MyIngress.port_counter", "id": 0, "is_direct": False, "size": 512},
            {"name": "MyIngress.fwd_counter", "id": 1, "is_direct": True, "binding": "MyIngress.fwd"},
        ],
        "register_arrays": [{"name": "MyIngress.reg", "id": 0, "size": 8, "bitwidth": 32}],
        "calculations": [],
        "learn_lists": [{"id": 1, "name": "learn_t", "elements": [_f("ethernet", "srcAddr"), _f(sm, "ingress_port")]}],
        "actions": actions,
        "pipelines": [
            {
                "name": "ingress", "id": 0, "init_table": "node_in",
                "tables": [fwd, acl, ecmp, from_cpu],
                "action_profiles": [{
                    "name": "MyIngress.ecmp_selector", "id": 0, "max_size": 64,
                    "selector": {"algo": "crc16", "input": [_f("ethernet", "srcAddr")]},
                }],
                "conditionals": [is_cpu_out],
            },
            {
                "name": "egress", "id": 1, "init_table": "node_eg",
                "tables": [to_cpu], "action_profiles": [], "conditionals": [is_cpu_in],
            },
        ],
        "checksums": [], "force_arith": [], "extern_instances": [], "field_aliases": [],
        "program": "p4runtime-test.p4",
        "__meta__": {"version": [2, 23], "compiler": "inalab tests (hand-written)"},
    }  # fmt: skip


P4INFO_TEXT = f"""
pkg_info {{ arch: "v1model" }}
tables {{
  preamble {{ id: {T_FWD} name: "MyIngress.fwd" alias: "fwd" }}
  match_fields {{ id: 1 name: "hdr.ethernet.dstAddr" bitwidth: 48 match_type: EXACT }}
  action_refs {{ id: {A_SET_PORT} }} action_refs {{ id: {A_TO_CPU} }}
  action_refs {{ id: {A_SET_MCAST} }} action_refs {{ id: {A_DROP} }} action_refs {{ id: {A_NOACTION} }}
  direct_resource_ids: {DIRECT_COUNTER}
  size: 1024
  idle_timeout_behavior: NOTIFY_CONTROL
}}
tables {{
  preamble {{ id: {T_ACL} name: "MyIngress.acl" alias: "acl" }}
  match_fields {{ id: 1 name: "hdr.ethernet.srcAddr" bitwidth: 48 match_type: TERNARY }}
  match_fields {{ id: 2 name: "hdr.ethernet.etherType" bitwidth: 16 match_type: RANGE }}
  action_refs {{ id: {A_LEARN} }} action_refs {{ id: {A_COUNT_PORT} }} action_refs {{ id: {A_REMEMBER} }}
  action_refs {{ id: {A_CLONE} }}
  action_refs {{ id: {A_DROP} }} action_refs {{ id: {A_NOACTION} }}
  direct_resource_ids: {DIRECT_METER}
  size: 1024
}}
tables {{
  preamble {{ id: {T_ECMP} name: "MyIngress.ecmp" alias: "ecmp" }}
  match_fields {{ id: 1 name: "hdr.ethernet.etherType" bitwidth: 16 match_type: EXACT }}
  action_refs {{ id: {A_SET_PORT} }} action_refs {{ id: {A_NOACTION} }}
  implementation_id: {PROFILE}
  size: 1024
}}
actions {{ preamble {{ id: {A_NOACTION} name: "NoAction" alias: "NoAction" }} }}
actions {{ preamble {{ id: {A_DROP} name: "MyIngress.drop" alias: "drop" }} }}
actions {{ preamble {{ id: {A_SET_PORT} name: "MyIngress.set_port" alias: "set_port" }}
  params {{ id: 1 name: "port" bitwidth: 9 }} }}
actions {{ preamble {{ id: {A_TO_CPU} name: "MyIngress.to_cpu" alias: "to_cpu" }} }}
actions {{ preamble {{ id: {A_SET_MCAST} name: "MyIngress.set_mcast" alias: "set_mcast" }}
  params {{ id: 1 name: "grp" bitwidth: 16 }} }}
actions {{ preamble {{ id: {A_LEARN} name: "MyIngress.learn" alias: "learn" }} }}
actions {{ preamble {{ id: {A_CLONE} name: "MyIngress.clone_it" alias: "clone_it" }}
  params {{ id: 1 name: "session" bitwidth: 32 }} }}
actions {{ preamble {{ id: {A_COUNT_PORT} name: "MyIngress.count_port" alias: "count_port" }} }}
actions {{ preamble {{ id: {A_REMEMBER} name: "MyIngress.remember" alias: "remember" }}
  params {{ id: 1 name: "idx" bitwidth: 3 }} params {{ id: 2 name: "value" bitwidth: 32 }} }}
action_profiles {{
  preamble {{ id: {PROFILE} name: "MyIngress.ecmp_selector" alias: "ecmp_selector" }}
  table_ids: {T_ECMP} with_selector: true size: 64 max_group_size: 8
}}
counters {{
  preamble {{ id: {COUNTER} name: "MyIngress.port_counter" alias: "port_counter" }}
  spec {{ unit: BOTH }} size: 512
}}
direct_counters {{
  preamble {{ id: {DIRECT_COUNTER} name: "MyIngress.fwd_counter" alias: "fwd_counter" }}
  spec {{ unit: BOTH }} direct_table_id: {T_FWD}
}}
meters {{
  preamble {{ id: {METER} name: "MyIngress.port_meter" alias: "port_meter" }}
  spec {{ unit: PACKETS }} size: 4
}}
direct_meters {{
  preamble {{ id: {DIRECT_METER} name: "MyIngress.acl_meter" alias: "acl_meter" }}
  spec {{ unit: BYTES }} direct_table_id: {T_ACL}
}}
controller_packet_metadata {{
  preamble {{ id: {PKT_IN} name: "packet_in" alias: "packet_in" }}
  metadata {{ id: 1 name: "ingress_port" bitwidth: 9 }}
  metadata {{ id: 2 name: "_pad" bitwidth: 7 }}
}}
controller_packet_metadata {{
  preamble {{ id: {PKT_OUT} name: "packet_out" alias: "packet_out" }}
  metadata {{ id: 1 name: "egress_port" bitwidth: 9 }}
  metadata {{ id: 2 name: "_pad" bitwidth: 7 }}
}}
registers {{
  preamble {{ id: {REGISTER} name: "MyIngress.reg" alias: "reg" }}
  type_spec {{ bitstring {{ bit {{ bitwidth: 32 }} }} }}
  size: 8
}}
value_sets {{
  preamble {{ id: {VALUE_SET} name: "ParserImpl.tunnel_types" alias: "tunnel_types" }}
  match {{ id: 1 name: "etherType" bitwidth: 16 match_type: EXACT }}
  size: 4
}}
digests {{
  preamble {{ id: {DIGEST} name: "learn_t" alias: "learn_t" }}
  type_spec {{ struct {{ name: "learn_t" }} }}
}}
type_info {{
  structs {{
    key: "learn_t"
    value {{
      members {{ name: "srcAddr" type_spec {{ bitstring {{ bit {{ bitwidth: 48 }} }} }} }}
      members {{ name: "ingress_port" type_spec {{ bitstring {{ bit {{ bitwidth: 9 }} }} }} }}
    }}
  }}
}}
"""


def p4info() -> p4info_pb2.P4Info:
    return text_format.Parse(P4INFO_TEXT, p4info_pb2.P4Info())


def write_files(directory: Path) -> tuple[Path, Path]:
    """Write ``test.p4info.txtpb`` and ``test.json`` into ``directory``; return their paths."""
    info_path = directory / "test.p4info.txtpb"
    json_path = directory / "test.json"
    info_path.write_text(text_format.MessageToString(p4info()))
    json_path.write_text(json.dumps(bmv2_json()))
    return info_path, json_path
