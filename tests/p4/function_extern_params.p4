// Functions with extern-typed parameters, SwitchML style: the parameter binds to the
// caller's instance (p4c inlines functions), also when passed on to another function.
#include <core.p4>
#include <v1model.p4>
header h_t { bit<32> idx; bit<32> mask; bit<32> first; bit<32> seen; }
struct H { h_t h; }
struct M { }
register<bit<32>>(8) seen_reg;   // top level: idx -> 1 once a packet for idx went by
// bitmap[idx] |= mask; the old value
bit<32> fetch_or(register<bit<32>> bitmap, in bit<32> idx, in bit<32> mask) {
    bit<32> old;
    bitmap.read(old, idx);
    bitmap.write(idx, old | mask);
    return old;
}
// the bits of mask that were already set in bitmap[idx]
bit<32> check_first(register<bit<32>> bitmap, in bit<32> idx, in bit<32> mask) {
    return fetch_or(bitmap, idx, mask) & mask;
}
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t s) {
    state start { pk.extract(h.h); transition accept; } }
control V(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    register<bit<32>>(8) bitmap_a;
    action record() { h.h.first = check_first(bitmap_a, h.h.idx, h.h.mask); }
    apply {
        record();
        h.h.seen = check_first(seen_reg, h.h.idx, 1);
        s.egress_spec = 1;
    }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply {} }
control C(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
