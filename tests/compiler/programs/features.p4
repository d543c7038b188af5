// Control-plane facing features, checked structurally (JSON + P4Info): packet-in/out
// headers, an ECMP action selector, direct counter and meter, meter array, digest,
// parser value set, @id.
#include <core.p4>
#include <v1model.p4>

@controller_header("packet_in")
header packet_in_t { bit<9> ingress_port; bit<7> pad; }

@controller_header("packet_out")
header packet_out_t { bit<9> egress_port; bit<7> pad; }

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header ipv4_t {
    bit<8> version_ihl; bit<8> diffserv; bit<16> total_len; bit<16> identification;
    bit<16> flags_frag; bit<8> ttl; bit<8> protocol; bit<16> checksum;
    bit<32> src; bit<32> dst;
}

struct headers_t {
    packet_out_t packet_out;
    packet_in_t packet_in;
    ethernet_t ethernet;
    ipv4_t ipv4;
}

struct learn_t { bit<48> src; bit<9> port; }

struct meta_t { bit<2> color; bit<14> ecmp_group; }

parser FParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
               inout standard_metadata_t sm) {
    value_set<bit<16>>(4) special_types;

    state start {
        transition select(sm.ingress_port) {
            255: parse_packet_out;
            default: parse_ethernet;
        }
    }
    state parse_packet_out {
        pkt.extract(hdr.packet_out);
        transition parse_ethernet;
    }
    state parse_ethernet {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            special_types: accept;
            0x0800: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 { pkt.extract(hdr.ipv4); transition accept; }
}

control FVerify(inout headers_t hdr, inout meta_t meta) { apply { } }

control FIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    direct_counter(CounterType.packets_and_bytes) route_counter;
    direct_meter<bit<2>>(MeterType.bytes) route_meter;
    meter(32, MeterType.packets) port_meter;
    action_selector(HashAlgorithm.crc16, 32w1024, 32w14) ecmp_selector;

    @id(0x01000123)
    action set_nhop(bit<48> dmac, bit<9> port) {
        route_meter.read(meta.color);
        hdr.ethernet.dst = dmac;
        sm.egress_spec = port;
    }

    table ipv4_route {
        key = { hdr.ipv4.dst: lpm; }
        actions = { set_nhop; @defaultonly NoAction; }
        counters = route_counter;
        meters = route_meter;
        size = 512;
    }

    action set_ecmp_port(bit<9> port) { sm.egress_spec = port; }

    table ecmp {
        key = {
            hdr.ipv4.dst: exact;
            hdr.ipv4.src: selector;
            hdr.ipv4.protocol: selector;
        }
        actions = { set_ecmp_port; }
        implementation = ecmp_selector;
    }

    table wcmp {
        key = { hdr.ipv4.src: exact; hdr.ipv4.dst: selector; }
        actions = { set_ecmp_port; }
        @name("wcmp_selector") implementation = action_selector(HashAlgorithm.crc32, 32w64, 32w8);
    }

    action learn() {
        digest<learn_t>(1, { hdr.ethernet.src, sm.ingress_port });
    }

    table smac {
        key = { hdr.ethernet.src: exact; }
        actions = { learn; NoAction; }
        default_action = learn();
    }

    apply {
        if (hdr.packet_out.isValid()) {
            sm.egress_spec = hdr.packet_out.egress_port;
            hdr.packet_out.setInvalid();
            exit;
        }
        smac.apply();
        port_meter.execute_meter((bit<32>)sm.ingress_port, meta.color);
        if (hdr.ipv4.isValid()) {
            if (!ipv4_route.apply().hit) {
                ecmp.apply();
                wcmp.apply();
            }
        }
        if (sm.egress_spec == 0) {
            hdr.packet_in.setValid();
            hdr.packet_in.ingress_port = sm.ingress_port;
            sm.egress_spec = 255;
        }
    }
}

control FEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply { }
}

control FCompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control FDeparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.packet_in); pkt.emit(hdr.ethernet); pkt.emit(hdr.ipv4); }
}

V1Switch(FParser(), FVerify(), FIngress(), FEgress(), FCompute(), FDeparser()) main;
