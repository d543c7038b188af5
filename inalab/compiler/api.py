"""The compiler's Python API: compile_file / compile_source -> CompiledProgram."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import json_format, text_format
from p4.config.v1 import p4info_pb2

from .diagnostics import CompileWarning, collect
from .errors import UNKNOWN_LOC, CompileError, SourceLoc
from .lower import Lowering
from .p4info import build_p4info
from .parser import parse
from .preprocess import preprocess
from .typesys import Env
from .unused import warn_unused


@dataclass(frozen=True)
class CompiledProgram:
    """The compiler's output: bmv2 JSON (a dict), a P4Info message and the warnings."""

    bmv2_json: dict[str, Any]
    p4info: p4info_pb2.P4Info
    warnings: tuple[CompileWarning, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if "pipelines" not in self.bmv2_json:
            raise ValueError("bmv2 JSON without pipelines")

    def json_text(self) -> str:
        return json.dumps(self.bmv2_json, indent=2) + "\n"

    def p4info_text(self, fmt: str = "txtpb") -> bytes:
        if fmt == "json":
            return json_format.MessageToJson(self.p4info).encode()
        if fmt == "bin":
            return bytes(self.p4info.SerializeToString())
        head = "# proto-file: p4/config/v1/p4info.proto\n# proto-message: p4.config.v1.P4Info\n\n"
        return (head + text_format.MessageToString(self.p4info)).encode()

    def write(
        self,
        json_path: str | os.PathLike[str] | None = None,
        p4info_path: str | os.PathLike[str] | None = None,
    ) -> None:
        """Write the JSON and/or P4Info (format by extension: .json, .bin, else text)."""
        if json_path is not None:
            _atomic_write(Path(json_path), self.json_text().encode())
        if p4info_path is not None:
            p = Path(p4info_path)
            fmt = "json" if p.suffix == ".json" else "bin" if p.suffix == ".bin" else "txtpb"
            _atomic_write(p, self.p4info_text(fmt))


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def compile_source(
    text: str,
    *,
    filename: str = "<string>",
    include_dirs: Iterable[str | os.PathLike[str]] = (),
    defines: Mapping[str, str] | Iterable[str] | None = None,
) -> CompiledProgram:
    """Compile P4_16 source text for v1model; raises CompileError on bad input."""
    pp = preprocess(text, filename, include_dirs, defines)
    program = parse(pp)
    try:
        with collect() as found:
            env = Env(program)
            if env.main is None:
                raise CompileError(
                    "Could not locate top-level block; is there a main module? (expected "
                    "a V1Switch instantiation: V1Switch(MyParser(), ..., MyDeparser()) main;)",
                    SourceLoc(filename, 0, 0),
                )
            low = Lowering(env, Path(filename).name)
            bmv2 = low.run()
            info = build_p4info(low)
            warn_unused(env)
    except CompileError as e:
        if e.loc == UNKNOWN_LOC:  # nothing to point at: name the file at least
            e.loc = SourceLoc(filename, 0, 0)
        elif e._source_line is None:
            e._source_line = pp.source_line(e.loc)
        raise
    warnings = tuple(CompileWarning(w.kind, w.message, w.loc, pp.source_line(w.loc)) for w in found)
    return CompiledProgram(bmv2, info, warnings)


def compile_file(
    path: str | os.PathLike[str],
    *,
    include_dirs: Iterable[str | os.PathLike[str]] = (),
    defines: Mapping[str, str] | Iterable[str] | None = None,
) -> CompiledProgram:
    """Compile a P4_16 file; its directory is searched for quoted includes."""
    p = Path(path)
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise CompileError(
            f"cannot read {p}: {getattr(e, 'strerror', None) or e}", SourceLoc(str(p), 0, 0)
        ) from None
    return compile_source(
        text, filename=str(p), include_dirs=(p.parent, *include_dirs), defines=defines
    )
