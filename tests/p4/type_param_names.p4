// Names that v1model uses as type parameters (T, D, O, I) used as field and variable names.
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> T; bit<8> D; bit<8> O; }
struct Hs { h_t h; }
struct Ms { bit<8> I; }
parser P(packet_in pk, out Hs h, inout Ms m, inout standard_metadata_t sm) {
    state start { pk.extract(h.h); m.I = h.h.T; transition accept; } }
control V(inout Hs h, inout Ms m) { apply {} }
control Ig(inout Hs h, inout Ms m, inout standard_metadata_t sm) {
    apply { bit<8> T = m.I + 1; h.h.D = T; h.h.O = h.h.D + T; sm.egress_spec = 1; }
}
control E(inout Hs h, inout Ms m, inout standard_metadata_t sm) { apply {} }
control C(inout Hs h, inout Ms m) { apply {} }
control D(packet_out p, in Hs h) { apply { p.emit(h); } }
V1Switch(P(), V(), Ig(), E(), C(), D()) main;
