// Header-stack elements selected by run-time indices (dereference_header_stack /
// access_field), and emit of a whole headers struct.
#include <core.p4>
#include <v1model.p4>
header idx_t { bit<8> i; bit<8> j; }
header e_t { bit<8> v; }
struct H { idx_t idx; e_t[4] s; }
struct M { }
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start { pk.extract(h.idx); pk.extract(h.s.next); pk.extract(h.s.next); pk.extract(h.s.next); pk.extract(h.s.next); transition accept; } }
control V(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    apply {
        h.s[h.idx.i].v = h.s[h.idx.j].v + 1;
        sm.egress_spec = 1;
    }
}
control E(inout H h, inout M m, inout standard_metadata_t sm) { apply {} }
control C(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
