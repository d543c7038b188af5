"""A P4_16 router compiled by inalab's own compiler, run by inalab-switch on veth:
forwarding, the IPv4 checksum update, and a counter read through inalab-switch-cli
(needs root)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from inalab.compiler.api import compile_source
from inalab.switch.io_netns import VethLab

pytestmark = pytest.mark.integration

MARK = b"inalab-compiled"
SWITCH_MAC = "02:00:00:00:00:fe"

ROUTER_P4 = """\
#include <core.p4>
#include <v1model.p4>

typedef bit<48> mac_addr_t;
typedef bit<32> ipv4_addr_t;
typedef bit<9>  port_t;

header ethernet_t {
    mac_addr_t dst_addr;
    mac_addr_t src_addr;
    bit<16>    ether_type;
}

header ipv4_t {
    bit<4>  version;
    bit<4>  ihl;
    bit<8>  diffserv;
    bit<16> total_len;
    bit<16> identification;
    bit<3>  flags;
    bit<13> frag_offset;
    bit<8>  ttl;
    bit<8>  protocol;
    bit<16> hdr_checksum;
    ipv4_addr_t src_addr;
    ipv4_addr_t dst_addr;
}

struct headers_t {
    ethernet_t ethernet;
    ipv4_t     ipv4;
}

struct meta_t { }

parser RouterParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
                    inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            0x0800: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 {
        pkt.extract(hdr.ipv4);
        transition accept;
    }
}

control RouterVerify(inout headers_t hdr, inout meta_t meta) {
    apply { }
}

control RouterIngress(inout headers_t hdr, inout meta_t meta,
                      inout standard_metadata_t std) {
    counter(2, CounterType.packets_and_bytes) routed;

    action drop() {
        mark_to_drop(std);
    }
    action route(mac_addr_t next_hop, port_t port) {
        std.egress_spec = port;
        hdr.ethernet.src_addr = hdr.ethernet.dst_addr;
        hdr.ethernet.dst_addr = next_hop;
        hdr.ipv4.ttl = hdr.ipv4.ttl - 1;
        routed.count(0);
    }
    table routes {
        key = { hdr.ipv4.dst_addr : lpm; }
        actions = { route; drop; }
        size = 256;
        default_action = drop();
    }
    apply {
        if (hdr.ipv4.isValid()) {
            routes.apply();
        } else {
            drop();
        }
    }
}

control RouterEgress(inout headers_t hdr, inout meta_t meta,
                     inout standard_metadata_t std) {
    apply { }
}

control RouterChecksum(inout headers_t hdr, inout meta_t meta) {
    apply {
        update_checksum(hdr.ipv4.isValid(),
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.diffserv, hdr.ipv4.total_len,
              hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.frag_offset,
              hdr.ipv4.ttl, hdr.ipv4.protocol, hdr.ipv4.src_addr, hdr.ipv4.dst_addr },
            hdr.ipv4.hdr_checksum, HashAlgorithm.csum16);
    }
}

control RouterDeparser(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.ethernet);
        pkt.emit(hdr.ipv4);
    }
}

V1Switch(RouterParser(), RouterVerify(), RouterIngress(), RouterEgress(),
         RouterChecksum(), RouterDeparser()) main;
"""


@pytest.fixture
def lab(require_root: None) -> Iterator[VethLab]:
    with VethLab(2) as lab:
        yield lab


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_compiled_router_forwards_with_valid_checksums(lab: VethLab, tmp_path: Path) -> None:
    compiled = compile_source(ROUTER_P4, filename="router.p4")
    prog = tmp_path / "router.json"
    prog.write_text(compiled.json_text())
    port = _free_port()
    cmd = [sys.executable, "-m", "inalab.switch", "--no-grpc", "--thrift-port", str(port)]
    for h in lab.hosts:
        cmd += ["-i", f"{h.index}@{h.switch_iface}"]
    proc = subprocess.Popen([*cmd, str(prog)], stdout=subprocess.PIPE, text=True)

    def cli(*words: str) -> str:
        r = subprocess.run(
            [sys.executable, "-m", "inalab.switch.runtime_cli", "--thrift-port", str(port), *words],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert r.returncode == 0, r.stderr
        return r.stdout

    try:
        assert proc.stdout is not None and "running" in proc.stdout.readline()
        for h in lab.hosts:
            cli("table_add", "routes", "route", f"10.0.{h.index}.0/24", "=>", h.mac, str(h.index))
        tx, rx = lab.socket(1), lab.socket(2)
        h1 = lab.hosts[0]
        for i in range(20):
            tx.send(
                bytes(
                    Ether(dst=SWITCH_MAC, src=h1.mac)
                    / IP(src=h1.ip, dst="10.0.2.1", ttl=9, id=i)
                    / UDP(sport=1, dport=2)
                    / MARK
                )
            )
        rx.settimeout(0.2)
        got: list[bytes] = []
        deadline = time.monotonic() + 5
        while len(got) < 20 and time.monotonic() < deadline:
            try:
                data = rx.recv(2048)
            except TimeoutError:
                continue
            if MARK in data:
                got.append(data)
        assert len(got) == 20
        for data in got:
            pkt = Ether(data)
            assert pkt.dst == lab.hosts[1].mac and pkt[IP].ttl == 8
            checksum = pkt[IP].chksum
            del pkt[IP].chksum
            assert Ether(bytes(pkt))[IP].chksum == checksum  # the switch's update is right
        out = cli("counter_read", "routed", "0")
        assert re.search(r"packets=20, bytes=\d+", out), out
    finally:
        proc.terminate()
        proc.wait(timeout=15)
