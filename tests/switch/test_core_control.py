"""Switch implements the whole control-plane contract (SwitchControl): every method
with the protocol's parameters, every diagnostic the front ends read."""

from __future__ import annotations

import inspect

from inalab.switch.control import SwitchControl
from inalab.switch.core import Switch
from inalab.switch.hashes import CrcConfig

from .crc_program import crc_program


def _members() -> list[str]:
    return sorted(n for n in vars(SwitchControl) if not n.startswith("_"))


def test_switch_has_every_member_of_the_protocol_with_its_parameters() -> None:
    members = _members()
    assert len(members) > 60
    assert {"table_times_since_hit", "set_crc_parameters", "assert_failures"} <= set(members)
    sw = Switch()
    for name in members:
        declared = inspect.getattr_static(SwitchControl, name)
        if isinstance(declared, property):
            assert hasattr(sw, name), name  # an attribute or property of the core
            continue
        impl = getattr(Switch, name, None)
        assert callable(impl), name
        want = list(inspect.signature(declared).parameters)
        have = list(inspect.signature(impl).parameters)
        assert have == want, (name, have, want)


def test_diagnostics_and_crcs_through_the_protocol() -> None:
    sw: SwitchControl = Switch()
    sw.load_program(crc_program())
    calcs = sw.custom_crc_calculations()
    assert calcs and set(calcs.values()) <= {"crc16_custom", "crc32_custom"}
    name, algo = sorted(calcs.items())[0]
    width = 16 if algo == "crc16_custom" else 32
    config = CrcConfig(width, 0x1021 if width == 16 else 0x1EDC6F41, 0, 0, False, False)
    sw.set_crc_parameters(name, config)
    assert sw.crc_parameters(name) == config
    assert dict(sw.assert_failures) == {} and dict(sw.drops) == {} and sw.faults == 0
    assert dict(sw.queue_stats()) == {}
