// One control instance applied more than once (p4c inlines every call, as in its
// inline-control1 sample): the instance's counter is shared by the calls, its local
// variable and its actions are per call (each call binds its own arguments: a direct
// action call with a constant argument gets a keyless table per call), and a nested
// instance with an extern constructor argument is applied once per call too.
#include <core.p4>
#include <v1model.p4>

header h_t { bit<8> a; bit<8> b; bit<8> c; bit<8> d; }
struct H { h_t h; }
struct M { }

parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start { pk.extract(h.h); transition accept; }
}

control V(inout H h, inout M m) { apply { } }

control Count(in bit<8> v)(counter c) {
    apply { c.count((bit<32>)v & 1); }
}

control Tally(inout bit<8> v, inout bit<8> wrapped) {
    counter(2, CounterType.packets) uses;
    Count(counter(2, CounterType.packets)) parity;
    bit<8> old;
    action add(bit<8> k) { v = v + k; }
    apply {
        old = v;
        add(8w0x11);
        if (v < old) {
            wrapped = wrapped + 1;
        }
        uses.count(0);
        parity.apply(v);
    }
}

control I(inout H h, inout M m, inout standard_metadata_t sm) {
    Tally() tally;
    apply {
        tally.apply(h.h.a, h.h.d);
        tally.apply(h.h.b, h.h.d);
        tally.apply(h.h.c, h.h.d);
        sm.egress_spec = 1;
    }
}

control E(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }
control C(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
