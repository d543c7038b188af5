"""P4Info files: text (.txt, .txtpb), binary (.bin) or JSON (.json), as p4c writes them."""

from __future__ import annotations

from pathlib import Path

from google.protobuf import json_format, text_format
from p4.config.v1 import p4info_pb2

from inalab.p4info.errors import P4InfoFileError


def load_p4info(path: str | Path) -> p4info_pb2.P4Info:
    """Read a P4Info file; its format follows the suffix (.bin, .json, else text).

    Text and JSON fields newer than the pinned p4runtime stubs are skipped, as
    p4runtime-shell does with a newer p4c's output."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise P4InfoFileError(f"{p}: cannot read P4Info: {e.strerror}") from None
    info = p4info_pb2.P4Info()
    try:
        if p.suffix == ".bin":
            info.ParseFromString(data)
        elif p.suffix == ".json":
            json_format.Parse(data.decode(), info, ignore_unknown_fields=True)
        else:
            text_format.Merge(data.decode(), info, allow_unknown_field=True)
    except Exception as e:  # protobuf raises several unrelated types
        raise P4InfoFileError(f"{p}: not a P4Info file: {e}") from None
    return info
