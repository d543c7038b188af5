// Range keysets in parser selects (p4c's midend expands each range into the masked cases
// that cover it, so bmv2 sees plain value/mask transitions): single keys, overlapping
// ranges (first match wins), an empty range (dropped, as p4c), ranges inside tuples with
// values, masks and don't-cares (cross product), signed int<8> ranges across zero, and
// ranges whose bounds are named constants.
#include <core.p4>
#include <v1model.p4>

const bit<8> LOW_BOUND = 0x40;
const bit<8> HIGH_BOUND = 0x7f;

header h_t { bit<8> a; bit<8> b; int<8> s; bit<8> tag; }
struct H { h_t h; }
struct M { }

parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start {
        pk.extract(h.h);
        transition select(h.h.a) {
            8w1 .. 8w8: one;
            8w5 .. 8w12: two;             // 5..8 were taken by the case above
            8w9 .. 8w3: never;            // empty: matches nothing
            LOW_BOUND .. HIGH_BOUND: three;
            8w0xf0 &&& 8w0xf0: four;
            default: pairs;
        }
    }
    state pairs {
        transition select(h.h.a, h.h.b) {
            (8w0x20 .. 8w0x2f, 8w1 .. 8w2): five;
            (8w0x20 .. 8w0x2f, _): six;
            (_, 8w100 .. 8w200): seven;
            (8w0x30 &&& 8w0xf8, 8w3 .. 8w6): eight;
            default: signed_key;
        }
    }
    state signed_key {
        transition select(h.h.s) {
            -3 .. 2: nine;
            100 .. 127: ten;
            -128 .. -100: eleven;
            default: accept;
        }
    }
    state one { h.h.tag = 1; transition accept; }
    state two { h.h.tag = 2; transition accept; }
    state never { h.h.tag = 0xee; transition accept; }
    state three { h.h.tag = 3; transition accept; }
    state four { h.h.tag = 4; transition accept; }
    state five { h.h.tag = 5; transition accept; }
    state six { h.h.tag = 6; transition accept; }
    state seven { h.h.tag = 7; transition accept; }
    state eight { h.h.tag = 8; transition accept; }
    state nine { h.h.tag = 9; transition accept; }
    state ten { h.h.tag = 10; transition accept; }
    state eleven { h.h.tag = 11; transition accept; }
}

control V(inout H h, inout M m) { apply { } }
control I(inout H h, inout M m, inout standard_metadata_t sm) {
    apply { sm.egress_spec = 2; }
}
control E(inout H h, inout M m, inout standard_metadata_t sm) { apply { } }
control C(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
