// switch on a value (labels sharing a body, default, return in a case, no default), as
// p4c lowers it: switch_N_key, a hidden switch_N_table with const entries, empty case actions.
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; bit<8> b; }
struct H { h_t h; }
struct M { }
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start { pk.extract(h.h); transition accept; } }
control V(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    apply {
        sm.egress_spec = 1;
        switch (h.h.a) {
            1: { h.h.b = 0x11; }
            2:
            3: { h.h.b = 0x23; }
            4: { return; }
            default: { h.h.b = 0xDD; }
        }
        h.h.a = h.h.a + 0x10;
        switch (h.h.b) {
            0x23: { h.h.a = 0x77; }
        }
    }
}
control E(inout H h, inout M m, inout standard_metadata_t sm) { apply {} }
control C(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
