// Calls in expression positions, in p4c's evaluation order (SideEffectOrdering): if
// conditions of an apply block that call functions, left to right, && / || / ?: short
// circuit (a call in the right operand of && runs only when the left one is true), in an
// apply block and inside an action. Every call appends its tag to h.log, so the trace
// shows which calls ran, in which order.
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; bit<8> b; bit<32> log; bit<8> r1; bit<8> r2; bit<8> r3; bit<8> r4; bit<8> r5; }
struct H { h_t h; }
struct M { }
// append tag to the trace, return v
bit<8> note(inout bit<32> log, in bit<4> tag, in bit<8> v) {
    log = (log << 4) | (bit<32>)tag;
    return v;
}
bool test(inout bit<32> log, in bit<4> tag, in bool v) {
    log = (log << 4) | (bit<32>)tag;
    return v;
}
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t s) {
    state start { pk.extract(h.h); transition accept; } }
control V(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    action in_action() {
        if (h.h.b == 7 || test(h.h.log, 7, h.h.a == 1)) {
            h.h.r4 = 1;
        } else {
            h.h.r4 = 2;
        }
        h.h.r5 = note(h.h.log, 8, 0x10) + note(h.h.log, 9, h.h.a);
    }
    apply {
        if (test(h.h.log, 1, h.h.a > 2) && test(h.h.log, 2, h.h.b > 2)) {
            h.h.r1 = 1;
        } else {
            h.h.r1 = 2;
        }
        if (h.h.a == 0 || note(h.h.log, 3, h.h.b) == 5) {
            h.h.r2 = 1;
        }
        h.h.r3 = h.h.a[0:0] == 1 ? note(h.h.log, 5, h.h.a) : note(h.h.log, 6, h.h.b);
        in_action();
        s.egress_spec = 1;
    }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply {} }
control C(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
