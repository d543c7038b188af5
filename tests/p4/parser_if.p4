// if/else inside a parser state (split into select-driven states, as p4c), with a local
// variable declared before the if and used after it.
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; bit<8> b; }
header o_t { bit<8> v; }
struct H { h_t h; o_t o; }
struct M { bit<8> n; }
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start {
        pk.extract(h.h);
        bit<8> t = h.h.b;
        if (h.h.a == 1) {
            pk.extract(h.o);
            m.n = 1;
        } else {
            m.n = 2;
        }
        m.n = m.n + t;
        transition accept;
    }
}
control V(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    apply { h.h.b = m.n; sm.egress_spec = 1; }
}
control E(inout H h, inout M m, inout standard_metadata_t sm) { apply {} }
control C(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
