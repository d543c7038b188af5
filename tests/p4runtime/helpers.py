"""Shared helpers of the P4Runtime tests: reading P4Info text files."""

from __future__ import annotations

import json
from pathlib import Path

from google.protobuf import text_format
from p4.config.v1 import p4info_pb2


def load_p4info(path: Path) -> p4info_pb2.P4Info:
    """P4Info from text format; fields newer than p4runtime 1.4.1 are skipped, as
    p4runtime-shell does."""
    info = p4info_pb2.P4Info()
    text_format.Merge(path.read_text(), info, allow_unknown_field=True)
    return info


def load_pair(directory: Path, name: str) -> tuple[p4info_pb2.P4Info, dict[str, object]]:
    program = json.loads((directory / f"{name}.json").read_text())
    return load_p4info(directory / f"{name}.p4info.txtpb"), program
