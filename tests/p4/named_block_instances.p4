// V1Switch arguments naming top-level parser/control instances (P() pr; I(8w2) ig;
// V1Switch(pr, VC(), ig, eg, ...)): p4c accepts them and names the blocks' objects by
// their type (I.fwd, I.set_port), not by the instance (ig), as for I() in place.
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> key; bit<8> v; bit<8> seen; }
struct H { h_t h; }
struct M { }
register<bit<8>>(1) visits;
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t s) {
    state start { pk.extract(h.h); transition accept; }
}
control VC(inout H h, inout M m) { apply { } }
control I(inout H h, inout M m, inout standard_metadata_t s)(bit<8> bonus) {
    action set_port(bit<9> port) { s.egress_spec = port; h.h.v = h.h.v + bonus; }
    action drop() { mark_to_drop(s); }
    table fwd {
        key = { h.h.key: exact; }
        actions = { set_port; drop; }
        default_action = drop();
    }
    apply { fwd.apply(); }
}
control E(inout H h, inout M m, inout standard_metadata_t s)(register<bit<8>> count) {
    apply {
        count.read(h.h.seen, 0);
        count.write(0, h.h.seen + 1);
    }
}
control CC(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
P() pr;
I(8w2) ig;
E(visits) eg;
V1Switch(pr, VC(), ig, eg, CC(), D()) main;
