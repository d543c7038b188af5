"""Real p4c output (``conformance_dir``) read as both users of the index read it."""

from __future__ import annotations

import json
from pathlib import Path

from p4.config.v1 import p4info_pb2

from inalab.p4info.files import load_p4info


def load_pair(directory: Path, name: str) -> tuple[p4info_pb2.P4Info, dict[str, object]]:
    """NAME.p4info.txtpb and NAME.json of a directory of real p4c output."""
    program = json.loads((directory / f"{name}.json").read_text())
    return load_p4info(directory / f"{name}.p4info.txtpb"), program


def pair_names(directory: Path) -> list[str]:
    return sorted(p.name.removesuffix(".p4info.txtpb") for p in directory.glob("*.p4info.txtpb"))
