// QoS and ECN: DSCP -> standard_metadata.priority (ternary table), egress marks ECN CE when
// enq_qdepth reaches a threshold held in a register, counts marks per priority.
#include <core.p4>
#include <v1model.p4>

typedef bit<3> prio_t;

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header ipv4_t {
    bit<8> version_ihl; bit<6> dscp; bit<2> ecn; bit<16> total_len; bit<16> identification;
    bit<16> flags_frag; bit<8> ttl; bit<8> protocol; bit<16> checksum;
    bit<32> src; bit<32> dst;
}

struct headers_t { ethernet_t ethernet; ipv4_t ipv4; }
struct meta_t { bit<19> threshold; bit<8> jitter; }

parser QParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
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

control QVerify(inout headers_t hdr, inout meta_t meta) { apply { } }

control QIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action set_priority(prio_t prio) { sm.priority = prio; }

    table dscp_priority {
        key = { hdr.ipv4.dscp: ternary @name("dscp"); }
        actions = { set_priority; NoAction; }
        default_action = NoAction();
    }

    apply {
        sm.egress_spec = 2;
        if (hdr.ipv4.isValid()) {
            dscp_priority.apply();
        }
    }
}

control QEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    register<bit<19>>(1) ecn_threshold;
    counter(8, CounterType.packets) ce_marks;

    apply {
        if (hdr.ipv4.isValid() && hdr.ipv4.ecn != 0) {
            ecn_threshold.read(meta.threshold, 0);
            random(meta.jitter, 8w3, 8w3);
            if (sm.enq_qdepth >= meta.threshold) {
                hdr.ipv4.ecn = 3;
                hdr.ipv4.ttl = hdr.ipv4.ttl - meta.jitter;
                ce_marks.count((bit<32>)sm.priority);
            }
        }
    }
}

control QCompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control QDeparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.ipv4); }
}

V1Switch(QParser(), QVerify(), QIngress(), QEgress(), QCompute(), QDeparser()) main;
