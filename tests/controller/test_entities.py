"""Entity builders: canonical bytestrings, identity keys, descriptions, errors."""

from __future__ import annotations

import pytest

from inalab.controller import gen_names
from inalab.controller.entities import Builder, encode, entity_key, normalize
from inalab.controller.errors import P4InfoError
from inalab.controller.names import Action, ActionProfile, Key, Param, Table
from inalab.controller.p4info import ControllerP4Info


@pytest.fixture(scope="module")
def b() -> Builder:
    return Builder(ControllerP4Info.of(gen_names.compile_p4info()))


def test_encode_is_canonical_and_checks_width() -> None:
    assert encode(0, 9, "x") == b"\x00" and encode(256, 9, "x") == b"\x01\x00"
    with pytest.raises(P4InfoError, match="does not fit in 9 bits"):
        encode(512, 9, "port")


def test_lpm_bits_past_the_prefix_are_cleared_and_keys_identify(b: Builder) -> None:
    e1 = b.table_entry(Table.IPV4_LPM, {Key.DST_ADDR: (0x0A000105, 24)}, member=1)
    e2 = b.table_entry(Table.IPV4_LPM, {Key.DST_ADDR: (0x0A000100, 24)}, member=2)
    assert e1.table_entry.match[0].lpm.value == bytes([10, 0, 1, 0])
    assert entity_key(normalize(e1)) == entity_key(normalize(e2))
    assert "ipv4_lpm [0xa000100/24] -> member 1" in b.describe(e1)


def test_bad_names_and_params_are_p4info_errors(b: Builder) -> None:
    with pytest.raises(P4InfoError, match="no table named 'nope'"):
        b.table_entry("nope", {})
    with pytest.raises(P4InfoError, match="missing"):
        b.table_entry(Table.ARP_PROXY, {Key.TARGET_IP: 1}, Action.ARP_REPLY, {})
    with pytest.raises(P4InfoError, match="unknown match fields"):
        b.table_entry(Table.ARP_PROXY, {"colour": 1}, Action.ARP_REPLY, {Param.MAC: 1})
    g = b.group(ActionProfile.ECMP_SELECTOR, 3, [5, 4])
    assert [m.member_id for m in g.action_profile_group.members] == [4, 5]
