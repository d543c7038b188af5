// Stateful firewall (p4lang tutorials' firewall, simplified): a bloom filter in registers
// indexed by CRC hashes of the flow, filled by inside traffic, checked for outside traffic.
#include <core.p4>
#include <v1model.p4>

#define BLOOM_SIZE 4096

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header ipv4_t {
    bit<8> version_ihl; bit<8> diffserv; bit<16> total_len; bit<16> identification;
    bit<16> flags_frag; bit<8> ttl; bit<8> protocol; bit<16> checksum;
    bit<32> src; bit<32> dst;
}

struct headers_t { ethernet_t ethernet; ipv4_t ipv4; }
struct meta_t {
    bit<32> pos1;
    bit<32> pos2;
    bit<1> seen1;
    bit<1> seen2;
}

parser FParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
               inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            0x0800: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 { pkt.extract(hdr.ipv4); transition accept; }
}

control FVerify(inout headers_t hdr, inout meta_t meta) { apply { } }

control FIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    register<bit<1>>(BLOOM_SIZE) bloom1;
    register<bit<1>>(BLOOM_SIZE) bloom2;
    counter(4, CounterType.packets_and_bytes) verdicts;

    action hash_flow(bit<32> a, bit<32> b) {
        hash(meta.pos1, HashAlgorithm.crc16, (bit<32>)0, { a, b }, (bit<32>)BLOOM_SIZE);
        hash(meta.pos2, HashAlgorithm.crc32, (bit<32>)0, { a, b }, (bit<32>)BLOOM_SIZE);
    }

    apply {
        if (!hdr.ipv4.isValid()) {
            mark_to_drop(sm);
            exit;
        }
        if (sm.ingress_port == 1) {
            // inside -> outside: remember the flow, forward
            hash_flow(hdr.ipv4.src, hdr.ipv4.dst);
            bloom1.write(meta.pos1, 1);
            bloom2.write(meta.pos2, 1);
            sm.egress_spec = 2;
            verdicts.count(0);
        } else {
            // outside -> inside: only replies to remembered flows
            hash_flow(hdr.ipv4.dst, hdr.ipv4.src);
            bloom1.read(meta.seen1, meta.pos1);
            bloom2.read(meta.seen2, meta.pos2);
            if (meta.seen1 == 1 && meta.seen2 == 1) {
                sm.egress_spec = 1;
                verdicts.count(1);
            } else {
                mark_to_drop(sm);
                verdicts.count(2);
            }
        }
    }
}

control FEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply { }
}

control FCompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control FDeparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.ipv4); }
}

V1Switch(FParser(), FVerify(), FIngress(), FEgress(), FCompute(), FDeparser()) main;
