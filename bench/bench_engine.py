"""Switch core throughput, in process: L3 forwarding with LPM, TTL decrement and
IPv4 checksum update (the program below, compiled by inalab.compiler).

    .venv/bin/python bench/bench_engine.py [--packets N] [--routes R] [--bytecodes]

Prints packets/s for ``Switch.receive`` on one core, trace logging disabled.
Target: >= 50,000 pps.
"""

from __future__ import annotations

import argparse
import random
import struct
import sys
import time
from pathlib import Path

# the checkout this file is in, not whichever inalab is installed (as bench_dataplane)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bytecodes import bytecodes_per_call

from inalab.compiler import compile_source
from inalab.switch.control import ActionCall, LpmKey
from inalab.switch.core import Switch

P4 = r"""
#include <core.p4>
#include <v1model.p4>
header ethernet_t { bit<48> dstAddr; bit<48> srcAddr; bit<16> etherType; }
header ipv4_t {
    bit<4> version; bit<4> ihl; bit<8> diffserv; bit<16> totalLen;
    bit<16> identification; bit<3> flags; bit<13> fragOffset; bit<8> ttl;
    bit<8> protocol; bit<16> hdrChecksum; bit<32> srcAddr; bit<32> dstAddr;
}
struct metadata { }
struct headers { ethernet_t ethernet; ipv4_t ipv4; }
parser P(packet_in pkt, out headers hdr, inout metadata meta, inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.etherType) { 0x0800: parse_ipv4; default: accept; }
    }
    state parse_ipv4 { pkt.extract(hdr.ipv4); transition accept; }
}
control VC(inout headers hdr, inout metadata meta) { apply { } }
control I(inout headers hdr, inout metadata meta, inout standard_metadata_t sm) {
    action drop() { mark_to_drop(sm); }
    action forward(bit<48> dmac, bit<9> port) {
        sm.egress_spec = port;
        hdr.ethernet.srcAddr = hdr.ethernet.dstAddr;
        hdr.ethernet.dstAddr = dmac;
        hdr.ipv4.ttl = hdr.ipv4.ttl - 1;
    }
    table ipv4_lpm {
        key = { hdr.ipv4.dstAddr: lpm; }
        actions = { forward; drop; }
        size = 4096;
        default_action = drop();
    }
    apply { if (hdr.ipv4.isValid()) { ipv4_lpm.apply(); } }
}
control E(inout headers hdr, inout metadata meta, inout standard_metadata_t sm) { apply { } }
control CC(inout headers hdr, inout metadata meta) {
    apply {
        update_checksum(hdr.ipv4.isValid(),
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.diffserv, hdr.ipv4.totalLen,
              hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.fragOffset, hdr.ipv4.ttl,
              hdr.ipv4.protocol, hdr.ipv4.srcAddr, hdr.ipv4.dstAddr },
            hdr.ipv4.hdrChecksum, HashAlgorithm.csum16);
    }
}
control D(packet_out pkt, in headers hdr) { apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.ipv4); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""


def frame(dst: int) -> bytes:
    eth = bytes.fromhex("0800000002220000000001010800")
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + 26, 1, 0x4000, 64, 17, 0, 0x0A000101, dst)
    return eth + ip + bytes(26)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packets", type=int, default=100_000)
    ap.add_argument("--routes", type=int, default=1000)
    ap.add_argument(
        "--bytecodes",
        action="store_true",
        help="count Python bytecode instructions per packet instead of timing",
    )
    args = ap.parse_args(argv)
    rng = random.Random(1)
    sw = Switch()
    t0 = time.perf_counter()
    sw.load_program(compile_source(P4, filename="bench_l3.p4").bmv2_json)
    load_ms = (time.perf_counter() - t0) * 1e3
    prefixes = []
    for i in range(args.routes):
        plen = rng.choice((16, 20, 24, 28, 32))
        net = (0x0A000000 | rng.getrandbits(24)) & (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
        try:
            sw.table_add(
                "I.ipv4_lpm",
                [LpmKey(net, plen)],
                ActionCall("I.forward", (0x080000000200 + i, 1 + i % 8)),
            )
            prefixes.append((net, plen))
        except Exception:  # duplicate random prefix
            continue
    frames = [
        frame(net | rng.getrandbits(32 - plen) if plen < 32 else net) for net, plen in prefixes
    ]
    sw.set_transmit_handler(lambda port, data: None)
    n = args.packets
    recv = sw.receive
    nf = len(frames)
    for i in range(min(n, 2000)):  # warm up
        recv(0, frames[i % nf])
    if args.bytecodes:
        per = bytecodes_per_call(recv, [(0, f) for f in frames[: min(n, 2000)]])
        print(f"bench_engine: {per:.0f} bytecodes/packet (L3 LPM + TTL + IPv4 checksum)")
        return 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    for i in range(n):
        recv(0, frames[i % nf])
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    pps = n / dt
    cpu_pps = n / cpu if cpu > 0 else float("inf")
    print(f"bench_engine: program load + codegen {load_ms:.1f} ms")
    print(f"bench_engine: L3 LPM ({len(prefixes)} routes) + TTL + IPv4 checksum: "
          f"{n} packets in {dt:.2f} s wall = {pps:,.0f} packets/s; "
          f"{cpu:.2f} s CPU = {cpu_pps:,.0f} packets/s per core (target >= 50,000)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
