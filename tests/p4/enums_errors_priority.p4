// Plain enums, error and bool metadata, an entry with an explicit priority=.
#include <core.p4>
#include <v1model.p4>
enum Color { Red, Green, Blue }
header h_t { bit<8> a; bit<8> b; }
struct H { h_t h; }
struct M { Color c; error e; bool f; }
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start { pk.extract(h.h); transition accept; } }
control V(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    action paint(bit<8> x) { m.c = Color.Blue; h.h.b = x; }
    table t { key = { h.h.a: exact; } actions = { paint; NoAction; } default_action = NoAction(); 
       const entries = { priority=10: 1 : paint(7); } }
    apply {
        m.c = Color.Red;
        m.f = h.h.a > 5;
        t.apply();
        if (m.c == Color.Blue && !m.f) { h.h.a = 0xB1; }
        else if (m.f) { h.h.a = 0xF0; }
        m.e = sm.parser_error;
        if (m.e == error.NoError) { sm.egress_spec = 1; }
    }
}
control E(inout H h, inout M m, inout standard_metadata_t sm) { apply {} }
control C(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
