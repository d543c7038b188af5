// Calls where p4c hoists them into temporaries (SideEffectOrdering): SwitchML-style
// if (check_first(bitmap, ...) == 0) in an apply block, also nested and negated; a switch
// on a function result; a function in a parser if condition.
#include <core.p4>
#include <v1model.p4>
header h_t { bit<32> idx; bit<32> v; bit<8> r; }
struct H { h_t h; }
struct M { }
bit<32> check_first(register<bit<32>> bitmap, in bit<32> idx, in bit<32> mask) {
    bit<32> old;
    bitmap.read(old, idx);
    bitmap.write(idx, old | mask);
    return old & mask;
}
bit<8> pick(in bit<8> x) { return x & 3; }
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t s) {
    state start {
        pk.extract(h.h);
        if (pick(h.h.r) == 1) { h.h.v = 5; }
        transition accept;
    }
}
control V(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    register<bit<32>>(16) bm;
    apply {
        if (check_first(bm, h.h.idx, 1) == 0) {
            h.h.r = 1;
            if (!(check_first(bm, h.h.idx + 1, 1) == 0)) { h.h.r = 3; }
        } else { h.h.r = 2; }
        switch (pick(h.h.r)) {
            1: { h.h.v = 10; }
            default: { }
        }
        s.egress_spec = 1;
    }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply {} }
control C(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
