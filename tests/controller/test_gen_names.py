"""The committed P4Info constants are current (fabric-tna's `make constants` check)."""

from __future__ import annotations

from pathlib import Path

from inalab.controller import gen_names
from inalab.controller.p4info import ControllerP4Info


def test_names_module_is_current() -> None:
    text = gen_names.render(gen_names.compile_p4info())
    committed = Path(gen_names.TARGET).read_text()
    assert committed == text, "run: python -m inalab.controller.gen_names"


def test_every_constant_names_an_object_of_the_program() -> None:
    from inalab.controller import names

    index = ControllerP4Info.of(gen_names.compile_p4info())
    for cls, lookup in ((names.Table, index.table), (names.Register, index.register)):
        for const, name in vars(cls).items():
            if const.isupper():
                assert lookup(name).name == name
    assert len(index.value_registers()) == 32
