// ACL with ternary and range keys, const entries with priorities, a switch on action_run.
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header l4_t { bit<8> proto; bit<16> dport; }

struct headers_t { ethernet_t ethernet; l4_t l4; }
struct meta_t { bit<8> verdict; }

parser AParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
               inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            0x88B5 &&& 0xFFFF: parse_l4;
            default: accept;
        }
    }
    state parse_l4 {
        pkt.extract(hdr.l4);
        transition accept;
    }
}

control AVerify(inout headers_t hdr, inout meta_t meta) { apply { } }

control AIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action permit(bit<9> port) { sm.egress_spec = port; meta.verdict = 1; }
    action deny() { mark_to_drop(sm); meta.verdict = 2; }
    action tag(bit<8> t) { hdr.l4.proto = t; sm.egress_spec = 5; }

    table acl {
        key = {
            hdr.l4.proto: ternary;
            hdr.l4.dport: range;
        }
        actions = { permit; deny; tag; }
        const default_action = deny();
        const entries = {
            (0x06, 22..22) : deny();
            (0x06, 0..1023) : permit(1);
            (0x11 &&& 0xFF, _) : permit(2);
            (_, 8000..8999) : tag(0x77);
        }
    }

    apply {
        if (hdr.l4.isValid()) {
            switch (acl.apply().action_run) {
                permit: { hdr.ethernet.src = 0x0000000000AA; }
                tag: { hdr.ethernet.src = 0x0000000000BB; }
            }
        } else {
            mark_to_drop(sm);
        }
    }
}

control AEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply { }
}

control ACompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control ADeparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.l4); }
}

V1Switch(AParser(), AVerify(), AIngress(), AEgress(), ACompute(), ADeparser()) main;
