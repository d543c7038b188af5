"""C preprocessing of P4 sources (pcpp), keeping a map back to original files and lines.

The output text has one line per original source line that produced tokens;
``PreprocessedText.loc(line, col)`` maps a position in that text back to the
original file, line and column, also inside included files and macro uses.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from pcpp import Preprocessor

from .errors import CompileError, SourceLoc

P4INCLUDE = Path(__file__).resolve().parent / "p4include"
_SKIP_TYPES = {"CPP_WS", "CPP_COMMENT1", "CPP_COMMENT2", "CPP_LINECONT"}


@dataclass(frozen=True)
class PreprocessedText:
    """Preprocessed program text plus, per output line, its original (file, line)."""

    text: str
    lines: tuple[tuple[str, int], ...]
    main_file: str
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.text.count("\n") + 1 < len(self.lines):
            raise ValueError("line map longer than text")

    def loc(self, line: int, col: int) -> SourceLoc:
        if 1 <= line <= len(self.lines):
            f, ln = self.lines[line - 1]
            return SourceLoc(f, ln, col)
        return SourceLoc(self.main_file, line, col)

    def source_line(self, loc: SourceLoc) -> str | None:
        text = self.sources.get(loc.file)
        if text is None:
            return None
        lines = text.splitlines()
        return lines[loc.line - 1] if 1 <= loc.line <= len(lines) else None

    def error(self, message: str, line: int, col: int) -> CompileError:
        loc = self.loc(line, col)
        return CompileError(message, loc, self.source_line(loc))


class _P4Preprocessor(Preprocessor):
    def __init__(self) -> None:
        super().__init__()
        self.line_directive = None
        self.errors: list[CompileError] = []
        self.sources: dict[str, str] = {}

    def on_error(self, file: str, line: int, msg: str) -> None:
        self.errors.append(CompileError(f"preprocessor: {msg}", SourceLoc(str(file), line, 1)))
        self.return_code += 1

    def on_include_not_found(
        self, is_malformed: bool, is_system_include: bool, curdir: str, includepath: str
    ) -> NoReturn:
        d = self.lastdirective
        what = "malformed #include" if is_malformed else f"cannot find include file {includepath}"
        raise CompileError(what, SourceLoc(str(d.source), d.lineno, 1))

    def on_file_open(self, is_system_include: bool, includepath: str) -> Any:
        text = Path(includepath).read_text(errors="replace")
        self.sources[includepath] = text
        return io.StringIO(text)

    def on_directive_unknown(
        self, directive: Any, toks: Any, ifpassthru: bool, precedingtoks: Any
    ) -> bool | None:
        if directive.value == "error":
            msg = "".join(t.value for t in toks).strip()
            self.on_error(directive.source, directive.lineno, f"#error {msg}")
            return True
        if directive.value in ("warning", "pragma"):
            return True
        return None


def _parse_define(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not name or not (name[0].isalpha() or name[0] == "_"):
        raise CompileError(f"bad -D definition {text!r}", SourceLoc("<command line>", 0, 0))
    return name, value if sep else "1"


def preprocess(
    text: str,
    filename: str,
    include_dirs: Iterable[str | os.PathLike[str]] = (),
    defines: Mapping[str, str] | Iterable[str] | None = None,
) -> PreprocessedText:
    """Run the C preprocessor on ``text`` (the contents of ``filename``)."""
    pp = _P4Preprocessor()
    pp.sources[filename] = text
    for d in include_dirs:
        pp.add_path(str(d))
    pp.add_path(str(P4INCLUDE))
    pairs: list[tuple[str, str]] = []
    if isinstance(defines, Mapping):
        pairs = [(str(k), str(v)) for k, v in defines.items()]
    elif defines is not None:
        pairs = [_parse_define(d) for d in defines]
    for name, value in pairs:
        pp.define(f"{name} {value}")
    pp.parse(text, filename)
    out_lines: list[str] = []
    line_map: list[tuple[str, int]] = []
    cur: tuple[str, int] | None = None
    buf = ""
    line_cache: dict[str, tuple[str, list[int]]] = {}

    by_abs = {os.path.abspath(k): v for k, v in pp.sources.items()}

    def column(tok: Any) -> int | None:
        src = pp.sources.get(tok.source)
        if src is None:
            # pcpp opens included files lazily, while tokens are pulled: refresh the map
            by_abs.update((os.path.abspath(k), v) for k, v in pp.sources.items())
            src = by_abs.get(os.path.abspath(str(tok.source)))
            if src is not None:
                pp.sources[tok.source] = src
        if src is None:
            return None
        # pcpp lexes its own copy of the text, each line stripped of trailing whitespace
        # (group_lines): token positions index that copy, not the file
        seen = line_cache.get(tok.source)
        if seen is None:
            lexed = "\n".join(x.rstrip() for x in src.splitlines())
            starts = [0]
            starts.extend(i + 1 for i, ch in enumerate(lexed) if ch == "\n")
            seen = line_cache[tok.source] = (lexed, starts)
        lexed, starts = seen
        if not 1 <= tok.lineno <= len(starts):
            return None
        col = tok.lexpos - starts[tok.lineno - 1]
        end = starts[tok.lineno] if tok.lineno < len(starts) else len(lexed) + 1
        if col < 0 or tok.lexpos >= end:  # a macro's token: position of its definition
            return None
        if lexed[tok.lexpos : tok.lexpos + len(tok.value)] != tok.value:
            return None
        return col

    prev_end: tuple[Any, int] | None = None
    display: dict[str, str] = {}
    main_abs = os.path.abspath(filename)
    while True:
        tok = pp.token()
        if tok is None:
            break
        if tok.type in _SKIP_TYPES or tok.type == "CPP_NEWLINE" or tok.value.startswith("\n"):
            continue
        src_name = str(getattr(tok, "source", filename) or filename)
        shown = display.get(src_name)
        if shown is None:
            absolute = os.path.abspath(src_name)
            shown = filename if absolute == main_abs else absolute
            display[src_name] = shown
            if src_name in pp.sources:
                pp.sources.setdefault(shown, pp.sources[src_name])
            elif absolute in by_abs:
                pp.sources.setdefault(shown, by_abs[absolute])
        key = (shown, int(tok.lineno))
        if key != cur:
            if cur is not None:
                out_lines.append(buf)
                line_map.append(cur)
            cur = key
            buf = ""
        col = column(tok)
        if col is not None and col >= len(buf):
            buf += " " * (col - len(buf))
        elif buf and prev_end != (tok.source, tok.lexpos):
            buf += " "
        buf += tok.value
        prev_end = (tok.source, tok.lexpos + len(tok.value))
    if cur is not None:
        out_lines.append(buf)
        line_map.append(cur)
    if pp.errors:
        err = pp.errors[0]
        raise CompileError(err.message, err.loc, _line_of(pp.sources, err.loc))
    return PreprocessedText("\n".join(out_lines) + "\n", tuple(line_map), filename, pp.sources)


def _line_of(sources: Mapping[str, str], loc: SourceLoc) -> str | None:
    text = sources.get(loc.file)
    if text is None:
        return None
    lines = text.splitlines()
    return lines[loc.line - 1] if 1 <= loc.line <= len(lines) else None
