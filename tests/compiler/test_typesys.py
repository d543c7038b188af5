"""The program's global environment: main's blocks, a top-level parser/control instance
named by V1Switch (``I() ig; V1Switch(P(), V(), ig, ...)``) standing for its
instantiation; p4c names the blocks' objects by their type either way."""

from __future__ import annotations

import pytest

from inalab.compiler import CompileError, compile_source
from inalab.compiler import ast as A
from inalab.compiler.parser import parse
from inalab.compiler.preprocess import preprocess
from inalab.compiler.typesys import Env

BLOCKS = """#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> k; bit<8> v; }
struct H { h_t h; }
struct M { }
register<bit<8>>(2) r;
parser P(packet_in pk, out H h, inout M m, inout standard_metadata_t sm) {
    state start { pk.extract(h.h); transition accept; }
}
control V(inout H h, inout M m) { apply { } }
control I(inout H h, inout M m, inout standard_metadata_t sm)(bit<8> add) {
    action set(bit<9> port) { sm.egress_spec = port; h.h.v = h.h.v + add; }
    table t { key = { h.h.k: exact; } actions = { set; NoAction; } }
    apply { t.apply(); }
}
control E(inout H h, inout M m, inout standard_metadata_t sm)(register<bit<8>> c) {
    apply { c.write(0, h.h.v); }
}
control C(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h); } }
"""

IN_PLACE = BLOCKS + "V1Switch(P(), V(), I(8w3), E(r), C(), D()) main;\n"
NAMED = BLOCKS + "P() pr;\nI(8w3) ig;\nE(r) eg;\nV1Switch(pr, V(), ig, eg, C(), D()) main;\n"


def test_main_blocks_replace_named_instances_by_their_instantiation() -> None:
    env = Env(parse(preprocess(NAMED, "<string>")))
    blocks = env.main_blocks()
    assert [type(b).__name__ for b in blocks] == ["CtorCall"] * 6
    ig = blocks[2]
    assert isinstance(ig, A.CtorCall) and isinstance(ig.type, A.NamedTypeRef)
    assert ig.type.name == "I" and isinstance(ig.args[0], A.IntLit)


def test_named_instances_compile_as_in_place_ones() -> None:
    named = compile_source(NAMED, filename="prog.p4")
    in_place = compile_source(IN_PLACE, filename="prog.p4")
    assert named.bmv2_json == in_place.bmv2_json
    assert named.p4info == in_place.p4info
    # names from the control's type, as p4c's HierarchicalNames gives them
    assert [t.preamble.name for t in named.p4info.tables] == ["I.t"]
    assert "I.set" in [a.preamble.name for a in named.p4info.actions]
    assert not [w for w in named.warnings if w.kind == "unused"]


def test_unused_named_block_instance_warns() -> None:
    src = NAMED.replace("P() pr;", "P() pr;\nI(8w1) spare;")
    warnings = [str(w) for w in compile_source(src).warnings]
    assert any("spare: unused instance" in w for w in warnings)


def test_named_instance_with_bad_constructor_argument_points_at_it() -> None:
    src = NAMED.replace("E(r) eg;", "E(8w1) eg;")
    with pytest.raises(CompileError, match="constructor parameter c of E") as e:
        compile_source(src)
    assert e.value.line == src.splitlines().index("E(8w1) eg;") + 1
