"""Action selector (ECMP) and meter commands against a program compiled by
inalab's compiler and run by the real core, with in-process ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inalab.compiler.api import compile_source
from inalab.switch.core import Switch
from inalab.switch.io_control_commands import run_command
from inalab.switch.io_errors import RuntimeCommandError
from inalab.switch.io_process import SwitchOptions, SwitchProcess

ECMP_P4 = """\
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header ipv4_t {
    bit<8> ver_ihl; bit<8> diffserv; bit<16> total_len; bit<16> id; bit<16> frag;
    bit<8> ttl; bit<8> protocol; bit<16> checksum; bit<32> src; bit<32> dst;
}
struct headers_t { ethernet_t ethernet; ipv4_t ipv4; }
struct meta_t { bit<32> color; }

parser P(packet_in pkt, out headers_t hdr, inout meta_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) { 0x0800: ipv4; default: accept; }
    }
    state ipv4 { pkt.extract(hdr.ipv4); transition accept; }
}
control V(inout headers_t hdr, inout meta_t meta) { apply { } }
control I(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t std) {
    meter(4, MeterType.packets) policer;
    action_selector(HashAlgorithm.crc16, 32w16, 32w14) ecmp_selector;
    action route(bit<48> next_hop, bit<9> port) {
        std.egress_spec = port;
        hdr.ethernet.dst = next_hop;
        policer.execute_meter(0, meta.color);
    }
    action drop() { mark_to_drop(std); }
    table ecmp {
        key = { hdr.ipv4.dst : lpm; hdr.ipv4.src : selector; }
        actions = { route; drop; }
        implementation = ecmp_selector;
        size = 64;
    }
    apply { if (hdr.ipv4.isValid()) { ecmp.apply(); } }
}
control E(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t std) { apply { } }
control C(inout headers_t hdr, inout meta_t meta) { apply { } }
control D(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.ipv4); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
"""


@pytest.fixture(scope="module")
def ecmp_json() -> dict[str, object]:
    return compile_source(ECMP_P4, filename="ecmp.p4").bmv2_json


@pytest.fixture
def proc(ecmp_json: dict[str, object]) -> Iterator[SwitchProcess]:
    sw = Switch()
    sw.load_program(ecmp_json)
    p = SwitchProcess(SwitchOptions(json_path=None, grpc_addr=None, runtime_addr=None), switch=sw)
    p.start()
    yield p
    p.stop()


def _ipv4(src: int) -> bytes:
    eth = bytes.fromhex("0200000000fe0200000000010800")
    ip = bytes.fromhex("450000140000000040110000") + src.to_bytes(4, "big")
    return eth + ip + bytes.fromhex("0a000201")


def test_selector_group_spreads_flows_over_its_members(proc: SwitchProcess) -> None:
    assert proc.ports is not None and proc.switch is not None
    ports = {n: proc.ports.add_virtual(n) for n in (1, 2, 3)}
    m2 = run_command(proc, "act_prof_create_member ecmp_selector route 0x22 2")
    m3 = run_command(proc, "act_prof_create_member ecmp_selector route 0x33 3")
    assert m2 == "Member has been created with handle 0"
    g = run_command(proc, "act_prof_create_group ecmp_selector").rsplit(" ", 1)[1]
    run_command(proc, f"act_prof_add_member_to_group ecmp_selector 0 {g}")
    run_command(proc, f"act_prof_add_member_to_group ecmp_selector {m3.rsplit(' ', 1)[1]} {g}")
    out = run_command(proc, f"table_indirect_add_with_group ecmp 10.0.2.0/24 => {g}")
    assert out.startswith("Entry has been added with handle")
    assert f"0xa000200/24 => group {g}" in run_command(proc, "table_dump ecmp")
    dump = run_command(proc, "act_prof_dump ecmp_selector")
    assert f"group {g}: members [0, 1]" in dump and "member 1: I.route(0x33, 0x3)" in dump
    for src in range(64):
        ports[1].inject(_ipv4(0x0A000100 + src))
    assert proc.switch.wait_idle(2)  # type: ignore[attr-defined]
    to2, to3 = ports[2].drain(), ports[3].drain()
    assert len(to2) + len(to3) == 64 and to2 and to3  # both paths used
    assert all(f[:6] == bytes.fromhex("000000000022") for f in to2)
    # one flow always takes the same path
    for _ in range(5):
        ports[1].inject(_ipv4(0x0A000105))
    assert proc.switch.wait_idle(2)  # type: ignore[attr-defined]
    assert sorted((len(ports[2].drain()), len(ports[3].drain()))) == [0, 5]


def test_indirect_and_direct_adds_are_not_mixed_up(proc: SwitchProcess) -> None:
    with pytest.raises(RuntimeCommandError, match="use table_indirect_add"):
        run_command(proc, "table_add ecmp route 10.0.0.0/8 => 1 2")
    with pytest.raises(RuntimeCommandError, match="unknown action profile 'nope'"):
        run_command(proc, "act_prof_create_group nope")


def test_meter_rates_round_trip(proc: SwitchProcess) -> None:
    run_command(proc, "meter_set_rates policer 2 0.5:10 1.0:20")
    out = run_command(proc, "meter_get_rates I.policer 2")
    assert out.splitlines() == [
        "0: info rate = 0.5, burst size = 10",
        "1: info rate = 1.0, burst size = 20",
    ]
    with pytest.raises(RuntimeCommandError, match="expected RATE:BURST"):
        run_command(proc, "meter_set_rates policer 2 0.5 1.0:20")


def test_show_tables_and_actions(proc: SwitchProcess) -> None:
    assert "I.ecmp" in run_command(proc, "show_tables")
    assert "indirect_ws" in run_command(proc, "show_tables")
    assert "I.route" in run_command(proc, "show_actions")
    assert run_command(proc, "table_num_entries ecmp") == "0"
