"""P4Info files in the three formats p4c writes, and the errors of unusable ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import json_format, text_format

from inalab.controller import gen_names
from inalab.controller.errors import ConfigError
from inalab.controller.fabric import Pipeline
from inalab.p4info.errors import P4InfoFileError
from inalab.p4info.files import load_p4info


def test_text_binary_and_json_load_alike(tmp_path: Path) -> None:
    info = gen_names.compile_p4info()
    (tmp_path / "p.txtpb").write_text(text_format.MessageToString(info))
    (tmp_path / "p.bin").write_bytes(info.SerializeToString())
    (tmp_path / "p.json").write_text(json_format.MessageToJson(info))
    for name in ("p.txtpb", "p.bin", "p.json"):
        assert load_p4info(tmp_path / name) == info, name


def test_text_fields_newer_than_the_stubs_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "p.txtpb"
    path.write_text('pkg_info { arch: "v1model" future_field: 3 }\n')
    assert load_p4info(path).pkg_info.arch == "v1model"


def test_unreadable_and_malformed_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(P4InfoFileError, match=r"missing\.txtpb: cannot read P4Info"):
        load_p4info(tmp_path / "missing.txtpb")
    bad = tmp_path / "bad.txtpb"
    bad.write_text("tables { preamble { id: ")
    with pytest.raises(P4InfoFileError, match=r"bad\.txtpb: not a P4Info file"):
        load_p4info(bad)
    (tmp_path / "p.json").write_text("{}")
    with pytest.raises(ConfigError, match=r"bad\.txtpb: not a P4Info file"):  # the controller's
        Pipeline.load(tmp_path / "p.json", bad)
