// User-defined functions, inlined: an inout parameter with a return value (post-increment)
// and in parameters with an if inside the body, returns inside branches.
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; bit<8> b; bit<8> c; }
struct H { h_t h; }
struct M { }
bit<8> postincr(inout bit<8> x) {
    bit<8> rv = x;
    x = x + 1;
    return rv;
}
bit<8> maxv(in bit<8> p, in bit<8> q) {
    bit<8> r = q;
    if (p > q) { r = p; }
    return r;
}
bit<8> classify(in bit<8> v) {
    if (v == 0) {
        return 0xE0;
    } else if (v < 0x10) {
        return 0xE1;
    }
    bit<8> r = v >> 4;
    if (r == 0xF) {
        return 0xEF;
    }
    return r;
}
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t s) {
    state start { pk.extract(h.h); transition accept; } }
control V(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    bit<9> out_port() { return (bit<9>)(h.h.a & 1) + 1; }   // local function, sees h
    apply {
        h.h.c = postincr(h.h.a);
        h.h.b = maxv(h.h.a, h.h.b) + 1;
        h.h.c = h.h.c + classify(h.h.b);
        s.egress_spec = out_port();
    }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply {} }
control C(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
