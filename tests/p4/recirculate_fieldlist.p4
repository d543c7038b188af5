// Recirculation preserving a @field_list of user metadata: the packet loops through the
// pipeline until its preserved pass counter reaches 3, incrementing a header counter.
#include <core.p4>
#include <v1model.p4>

const bit<32> RECIRCULATED = 4;   // standard_metadata.instance_type of a recirculated packet

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header count_t { bit<8> count; bit<8> first_instance; }

struct headers_t { ethernet_t ethernet; count_t c; }
struct meta_t {
    @field_list(1)
    bit<8> passes;
    bit<8> scratch;
}

parser RParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
               inout standard_metadata_t sm) {
    state start { pkt.extract(hdr.ethernet); pkt.extract(hdr.c); transition accept; }
}

control RVerify(inout headers_t hdr, inout meta_t meta) { apply { } }

control RIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply {
        if (sm.instance_type != RECIRCULATED) {
            hdr.c.first_instance = (bit<8>)sm.instance_type;
        }
        meta.passes = meta.passes + 1;
        meta.scratch = 0xEE;      // not preserved
        hdr.c.count = hdr.c.count + 1;
        sm.egress_spec = 2;
    }
}

control REgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply {
        if (meta.passes < 3) {
            recirculate_preserving_field_list(1);
        }
    }
}

control RCompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control RDeparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.c); }
}

V1Switch(RParser(), RVerify(), RIngress(), REgress(), RCompute(), RDeparser()) main;
