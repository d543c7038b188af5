"""The per-switch P4Runtime request log (``logs/<sw>-p4runtime-requests.txt`` of
the p4lang tutorials): every mutating request in protobuf text format."""

from __future__ import annotations

import datetime
import os
import threading
from pathlib import Path

from google.protobuf import text_format
from google.protobuf.message import Message
from p4.v1 import p4runtime_pb2


class RequestLog:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._file = self.path.open("a", encoding="utf-8")

    def record(self, method: str, request: Message) -> None:
        if isinstance(request, p4runtime_pb2.SetForwardingPipelineConfigRequest):
            shown = p4runtime_pb2.SetForwardingPipelineConfigRequest()
            shown.CopyFrom(request)
            size = len(shown.config.p4_device_config)
            shown.config.p4_device_config = f"<{size} bytes>".encode()
            request = shown
        stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
        text = text_format.MessageToString(request, as_utf8=True)
        with self._lock:
            self._file.write(f"\n[{stamp}] /p4.v1.P4Runtime/{method}\n---\n{text}---\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()
