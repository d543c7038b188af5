// Field, parameter and variable names that are P4 keywords in other positions (key,
// actions, entries, state, type, priority, apply), as p4c accepts them.
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> key; bit<8> actions; bit<8> entries; bit<8> state; bit<8> type; bit<8> priority; bit<8> apply; }
struct H { h_t h; }
struct M { bit<8> key; }
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start { pk.extract(h.h); m.key = h.h.key; transition accept; } }
control V(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    action a(bit<8> key) { h.h.type = key; }
    table t { key = { h.h.key: exact; h.h.state: exact; } actions = { a; } }
    apply { h.h.actions = h.h.entries + h.h.state + h.h.priority + h.h.apply; t.apply(); sm.egress_spec = 1; }
}
control E(inout H h, inout M m, inout standard_metadata_t sm) { apply {} }
control C(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
