// Table keys that are expressions: a slice and an arithmetic expression (computed into
// key_N scalars before the table) and a masked field (a key mask), as p4c lowers them.
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }

struct headers_t { ethernet_t ethernet; }
struct meta_t { }

parser KParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
               inout standard_metadata_t sm) {
    state start { pkt.extract(hdr.ethernet); transition accept; }
}

control KVerify(inout headers_t hdr, inout meta_t meta) { apply { } }

control KIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action to_port(bit<9> port) { sm.egress_spec = port; }
    action drop() { mark_to_drop(sm); }

    table classify {
        key = {
            hdr.ethernet.src[7:0]: exact @name("src_low");
            hdr.ethernet.dst & 0xFF0000000000: exact @name("dst_top");
            hdr.ethernet.ether_type + 1: exact @name("type_plus_one");
        }
        actions = { to_port; drop; }
        const default_action = drop();
    }

    apply { classify.apply(); }
}

control KEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply { }
}

control KCompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control KDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); } }

V1Switch(KParser(), KVerify(), KIngress(), KEgress(), KCompute(), KDeparser()) main;
