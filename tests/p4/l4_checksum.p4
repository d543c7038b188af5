// IPv4 options as a varbit field inside the IPv4 header, sized with lookahead<T>() in an
// expression; nested metadata structs; IPv4 and UDP (pseudo header + payload) checksums
// recomputed after a rewrite with update_checksum / update_checksum_with_payload.
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header ipv4_t {
    bit<4> version; bit<4> ihl; bit<8> diffserv; bit<16> total_len;
    bit<16> identification; bit<3> flags; bit<13> frag_offset;
    bit<8> ttl; bit<8> protocol; bit<16> checksum;
    bit<32> src; bit<32> dst;
    varbit<320> options;
}
header ihl_only_t { bit<4> version; bit<4> ihl; }
header udp_t { bit<16> sport; bit<16> dport; bit<16> len; bit<16> checksum; }

struct headers_t { ethernet_t ethernet; ipv4_t ipv4; udp_t udp; }
struct lens_t { bit<16> l4; }
struct meta_t { lens_t lens; bit<8> unused; }

parser LParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
               inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            0x0800: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 {
        pkt.extract(hdr.ipv4,
                    (bit<32>)(((bit<9>)pkt.lookahead<ihl_only_t>().ihl * 4 - 20) * 8));
        meta.lens.l4 = hdr.ipv4.total_len - ((bit<16>)hdr.ipv4.ihl << 2);
        transition select(hdr.ipv4.protocol) {
            17: parse_udp;
            default: accept;
        }
    }
    state parse_udp { pkt.extract(hdr.udp); transition accept; }
}

control LVerify(inout headers_t hdr, inout meta_t meta) { apply { } }

control LIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply {
        if (hdr.udp.isValid()) {
            hdr.udp.dport = hdr.udp.dport + 1;
            hdr.ipv4.ttl = hdr.ipv4.ttl - 1;
        }
        sm.egress_spec = 2;
    }
}

control LEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply { }
}

control LCompute(inout headers_t hdr, inout meta_t meta) {
    apply {
        update_checksum(hdr.ipv4.isValid(),
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.diffserv, hdr.ipv4.total_len,
              hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.frag_offset, hdr.ipv4.ttl,
              hdr.ipv4.protocol, hdr.ipv4.src, hdr.ipv4.dst, hdr.ipv4.options },
            hdr.ipv4.checksum, HashAlgorithm.csum16);
        update_checksum_with_payload(hdr.udp.isValid(),
            { hdr.ipv4.src, hdr.ipv4.dst, 8w0, hdr.ipv4.protocol, meta.lens.l4,
              hdr.udp.sport, hdr.udp.dport, hdr.udp.len, 16w0 },
            hdr.udp.checksum, HashAlgorithm.csum16);
    }
}

control LDeparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.ipv4); pkt.emit(hdr.udp); }
}

V1Switch(LParser(), LVerify(), LIngress(), LEgress(), LCompute(), LDeparser()) main;
