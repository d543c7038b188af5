// One control type applied through several instances (p4c inlines each with its own
// objects, named by the instance path: I.s1.t, I.s2.t, I.pair.left.t, ...): each instance
// has its own table (own entries), actions, local variable, counter and direct action
// call; a nested control holds two more instances of the same type. Parsers too: one
// sub-parser type applied through two instances.
#include <core.p4>
#include <v1model.p4>

header h_t { bit<8> sel; bit<8> x; bit<8> y; bit<8> z; bit<8> w; bit<8> flag; }
header opt_t { bit<8> v; }
struct H { h_t h; opt_t o1; opt_t o2; }
struct M { }

parser Opt(packet_in pk, out opt_t o) {
    state start {
        pk.extract(o);
        transition accept;
    }
}

parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    Opt() first;
    Opt() second;
    state start {
        pk.extract(h.h);
        transition select(h.h.flag) {
            1: one;
            2: two;
            default: accept;
        }
    }
    state one {
        first.apply(pk, h.o1);
        transition accept;
    }
    state two {
        first.apply(pk, h.o1);
        second.apply(pk, h.o2);
        transition accept;
    }
}

control V(inout H h, inout M m) { apply { } }

control Stage(inout h_t hdr, inout bit<8> field) {
    bit<8> seen;
    counter(4, CounterType.packets) hits;
    action set(bit<8> v) { field = v; seen = v; }
    action bump() { field = field + 1; }
    action mark(bit<8> m) { hdr.flag = hdr.flag | m; }
    table t {
        key = { hdr.sel: exact; }
        actions = { set; bump; }
        default_action = bump();
    }
    apply {
        seen = 0;
        t.apply();
        if (seen == 0xEE) {
            mark(0x80);
        }
        hits.count((bit<32>)hdr.sel & 3);
    }
}

control Pair(inout h_t hdr) {
    Stage() left;
    Stage() right;
    apply {
        left.apply(hdr, hdr.z);
        right.apply(hdr, hdr.w);
    }
}

control I(inout H h, inout M m, inout standard_metadata_t sm) {
    Stage() s1;
    Stage() s2;
    Pair() pair;
    apply {
        s1.apply(h.h, h.h.x);
        s2.apply(h.h, h.h.y);
        pair.apply(h.h);
        sm.egress_spec = 2;
    }
}

control E(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }
control C(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
