// Mirroring: ingress clones (I2E) to a session, egress tells the clone from the
// original by instance_type; an action with if/else (bmv2 _jump_if_zero).
#include <core.p4>
#include <v1model.p4>

const bit<32> I2E_CLONE = 1;   // standard_metadata.instance_type of an ingress clone

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header tag_t { bit<8> kind; bit<8> value; }

struct headers_t { ethernet_t ethernet; tag_t tag; }
struct meta_t { }

parser MParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
               inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.ethernet);
        pkt.extract(hdr.tag);
        transition accept;
    }
}

control MVerify(inout headers_t hdr, inout meta_t meta) { apply { } }

control MIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action forward_and_mirror(bit<9> port, bit<32> session) {
        sm.egress_spec = port;
        clone(CloneType.I2E, session);
    }
    action forward(bit<9> port) { sm.egress_spec = port; }

    table fwd {
        key = { sm.ingress_port: exact; }
        actions = { forward_and_mirror; forward; @defaultonly NoAction; }
        default_action = NoAction();
    }

    apply {
        fwd.apply();
    }
}

control MEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action classify(bit<8> limit) {
        if (hdr.tag.value > limit) {
            hdr.tag.kind = 0xBB;
        } else {
            hdr.tag.kind = 0xAA;
        }
    }

    table classify_tbl {
        actions = { classify; }
        default_action = classify(0x10);
    }

    apply {
        if (sm.instance_type == I2E_CLONE) {
            hdr.ethernet.src = 0x00000000C10E;
        } else {
            classify_tbl.apply();
        }
    }
}

control MCompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control MDeparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.tag); }
}

V1Switch(MParser(), MVerify(), MIngress(), MEgress(), MCompute(), MDeparser()) main;
