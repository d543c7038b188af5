// Extern instances declared at the top level of the program, outside any control (p4c
// accepts them: issue696, issue1097): a register written by egress and read by ingress
// when a later packet arrives, a counter counted by both controls. p4c names them by
// their own name (no control prefix) in the bmv2 JSON and the P4Info, and its bmv2 backend
// converts them after the controls' own instances. Egress gets the counter as a
// constructor argument from V1Switch(...), and passes the register on to a sub-control's
// constructor: every path reaches the same object.
#include <core.p4>
#include <v1model.p4>

typedef bit<8> slot_t;

header probe_t {
    slot_t  slot;
    bit<8>  hops;
    bit<32> previous;  // ingress: the payload the last packet of this slot left behind
    bit<32> payload;
}

struct headers_t { probe_t probe; }
struct metadata_t { }

register<bit<32>>(8) last_payload;
counter(8, CounterType.packets) visits;
@name("hop_marks") register<bit<8>>(8) marks;

parser ProbeParser(packet_in pk, out headers_t h, inout metadata_t m,
                   inout standard_metadata_t sm) {
    state start { pk.extract(h.probe); transition accept; }
}

control NoVerify(inout headers_t h, inout metadata_t m) { apply { } }

// a top-level action that uses a top-level instance
action mark_hop(inout probe_t p) {
    p.hops = p.hops + 1;
    marks.write((bit<32>)p.slot, p.hops);
}

control ProbeIngress(inout headers_t h, inout metadata_t m, inout standard_metadata_t sm) {
    apply {
        visits.count((bit<32>)h.probe.slot);
        last_payload.read(h.probe.previous, (bit<32>)h.probe.slot);
        mark_hop(h.probe);
        sm.egress_spec = 2;
    }
}

control Remember(inout probe_t p)(register<bit<32>> store) {
    apply { store.write((bit<32>)p.slot, p.payload); }
}

control ProbeEgress(inout headers_t h, inout metadata_t m,
                    inout standard_metadata_t sm)(counter seen) {
    Remember(last_payload) remember;
    apply {
        seen.count((bit<32>)h.probe.slot);
        remember.apply(h.probe);
    }
}

control NoCompute(inout headers_t h, inout metadata_t m) { apply { } }
control ProbeDeparser(packet_out pk, in headers_t h) { apply { pk.emit(h.probe); } }

V1Switch(ProbeParser(), NoVerify(), ProbeIngress(), ProbeEgress(visits), NoCompute(),
         ProbeDeparser()) main;
