// Header unions, serializable enums, nested metadata structs with a bool, signed
// arithmetic, slices and concatenation, an action parameter bound in a table's
// action list, a table declared with "()".
#include <core.p4>
#include <v1model.p4>

enum bit<8> Kind { SHORT = 1, LONG = 2 }

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header kind_t { Kind kind; }
header short_t { bit<8> a; }
header long_t { bit<16> b; }
header_union body_t { short_t s; long_t l; }
header result_t { bit<8> v; bit<8> c; bit<8> w; }

struct headers_t { ethernet_t ethernet; kind_t k; body_t body; result_t res; }
struct inner_t { bit<8> x; bool big; }
struct meta_t { inner_t inner; int<8> s; }

parser UParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
               inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.ethernet);
        pkt.extract(hdr.k);
        transition select(hdr.k.kind) {
            Kind.SHORT: parse_short;
            Kind.LONG: parse_long;
        }
    }
    state parse_short { pkt.extract(hdr.body.s); transition parse_result; }
    state parse_long { pkt.extract(hdr.body.l); transition parse_result; }
    state parse_result { pkt.extract(hdr.res); transition accept; }
}

control UVerify(inout headers_t hdr, inout meta_t meta) { apply { } }

control UIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action setbyte(out bit<8> dst, bit<8> value) { dst = value; }

    table fill() {
        key = { hdr.k.kind: exact; }
        actions = { setbyte(hdr.res.w); NoAction; }
        default_action = NoAction();
    }

    apply {
        if (hdr.body.s.isValid())
            meta.inner.x = hdr.body.s.a;
        else
            meta.inner.x = hdr.body.l.b[7:0];
        meta.inner.big = hdr.k.kind == Kind.LONG;
        meta.s = (int<8>)meta.inner.x;
        meta.s = meta.s - 100;
        hdr.res.v = (bit<8>)meta.s;
        hdr.res.c = hdr.ethernet.src[3:0] ++ meta.inner.x[7:4];
        if (meta.inner.big) {
            hdr.body.setInvalid();
        }
        fill.apply();
        sm.egress_spec = 2;
    }
}

control UEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply { }
}

control UCompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control UDeparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.k); pkt.emit(hdr.body); pkt.emit(hdr.res); }
}

V1Switch(UParser(), UVerify(), UIngress(), UEgress(), UCompute(), UDeparser()) main;
