// Parser and control constructor parameters (p4c specializes each instance; we bind the
// values when the instance is inlined): a sub-parser whose select values and range come
// from its constructor, controls instantiated with different arguments (as p4c's
// issue1520: `C(true) c1; C(false) c2;`), a control whose const entries, table size and
// register size come from its constructor, a constructor argument passed on to a nested
// instance, a default parameter value, and a constructor argument of the top-level
// ingress in V1Switch(...).
#include <core.p4>
#include <v1model.p4>

header h_t { bit<8> a; bit<8> b; bit<8> c; bit<8> d; }
struct H { h_t h; }
struct M { }

parser Classify(packet_in pk, inout H h)(bit<8> marker, bit<8> lo, bit<8> hi) {
    state start {
        transition select(h.h.a) {
            marker: hit;
            lo .. hi: in_range;
            default: accept;
        }
    }
    state hit { h.h.d = marker; transition accept; }
    state in_range { h.h.d = hi; transition accept; }
}

parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    Classify(8w0x55, 8w0x10, 8w0x1f) classify;
    state start {
        pk.extract(h.h);
        classify.apply(pk, h);
        transition accept;
    }
}

control V(inout H h, inout M m) { apply { } }

control Adder(inout bit<8> x)(bit<8> k, bool twice) {
    apply {
        x = x + k;
        if (twice) {
            x = x + k;
        }
    }
}

control Outer(inout bit<8> x)(bit<8> k) {
    Adder(k, false) inner;
    apply { inner.apply(x); }
}

control Lookup(inout h_t hdr)(bit<8> key_value, bit<8> result, bit<32> cells, bit<8> step = 0) {
    register<bit<8>>(cells) seen;
    action set_c(bit<8> v) { hdr.c = v + step; }
    table t {
        key = { hdr.a: exact; }
        actions = { set_c; NoAction; }
        const entries = { key_value: set_c(result); }
        size = cells;
        default_action = NoAction();
    }
    apply {
        t.apply();
        seen.write(cells - 1, hdr.a);
    }
}

control I(inout H h, inout M m, inout standard_metadata_t sm)(bit<9> out_port) {
    Adder(8w1, false) once;
    Adder(8w0x10, true) twice;
    Lookup(8w7, 8w0x77, 32w4) small;
    Outer(8w3) outer;
    apply {
        small.apply(h.h);
        once.apply(h.h.b);
        twice.apply(h.h.c);
        outer.apply(h.h.a);
        sm.egress_spec = out_port;
    }
}

control E(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }
control C(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(9w3), E(), C(), D()) main;
