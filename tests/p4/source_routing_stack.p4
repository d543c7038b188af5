// Header stacks: source routing (parse a stack with .next until bottom-of-stack, pop_front)
// and MRI-style telemetry (push_front a hop record, bounded by the stack size).
#include <core.p4>
#include <v1model.p4>

#define MAX_HOPS 4

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header src_route_t { bit<1> bos; bit<15> port; }
header hop_t { bit<8> switch_id; bit<8> qdepth; }
header hop_count_t { bit<8> count; }

struct headers_t {
    ethernet_t ethernet;
    src_route_t[MAX_HOPS] routes;
    hop_count_t hop_count;
    hop_t[MAX_HOPS] hops;
}

struct meta_t { bit<8> remaining; }

parser SParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
               inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            0x1234: parse_route;
            default: accept;
        }
    }
    state parse_route {
        pkt.extract(hdr.routes.next);
        transition select(hdr.routes.last.bos) {
            1: parse_hop_count;
            default: parse_route;
        }
    }
    state parse_hop_count {
        pkt.extract(hdr.hop_count);
        meta.remaining = hdr.hop_count.count;
        transition select(meta.remaining) {
            0: accept;
            default: parse_hop;
        }
    }
    state parse_hop {
        pkt.extract(hdr.hops.next);
        meta.remaining = meta.remaining - 1;
        transition select(meta.remaining) {
            0: accept;
            default: parse_hop;
        }
    }
}

control SVerify(inout headers_t hdr, inout meta_t meta) { apply { } }

control SIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action route() {
        sm.egress_spec = (bit<9>)hdr.routes[0].port;
        hdr.routes.pop_front(1);
    }

    action record(bit<8> switch_id) {
        hdr.hops.push_front(1);
        hdr.hops[0].setValid();
        hdr.hops[0].switch_id = switch_id;
        hdr.hops[0].qdepth = 0;
        hdr.hop_count.count = hdr.hop_count.count + 1;
    }

    table telemetry {
        actions = { record; NoAction; }
        default_action = NoAction();
    }

    apply {
        if (hdr.routes[0].isValid()) {
            if (hdr.routes[0].bos == 1) {
                hdr.ethernet.ether_type = 0x0800;
            }
            route();
            if (hdr.hop_count.count < MAX_HOPS) {
                telemetry.apply();
            }
        } else {
            mark_to_drop(sm);
        }
    }
}

control SEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply { }
}

control SCompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control SDeparser(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.ethernet);
        pkt.emit(hdr.routes);
        pkt.emit(hdr.hop_count);
        pkt.emit(hdr.hops);
    }
}

V1Switch(SParser(), SVerify(), SIngress(), SEgress(), SCompute(), SDeparser()) main;
