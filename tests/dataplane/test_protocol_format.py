"""The one definition of the INA packet format: consistent, and followed by the
generated P4 header and docs/protocol.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inalab.protocol import format as fmt
from inalab.protocol import gen_p4
from inalab.protocol.constants import JobMode


def test_fields_are_byte_aligned_and_offsets_follow_order() -> None:
    pos = 0
    for f in fmt.INA_FIELDS:
        assert f.bits % 8 == 0
        assert fmt.offset(f.name) == pos
        pos += f.bytes
    assert pos == fmt.HEADER_BYTES == 20
    assert fmt.HEADER_BITS % 8 == 0


def test_bitmap_width_bounds_workers() -> None:
    assert fmt.MAX_WORKERS == fmt.field("bitmap").bits == 32


@pytest.mark.parametrize(
    "lanes,frame", [(32, 14 + 20 + 8 + 20 + 128), (64, 14 + 20 + 8 + 20 + 256)]
)
def test_lengths(lanes: int, frame: int) -> None:
    assert fmt.frame_bytes(lanes) == frame
    assert fmt.udp_length(lanes) == 8 + 20 + 4 * lanes


def test_bad_lanes_rejected() -> None:
    with pytest.raises(ValueError, match="K=48"):
        fmt.payload_bytes(48)


def test_field_validation() -> None:
    with pytest.raises(fmt.FormatError, match="multiple of 8"):
        fmt.Field("odd", 12, "not byte aligned", "odd_t")
    with pytest.raises(fmt.FormatError, match="does not fit"):
        fmt.Constant("TOO_BIG", 256, 8, "overflows")


def test_unknown_field() -> None:
    with pytest.raises(KeyError, match="nope"):
        fmt.offset("nope")


def test_constants_distinct_and_ports() -> None:
    assert fmt.INA_UDP_PORT == fmt.constant("INA_UDP_PORT") == 61184
    assert fmt.INA_PS_UDP_PORT != fmt.INA_UDP_PORT
    flags = [int(f) for f in fmt.Flag]
    assert all(f & (f - 1) == 0 for f in flags)
    assert len(set(fmt.IMPORTANCE_DSCP.values())) == len(fmt.Importance)
    assert len({int(m) for m in JobMode}) == len(JobMode)


def test_generated_header_is_current(repo_root: Path) -> None:
    committed = (repo_root / "p4src" / "include" / "ina_header.p4").read_text()
    assert committed == gen_p4.render(), "run: python -m inalab.protocol.gen_p4"
    assert gen_p4.main(["--check"]) == 0


def test_generated_header_declares_every_field() -> None:
    text = gen_p4.render()
    body = re.search(r"header ina_t \{(.*?)\}", text, re.S)
    assert body is not None
    names = re.findall(r"^\s+\w+ (\w+);", body.group(1), re.M)
    assert names == [f.name for f in fmt.INA_FIELDS]


def test_gen_check_reports_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "ina_header.p4"
    stale.write_text("// old\n")
    assert gen_p4.main(["--check", "-o", str(stale)]) == 1
    assert "stale" in capsys.readouterr().err
    assert gen_p4.main(["-o", str(stale)]) == 0
    assert gen_p4.main(["--check", "-o", str(stale)]) == 0


def test_protocol_doc_table_matches_format(repo_root: Path) -> None:
    doc = (repo_root / "docs" / "protocol.md").read_text()
    assert fmt.markdown_field_table() in doc, "docs/protocol.md header table is stale"
