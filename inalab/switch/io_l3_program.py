"""A minimal L3 forwarding program as bmv2 JSON, for the switch's own tests and
benchmarks on real interfaces (it needs no compiler).

It is what p4c would emit for the p4lang tutorials' ``basic.p4`` without the
checksum update: parse Ethernet and IPv4; ``MyIngress.ipv4_lpm`` (lpm on
``hdr.ipv4.dstAddr``) runs ``MyIngress.ipv4_forward(dstAddr, port)`` (set
the egress port, rewrite the MACs, decrement the TTL) or, by default,
``MyIngress.drop``. Frames that are not IPv4 are dropped too.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

_STANDARD_METADATA = [
    ["ingress_port", 9, False],
    ["egress_spec", 9, False],
    ["egress_port", 9, False],
    ["instance_type", 32, False],
    ["packet_length", 32, False],
    ["enq_timestamp", 32, False],
    ["enq_qdepth", 19, False],
    ["deq_timedelta", 32, False],
    ["deq_qdepth", 19, False],
    ["ingress_global_timestamp", 48, False],
    ["egress_global_timestamp", 48, False],
    ["mcast_grp", 16, False],
    ["egress_rid", 16, False],
    ["checksum_error", 1, False],
    ["parser_error", 32, False],
    ["priority", 3, False],
    ["_padding", 3, False],
]

_IPV4 = [
    ["version", 4, False],
    ["ihl", 4, False],
    ["diffserv", 8, False],
    ["totalLen", 16, False],
    ["identification", 16, False],
    ["flags", 3, False],
    ["fragOffset", 13, False],
    ["ttl", 8, False],
    ["protocol", 8, False],
    ["hdrChecksum", 16, False],
    ["srcAddr", 32, False],
    ["dstAddr", 32, False],
]


def _field(header: str, name: str) -> Json:
    return {"type": "field", "value": [header, name]}


def _assign(dst: Json, src: Json) -> Json:
    return {"op": "assign", "parameters": [dst, src]}


def l3_program() -> Json:
    """The program as a bmv2 JSON dict (``json.dumps`` it for a file)."""
    header_types = [
        {"name": "scalars_0", "id": 0, "fields": []},
        {"name": "standard_metadata", "id": 1, "fields": _STANDARD_METADATA},
        {
            "name": "ethernet_t",
            "id": 2,
            "fields": [["dstAddr", 48, False], ["srcAddr", 48, False], ["etherType", 16, False]],
        },
        {"name": "ipv4_t", "id": 3, "fields": _IPV4},
    ]
    headers = [
        {"name": "scalars", "id": 0, "header_type": "scalars_0", "metadata": True, "pi_omit": True},
        {
            "name": "standard_metadata",
            "id": 1,
            "header_type": "standard_metadata",
            "metadata": True,
            "pi_omit": True,
        },
        {
            "name": "ethernet",
            "id": 2,
            "header_type": "ethernet_t",
            "metadata": False,
            "pi_omit": True,
        },
        {"name": "ipv4", "id": 3, "header_type": "ipv4_t", "metadata": False, "pi_omit": True},
    ]
    parser = {
        "name": "parser",
        "id": 0,
        "init_state": "start",
        "parse_states": [
            {
                "name": "start",
                "id": 0,
                "parser_ops": [
                    {"op": "extract", "parameters": [{"type": "regular", "value": "ethernet"}]}
                ],
                "transition_key": [_field("ethernet", "etherType")],
                "transitions": [
                    {
                        "type": "hexstr",
                        "value": "0x0800",
                        "mask": None,
                        "next_state": "parse_ipv4",
                    },
                    {"type": "default", "value": None, "mask": None, "next_state": None},
                ],
            },
            {
                "name": "parse_ipv4",
                "id": 1,
                "parser_ops": [
                    {"op": "extract", "parameters": [{"type": "regular", "value": "ipv4"}]}
                ],
                "transition_key": [],
                "transitions": [
                    {"type": "default", "value": None, "mask": None, "next_state": None}
                ],
            },
        ],
    }
    ttl_minus_one = {
        "type": "expression",
        "value": {
            "op": "&",
            "left": {
                "type": "expression",
                "value": {
                    "op": "+",
                    "left": _field("ipv4", "ttl"),
                    "right": {"type": "hexstr", "value": "0xff"},
                },
            },
            "right": {"type": "hexstr", "value": "0xff"},
        },
    }
    actions = [
        {
            "name": "MyIngress.drop",
            "id": 0,
            "runtime_data": [],
            "primitives": [
                {
                    "op": "mark_to_drop",
                    "parameters": [{"type": "header", "value": "standard_metadata"}],
                }
            ],
        },
        {
            "name": "MyIngress.ipv4_forward",
            "id": 1,
            "runtime_data": [{"name": "dstAddr", "bitwidth": 48}, {"name": "port", "bitwidth": 9}],
            "primitives": [
                _assign(
                    _field("standard_metadata", "egress_spec"), {"type": "runtime_data", "value": 1}
                ),
                _assign(_field("ethernet", "srcAddr"), _field("ethernet", "dstAddr")),
                _assign(_field("ethernet", "dstAddr"), {"type": "runtime_data", "value": 0}),
                _assign(_field("ipv4", "ttl"), ttl_minus_one),
            ],
        },
    ]
    table = {
        "name": "MyIngress.ipv4_lpm",
        "id": 0,
        "key": [
            {
                "match_type": "lpm",
                "name": "hdr.ipv4.dstAddr",
                "target": ["ipv4", "dstAddr"],
                "mask": None,
            }
        ],
        "match_type": "lpm",
        "type": "simple",
        "max_size": 1024,
        "with_counters": False,
        "support_timeout": False,
        "direct_meters": None,
        "action_ids": [1, 0],
        "actions": ["MyIngress.ipv4_forward", "MyIngress.drop"],
        "base_default_next": None,
        "next_tables": {"MyIngress.ipv4_forward": None, "MyIngress.drop": None},
        "default_entry": {
            "action_id": 0,
            "action_const": False,
            "action_data": [],
            "action_entry_const": False,
        },
    }
    drop_table = {
        "name": "tbl_drop",
        "id": 1,
        "key": [],
        "match_type": "exact",
        "type": "simple",
        "max_size": 1024,
        "with_counters": False,
        "support_timeout": False,
        "direct_meters": None,
        "action_ids": [0],
        "actions": ["MyIngress.drop"],
        "base_default_next": None,
        "next_tables": {"MyIngress.drop": None},
        "default_entry": {
            "action_id": 0,
            "action_const": True,
            "action_data": [],
            "action_entry_const": True,
        },
    }
    conditional = {
        "name": "node_2",
        "id": 0,
        "expression": {
            "type": "expression",
            "value": {"op": "d2b", "left": None, "right": _field("ipv4", "$valid$")},
        },
        "true_next": "MyIngress.ipv4_lpm",
        "false_next": "tbl_drop",
    }
    return {
        "header_types": header_types,
        "headers": headers,
        "header_stacks": [],
        "header_union_types": [],
        "header_unions": [],
        "header_union_stacks": [],
        "field_lists": [],
        "errors": [["NoError", 0], ["PacketTooShort", 1], ["NoMatch", 2]],
        "enums": [],
        "parsers": [parser],
        "parse_vsets": [],
        "deparsers": [
            {"name": "deparser", "id": 0, "order": ["ethernet", "ipv4"], "primitives": []}
        ],
        "meter_arrays": [],
        "counter_arrays": [],
        "register_arrays": [],
        "calculations": [],
        "learn_lists": [],
        "actions": actions,
        "pipelines": [
            {
                "name": "ingress",
                "id": 0,
                "init_table": "node_2",
                "tables": [table, drop_table],
                "action_profiles": [],
                "conditionals": [conditional],
            },
            {
                "name": "egress",
                "id": 1,
                "init_table": None,
                "tables": [],
                "action_profiles": [],
                "conditionals": [],
            },
        ],
        "checksums": [],
        "force_arith": [],
        "extern_instances": [],
        "field_aliases": [],
        "program": "inalab-l3.p4",
        "__meta__": {"version": [2, 23], "compiler": "inalab (hand-written)"},
    }
