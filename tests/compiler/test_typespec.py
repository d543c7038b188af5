"""P4Info type specs as p4c's TypeSpecConverter writes them (inalab/compiler/typespec.py)."""

from __future__ import annotations

from google.protobuf import text_format

from inalab.compiler import compile_source

PROGRAM = """#include <core.p4>
#include <v1model.p4>
enum bit<4> Kind { A = 1, B = 12 }
header h_t { int<16> s; bit<8> u; }
struct H { h_t h; }
struct learn_t { bool flag; int<8> delta; bit<4> nib; Kind kind; }
struct M { learn_t l; }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; }
}
control VC(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    register<int<16>>(8) sums;
    register<bit<16>>(8) counts;
    apply {
        sums.read(h.h.s, 1);
        sums.write(2, h.h.s);
        digest<learn_t>(1, m.l);
    }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply {} }
control CC(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""


def test_int_register_is_an_int_bitstring() -> None:
    prog = compile_source(PROGRAM, filename="ts.p4")
    regs = {r.preamble.name: r for r in prog.p4info.registers}
    assert text_format.MessageToString(regs["I.sums"].type_spec, as_one_line=True) == (
        "bitstring { int { bitwidth: 16 } }"
    )
    assert text_format.MessageToString(regs["I.counts"].type_spec, as_one_line=True) == (
        "bitstring { bit { bitwidth: 16 } }"
    )
    arrays = {r["name"]: r["bitwidth"] for r in prog.bmv2_json["register_arrays"]}
    assert arrays == {"I.sums": 16, "I.counts": 16}


def test_digest_struct_members_keep_their_types() -> None:
    info = compile_source(PROGRAM, filename="ts.p4").p4info
    [d] = info.digests
    assert text_format.MessageToString(d.type_spec, as_one_line=True) == (
        'struct { name: "learn_t" }'
    )
    members = {
        m.name: text_format.MessageToString(m.type_spec, as_one_line=True)
        for m in info.type_info.structs["learn_t"].members
    }
    assert members == {
        "flag": "bool { }",
        "delta": "bitstring { int { bitwidth: 8 } }",
        "nib": "bitstring { bit { bitwidth: 4 } }",
        "kind": 'serializable_enum { name: "Kind" }',
    }
    kind = info.type_info.serializable_enums["Kind"]
    assert kind.underlying_type.bitwidth == 4
    assert [(m.name, m.value) for m in kind.members] == [("A", b"\x01"), ("B", b"\x0c")]
