"""Table properties checked as p4c's bmv2 backend checks them (inalab/compiler/tables.py)."""

from __future__ import annotations

import pytest

from inalab.compiler import CompileError, compile_source

PROGRAM = """#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; bit<8> b; }
struct H { h_t h; }
struct M { bit<8> color; }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; }
}
control VC(inout H h, inout M m) { apply {} }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    direct_counter(CounterType.packets) dc;
    direct_meter<bit<8>>(MeterType.packets) dm;
    action seta(bit<8> v) { h.h.a = v; }
    action setb(bit<8> v) { h.h.b = v; }
    table t { key = { h.h.a: exact; } actions = { seta; NoAction; } T_PROPS }
    table u { key = { h.h.b: exact; } actions = { setb; NoAction; } U_PROPS }
    apply { t.apply(); u.apply(); }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply {} }
control CC(inout H h, inout M m) { apply {} }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""


def _compile(t_props: str, u_props: str) -> None:
    text = PROGRAM.replace("T_PROPS", t_props).replace("U_PROPS", u_props)
    compile_source(text, filename="attach.p4")


@pytest.mark.parametrize(
    ("prop", "message"),
    [
        (
            "counters = dc;",
            "attach.p4:16:69: error: Direct counters cannot be attached to multiple tables "
            "I.t and I.u",
        ),
        (
            "meters = dm;",
            "attach.p4:16:69: error: dm: Direct meters cannot be attached to multiple tables "
            "I.u and I.t",
        ),
    ],
)
def test_direct_resource_on_two_tables_is_refused(prop: str, message: str) -> None:
    """p4c-bm2-ss refuses a direct counter/meter named by two tables' properties (bmv2
    binds each to one table); we used to emit two arrays of the same name."""
    _compile(prop, "")  # one table: fine
    with pytest.raises(CompileError) as e:
        _compile(prop, prop)
    assert str(e.value).splitlines()[0] == message


def test_one_direct_counter_and_one_direct_meter_per_table() -> None:
    _compile("counters = dc;", "meters = dm;")
