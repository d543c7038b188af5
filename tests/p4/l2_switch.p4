// L2 switching: exact match on the destination MAC, flooding via a multicast group.
#include <core.p4>
#include <v1model.p4>

header ethernet_t {
    bit<48> dst;
    bit<48> src;
    bit<16> ether_type;
}

struct headers_t { ethernet_t ethernet; }
struct meta_t { }

parser L2Parser(packet_in pkt, out headers_t hdr, inout meta_t meta,
                inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.ethernet);
        transition accept;
    }
}

control L2Verify(inout headers_t hdr, inout meta_t meta) { apply { } }

control L2Ingress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action forward(bit<9> port) { sm.egress_spec = port; }
    action flood(bit<16> group) { sm.mcast_grp = group; }
    action drop() { mark_to_drop(sm); }

    table dmac {
        key = { hdr.ethernet.dst: exact; }
        actions = { forward; flood; drop; }
        default_action = drop();
        size = 256;
    }

    apply { dmac.apply(); }
}

control L2Egress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply {
        // never send a flooded copy back where it came from
        if (sm.mcast_grp != 0 && sm.egress_port == sm.ingress_port) {
            mark_to_drop(sm);
        }
    }
}

control L2Compute(inout headers_t hdr, inout meta_t meta) { apply { } }

control L2Deparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.ethernet); }
}

V1Switch(L2Parser(), L2Verify(), L2Ingress(), L2Egress(), L2Compute(), L2Deparser()) main;
