"""Errors of the P4 compiler: every user-caused problem is a CompileError with a location."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SourceLoc:
    """A position in an original (pre-preprocessor) source file; line/col are 1-based."""

    file: str
    line: int
    col: int

    def __post_init__(self) -> None:
        if self.line < 0 or self.col < 0:
            raise ValueError(f"bad source location {self.file}:{self.line}:{self.col}")

    def source_line(self) -> str | None:
        """The text of the line, when the file can be read."""
        try:
            lines = Path(self.file).read_text(errors="replace").splitlines()
        except OSError:
            return None
        if 1 <= self.line <= len(lines):
            return lines[self.line - 1]
        return None


UNKNOWN_LOC = SourceLoc("<unknown>", 0, 0)


class CompileError(Exception):
    """A program the compiler rejects: p4c-like ``file:line:col: error: message``."""

    def __init__(self, message: str, loc: SourceLoc | None = None, source_line: str | None = None):
        self.message = message
        self.loc = loc or UNKNOWN_LOC
        self._source_line = source_line
        super().__init__(str(self))

    @property
    def file(self) -> str:
        return self.loc.file

    @property
    def line(self) -> int:
        return self.loc.line

    @property
    def col(self) -> int:
        return self.loc.col

    def __str__(self) -> str:
        message = clip_tokens(self.message)
        if self.loc.line == 0:  # the whole file (no construct to point at)
            return f"{self.loc.file}: error: {message}"
        head = f"{self.loc.file}:{self.loc.line}:{self.loc.col}: error: {message}"
        text = self._source_line if self._source_line is not None else self.loc.source_line()
        if text is None:
            return head
        text, at = clip_line(text, max(self.loc.col - 1, 0))
        return f"{head}\n{text}\n{' ' * at}^"


ECHO_MAX = 200  # characters of a source line echoed under an error (as p4c, but capped)
TOKEN_MAX = 200  # characters of one token quoted in a message (a path may be long)
_ELLIPSIS = "..."


def clip_line(text: str, col0: int) -> tuple[str, int]:
    """``text`` cut to at most ECHO_MAX characters around 0-based column ``col0``,
    with ``...`` where it was cut; returns it and the caret's column in it."""
    if len(text) <= ECHO_MAX:
        return text, col0
    start = min(max(col0 - ECHO_MAX // 2, 0), len(text) - ECHO_MAX)
    head = _ELLIPSIS if start > 0 else ""
    tail = _ELLIPSIS if start + ECHO_MAX < len(text) else ""
    return head + text[start : start + ECHO_MAX] + tail, col0 - start + len(head)


def clip_tokens(message: str) -> str:
    """Every run of more than TOKEN_MAX non-blank, non-quote characters in ``message`` cut
    to its start, ``...`` and its length (a 10,000-character identifier)."""
    return re.sub(
        rf"[^\s'\"]{{{TOKEN_MAX + 1},}}",
        lambda m: f"{m[0][: TOKEN_MAX - 20]}{_ELLIPSIS} ({len(m[0])} characters)",
        message,
    )


class UnsupportedError(CompileError):
    """A valid P4 construct this compiler does not lower (named in the message)."""
