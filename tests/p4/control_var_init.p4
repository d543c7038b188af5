// Control-level variables with initializers (p4c's MoveInitializers): each one is assigned
// every time its control runs, before the apply block, in declaration order; in a
// sub-control applied twice, on each application.
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header x_t { bit<8> a; bit<8> b; bit<8> c; bit<8> d; }

struct headers_t { ethernet_t ethernet; x_t x; }
struct meta_t { }

parser XParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
               inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            0x9000: parse_x;
            default: accept;
        }
    }
    state parse_x { pkt.extract(hdr.x); transition accept; }
}

control XVerify(inout headers_t hdr, inout meta_t meta) { apply { } }

// adds 0x10 to its argument: the local starts at 0x10 on each application
control Bump(inout bit<8> v) {
    bit<8> step = 0x10;
    apply {
        v = v + step;
        step = 0xFF;  // overwritten: the next application starts from 0x10 again
    }
}

control XIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    bit<8> base = 0x20;
    bit<8> twice = base + base;  // initializers run in order: 0x40
    Bump() bump;

    action add_base() { hdr.x.b = hdr.x.a + base; }

    table pick {
        key = { hdr.x.a: exact; }
        actions = { add_base; NoAction; }
        default_action = add_base();
    }

    apply {
        if (!hdr.x.isValid()) {
            mark_to_drop(sm);
            return;
        }
        pick.apply();
        hdr.x.c = twice;
        bump.apply(hdr.x.d);
        bump.apply(hdr.x.d);
        sm.egress_spec = 2;
    }
}

control XEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply { }
}

control XCompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control XDeparser(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.ethernet);
        pkt.emit(hdr.x);
    }
}

V1Switch(XParser(), XVerify(), XIngress(), XEgress(), XCompute(), XDeparser()) main;
