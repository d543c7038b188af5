"""Errors of the P4 compiler: every user-caused problem is a CompileError with a location."""

from __future__ import annotations

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
        if self.loc.line == 0:  # the whole file (no construct to point at)
            return f"{self.loc.file}: error: {self.message}"
        head = f"{self.loc.file}:{self.loc.line}:{self.loc.col}: error: {self.message}"
        text = self._source_line if self._source_line is not None else self.loc.source_line()
        if text is None:
            return head
        caret = " " * max(self.loc.col - 1, 0) + "^"
        return f"{head}\n{text}\n{caret}"


class UnsupportedError(CompileError):
    """A valid P4 construct this compiler does not lower (named in the message)."""
