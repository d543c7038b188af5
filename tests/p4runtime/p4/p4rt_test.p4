// The P4Runtime tests' program: controller headers on CPU port 64, an exact
// table with a direct counter and idle timeout, a ternary/range table with
// digests, counter and register actions, an action selector, a meter.
#include <core.p4>
#include <v1model.p4>

#define CPU_PORT 64

typedef bit<9> port_t;
typedef bit<48> mac_t;

@controller_header("packet_out")
header packet_out_t {
    port_t egress_port;
    bit<7> _pad;
}

@controller_header("packet_in")
header packet_in_t {
    port_t ingress_port;
    bit<7> _pad;
}

header ethernet_t {
    mac_t dstAddr;
    mac_t srcAddr;
    bit<16> etherType;
}

struct headers_t {
    packet_out_t packet_out;
    packet_in_t packet_in;
    ethernet_t ethernet;
}

struct learn_t {
    mac_t srcAddr;
    port_t ingress_port;
}

struct metadata_t { }

parser ParserImpl(packet_in packet, out headers_t hdr, inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) {
    state start {
        transition select(standard_metadata.ingress_port) {
            CPU_PORT: parse_packet_out;
            default: parse_ethernet;
        }
    }
    state parse_packet_out {
        packet.extract(hdr.packet_out);
        transition parse_ethernet;
    }
    state parse_ethernet {
        packet.extract(hdr.ethernet);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyIngress(inout headers_t hdr, inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) {
    direct_counter(CounterType.packets_and_bytes) fwd_counter;
    counter(512, CounterType.packets_and_bytes) port_counter;
    meter(4, MeterType.packets) port_meter;
    register<bit<32>>(8) reg;
    action_selector(HashAlgorithm.crc16, 64, 16) ecmp_selector;

    action drop() {
        mark_to_drop(standard_metadata);
    }
    action set_port(port_t port) {
        standard_metadata.egress_spec = port;
    }
    action to_cpu() {
        standard_metadata.egress_spec = CPU_PORT;
    }
    action set_mcast(bit<16> grp) {
        standard_metadata.mcast_grp = grp;
    }
    action learn() {
        digest<learn_t>(1, { hdr.ethernet.srcAddr, standard_metadata.ingress_port });
    }
    action count_port() {
        port_counter.count((bit<32>) standard_metadata.ingress_port);
    }
    action remember(bit<3> idx, bit<32> value) {
        reg.write((bit<32>) idx, value);
    }

    table fwd {
        key = { hdr.ethernet.dstAddr: exact; }
        actions = { set_port; to_cpu; set_mcast; drop; NoAction; }
        default_action = drop();
        counters = fwd_counter;
        support_timeout = true;
        size = 1024;
    }
    table acl {
        key = {
            hdr.ethernet.srcAddr: ternary;
            hdr.ethernet.etherType: range;
        }
        actions = { learn; count_port; remember; drop; NoAction; }
        default_action = NoAction();
        size = 1024;
    }
    table ecmp {
        key = {
            hdr.ethernet.etherType: exact;
            hdr.ethernet.srcAddr: selector;
        }
        actions = { set_port; NoAction; }
        implementation = ecmp_selector;
        size = 1024;
    }

    apply {
        if (hdr.packet_out.isValid()) {
            standard_metadata.egress_spec = hdr.packet_out.egress_port;
            hdr.packet_out.setInvalid();
        } else {
            fwd.apply();
            acl.apply();
            ecmp.apply();
        }
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta,
                 inout standard_metadata_t standard_metadata) {
    apply {
        if (standard_metadata.egress_port == CPU_PORT) {
            hdr.packet_in.setValid();
            hdr.packet_in.ingress_port = standard_metadata.ingress_port;
            hdr.packet_in._pad = 0;
        }
    }
}

control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyDeparser(packet_out packet, in headers_t hdr) {
    apply {
        packet.emit(hdr.packet_in);
        packet.emit(hdr.ethernet);
    }
}

V1Switch(ParserImpl(), MyVerifyChecksum(), MyIngress(), MyEgress(),
         MyComputeChecksum(), MyDeparser()) main;
