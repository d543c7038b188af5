// A sub-parser instance applied from a parser state (inlined, its accept continues in the
// caller), looping over a header stack.
#include <core.p4>
#include <v1model.p4>
header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header tag_t { bit<8> kind; bit<8> v; }
struct H { ethernet_t ethernet; tag_t[3] tags; }
struct M { bit<8> count; }

parser TagParser(packet_in pk, inout H h, inout M m) {
    state start {
        pk.extract(h.tags.next);
        m.count = m.count + 1;
        transition select(h.tags.last.kind) {
            1: start;
            default: accept;
        }
    }
}

parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    TagParser() tags;
    state start {
        pk.extract(h.ethernet);
        transition select(h.ethernet.ether_type) {
            0x9000: parse_tags;
            default: accept;
        }
    }
    state parse_tags {
        m.count = 0;
        tags.apply(pk, h, m);
        h.ethernet.src = (bit<48>)m.count;
        transition accept;
    }
}
control V(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t sm) { apply { sm.egress_spec = 1; } }
control E(inout H h, inout M m, inout standard_metadata_t sm) { apply {} }
control C(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
