// A calculator (p4lang tutorials' calc, simplified): the parser peeks at the protocol
// signature with lookahead, the operation comes from a const-entry table, the result
// is written back and the packet returned to its sender.
#include <core.p4>
#include <v1model.p4>

const bit<16> P4CALC_ETYPE = 0x1234;
const bit<8> P4CALC_P = 0x50;    // 'P'
const bit<8> P4CALC_4 = 0x34;    // '4'
const bit<8> P4CALC_VER = 0x01;

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }

header p4calc_t {
    bit<8> p;
    bit<8> four;
    bit<8> ver;
    bit<8> op;
    bit<32> operand_a;
    bit<32> operand_b;
    bit<32> res;
}

struct headers_t { ethernet_t ethernet; p4calc_t p4calc; }
struct meta_t { }

parser CalcParser(packet_in pkt, out headers_t hdr, inout meta_t meta,
                  inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            P4CALC_ETYPE: check_p4calc;
            default: accept;
        }
    }
    state check_p4calc {
        transition select(pkt.lookahead<p4calc_t>().p,
                          pkt.lookahead<p4calc_t>().four,
                          pkt.lookahead<p4calc_t>().ver) {
            (P4CALC_P, P4CALC_4, P4CALC_VER): parse_p4calc;
            default: accept;
        }
    }
    state parse_p4calc {
        pkt.extract(hdr.p4calc);
        transition accept;
    }
}

control CalcVerify(inout headers_t hdr, inout meta_t meta) { apply { } }

control CalcIngress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    action send_back(bit<32> result) {
        bit<48> tmp;
        hdr.p4calc.res = result;
        tmp = hdr.ethernet.dst;
        hdr.ethernet.dst = hdr.ethernet.src;
        hdr.ethernet.src = tmp;
        sm.egress_spec = sm.ingress_port;
    }
    action operation_add() { send_back(hdr.p4calc.operand_a + hdr.p4calc.operand_b); }
    action operation_sub() { send_back(hdr.p4calc.operand_a - hdr.p4calc.operand_b); }
    action operation_and() { send_back(hdr.p4calc.operand_a & hdr.p4calc.operand_b); }
    action operation_or() { send_back(hdr.p4calc.operand_a | hdr.p4calc.operand_b); }
    action operation_xor() { send_back(hdr.p4calc.operand_a ^ hdr.p4calc.operand_b); }
    action operation_shl() { send_back(hdr.p4calc.operand_a << 2); }
    action operation_drop() { mark_to_drop(sm); }

    table calculate {
        key = { hdr.p4calc.op: exact; }
        actions = {
            operation_add; operation_sub; operation_and; operation_or; operation_xor;
            operation_shl; operation_drop;
        }
        const default_action = operation_drop();
        const entries = {
            0x2b: operation_add();   // '+'
            0x2d: operation_sub();   // '-'
            0x26: operation_and();   // '&'
            0x7c: operation_or();    // '|'
            0x5e: operation_xor();   // '^'
            0x3c: operation_shl();   // '<'
        }
    }

    apply {
        if (hdr.p4calc.isValid()) {
            calculate.apply();
        } else {
            operation_drop();
        }
    }
}

control CalcEgress(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply { }
}

control CalcCompute(inout headers_t hdr, inout meta_t meta) { apply { } }

control CalcDeparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.p4calc); }
}

V1Switch(CalcParser(), CalcVerify(), CalcIngress(), CalcEgress(), CalcCompute(),
         CalcDeparser()) main;
