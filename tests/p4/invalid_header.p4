// {#} (the invalid header) assigned to a header: the header is removed.
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; }
header g_t { bit<8> b; }
struct H { h_t h; g_t g; }
struct M { }
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start { pk.extract(h.h); pk.extract(h.g); transition accept; } }
control V(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    apply { if (h.h.a == 1) { h.g = {#}; } sm.egress_spec = 1; }
}
control E(inout H h, inout M m, inout standard_metadata_t sm) { apply {} }
control C(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
