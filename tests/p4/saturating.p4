// Saturating arithmetic |+| and |-| on bit<W> and int<W> (bmv2 usat_cast / sat_cast).
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; bit<8> b; bit<8> s; bit<8> d; int<8> sa; int<8> sb; int<8> ss; }
struct H { h_t h; }
struct M { }
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start { pk.extract(h.h); transition accept; } }
control V(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    apply { h.h.s = h.h.a |+| h.h.b; h.h.d = h.h.a |-| h.h.b; h.h.ss = h.h.sa |+| h.h.sb; sm.egress_spec = 1; }
}
control E(inout H h, inout M m, inout standard_metadata_t sm) { apply {} }
control C(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
