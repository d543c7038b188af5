// return in a control's apply block (the rest of that control is skipped; a sub-control's
// return continues in its caller), also inside if branches and switch cases.
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

control Marker(inout headers_t hdr) {
    apply {
        if (hdr.x.a == 2) {
            return;
        }
        hdr.x.c = 0xCC;
    }
}

control XIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    Marker() marker;

    action set_d(bit<8> v) { hdr.x.d = v; }
    action keep() { }

    table pick {
        key = { hdr.x.a: exact; }
        actions = { set_d; keep; }
        default_action = keep();
    }

    apply {
        if (!hdr.x.isValid()) {
            mark_to_drop(sm);
            return;
        }
        sm.egress_spec = 2;
        marker.apply(hdr);
        switch (pick.apply().action_run) {
            set_d: { return; }
        }
        if (hdr.x.a == 1) return;
        hdr.x.b = 0xFF;
    }
}

control XEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply { }
}

control XCompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control XDeparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.x); }
}

V1Switch(XParser(), XVerify(), XIngress(), XEgress(), XCompute(), XDeparser()) main;
