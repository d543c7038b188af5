// Tunnel headers (p4lang tutorials' basic_tunnel, extended): encapsulate IPv4 into a
// custom tunnel header, forward on the tunnel id, decapsulate at the exit.
#include <core.p4>
#include <v1model.p4>

const bit<16> TYPE_TUNNEL = 0x1212;
const bit<16> TYPE_IPV4 = 0x0800;

header ethernet_t {
    bit<48> dst;
    bit<48> src;
    bit<16> ether_type;
}

header tunnel_t {
    bit<16> proto_id;
    bit<16> dst_id;
}

header ipv4_t {
    bit<4> version;
    bit<4> ihl;
    bit<8> diffserv;
    bit<16> total_len;
    bit<16> identification;
    bit<3> flags;
    bit<13> frag_offset;
    bit<8> ttl;
    bit<8> protocol;
    bit<16> checksum;
    bit<32> src;
    bit<32> dst;
}

struct headers_t {
    ethernet_t ethernet;
    tunnel_t tunnel;
    ipv4_t ipv4;
}

struct meta_t { bit<16> tunnel_id; }

parser TParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
               inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            TYPE_TUNNEL: parse_tunnel;
            TYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }
    state parse_tunnel {
        pkt.extract(hdr.tunnel);
        transition select(hdr.tunnel.proto_id) {
            TYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 {
        pkt.extract(hdr.ipv4);
        transition accept;
    }
}

control TVerify(inout headers_t hdr, inout meta_t meta) { apply { } }

control TIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action drop() { mark_to_drop(sm); }

    action encap(bit<16> dst_id) {
        hdr.tunnel.setValid();
        hdr.tunnel.proto_id = hdr.ethernet.ether_type;
        hdr.tunnel.dst_id = dst_id;
        hdr.ethernet.ether_type = TYPE_TUNNEL;
    }

    table ingress_map {
        key = { hdr.ipv4.dst: lpm; }
        actions = { encap; NoAction; }
        default_action = NoAction();
    }

    action tunnel_forward(bit<9> port) { sm.egress_spec = port; }

    action decap_forward(bit<9> port) {
        sm.egress_spec = port;
        hdr.ethernet.ether_type = hdr.tunnel.proto_id;
        hdr.tunnel.setInvalid();
    }

    table tunnel_exact {
        key = { hdr.tunnel.dst_id: exact; }
        actions = { tunnel_forward; decap_forward; drop; }
        default_action = drop();
    }

    apply {
        if (hdr.ipv4.isValid() && !hdr.tunnel.isValid()) {
            ingress_map.apply();
        }
        if (hdr.tunnel.isValid()) {
            tunnel_exact.apply();
        } else {
            drop();
        }
    }
}

control TEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply { }
}

control TCompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control TDeparser(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.ethernet);
        pkt.emit(hdr.tunnel);
        pkt.emit(hdr.ipv4);
    }
}

V1Switch(TParser(), TVerify(), TIngress(), TEgress(), TCompute(), TDeparser()) main;
