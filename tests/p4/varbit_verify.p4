// IPv4 options as a varbit field (extract with a run-time length, extract_VL), a parser
// verify() raising a program-defined error, and IPv4 header checksum verification.
#include <core.p4>
#include <v1model.p4>

error { IPv4BadHeaderLength }

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header ipv4_t {
    bit<4> version; bit<4> ihl; bit<8> diffserv; bit<16> total_len;
    bit<16> identification; bit<3> flags; bit<13> frag_offset;
    bit<8> ttl; bit<8> protocol; bit<16> checksum;
    bit<32> src; bit<32> dst;
}
header ipv4_options_t { varbit<320> options; }

struct headers_t { ethernet_t ethernet; ipv4_t ipv4; ipv4_options_t opts; }
struct meta_t { }

parser VParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
               inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            0x0800: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 {
        pkt.extract(hdr.ipv4);
        verify(hdr.ipv4.ihl >= 5, error.IPv4BadHeaderLength);
        transition select(hdr.ipv4.ihl) {
            5: accept;
            default: parse_options;
        }
    }
    state parse_options {
        pkt.extract(hdr.opts, (bit<32>)(((bit<16>)hdr.ipv4.ihl - 5) * 32));
        transition accept;
    }
}

control VVerify(inout headers_t hdr, inout meta_t meta) {
    apply {
        verify_checksum(hdr.ipv4.isValid() && hdr.ipv4.ihl == 5,
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.diffserv, hdr.ipv4.total_len,
              hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.frag_offset,
              hdr.ipv4.ttl, hdr.ipv4.protocol, hdr.ipv4.src, hdr.ipv4.dst },
            hdr.ipv4.checksum, HashAlgorithm.csum16);
    }
}

control VIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply {
        if (sm.parser_error == error.IPv4BadHeaderLength) {
            sm.egress_spec = 3;
        } else if (sm.checksum_error == 1) {
            mark_to_drop(sm);
        } else if (hdr.opts.isValid()) {
            sm.egress_spec = 4;
        } else {
            sm.egress_spec = 2;
        }
    }
}

control VEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply { }
}

control VCompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control VDeparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.ipv4); pkt.emit(hdr.opts); }
}

V1Switch(VParser(), VVerify(), VIngress(), VEgress(), VCompute(), VDeparser()) main;
