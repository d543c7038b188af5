// Assorted v1model externs run end to end: meter array and direct meter (no rates
// configured: green), digest, log_msg, assert, identity hash, truncate.
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header data_t { bit<8> a; bit<8> b; bit<16> h; bit<8> color; bit<8> dcolor; }

struct headers_t { ethernet_t ethernet; data_t data; }
struct learn_t { bit<48> src; bit<8> a; }
struct meta_t { bit<8> color; bit<8> dcolor; bit<16> h; }

parser EParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
               inout standard_metadata_t sm) {
    state start { pkt.extract(hdr.ethernet); pkt.extract(hdr.data); transition accept; }
}

control EVerify(inout headers_t hdr, inout meta_t meta) { apply { } }

control EIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    meter(16, MeterType.packets) port_meter;
    direct_meter<bit<8>>(MeterType.bytes) flow_meter;

    action forward(bit<9> port) {
        flow_meter.read(meta.dcolor);
        sm.egress_spec = port;
    }

    table flows {
        key = { hdr.data.a: exact; }
        actions = { forward; NoAction; }
        meters = flow_meter;
        default_action = NoAction();
    }

    apply {
        port_meter.execute_meter((bit<32>)sm.ingress_port, meta.color);
        flows.apply();
        digest<learn_t>(1, { hdr.ethernet.src, hdr.data.a });
        log_msg("a={} b={}", { hdr.data.a, hdr.data.b });
        assert(hdr.data.isValid());
        hash(meta.h, HashAlgorithm.identity, 16w0, { hdr.data.a, hdr.data.b }, 32w65536);
        hdr.data.h = meta.h;
        hdr.data.color = meta.color;
        hdr.data.dcolor = meta.dcolor;
        if (hdr.data.b == 0xFF) {
            truncate(16);
        }
    }
}

control EEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply { }
}

control ECompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control EDeparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.data); }
}

V1Switch(EParser(), EVerify(), EIngress(), EEgress(), ECompute(), EDeparser()) main;
