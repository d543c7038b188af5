"""The compiler's warning channel: p4c-like ``file:line:col: [--Wwarn=KIND] warning: ...``.

Code anywhere in the compiler calls ``warn(kind, message, loc)``; ``collect()`` gathers the
warnings of one compile (a context variable, so nested or concurrent compiles keep theirs
apart). Kinds are p4c's ``ErrorType`` names in lower case (``invalid``, ``unsupported``,
``overlimit``, ...), the names ``--Wdisable=KIND`` takes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from .errors import SourceLoc

# p4c's warning kinds (lib/error_catalog.cpp) this compiler can emit.
KINDS = frozenset({"invalid", "unsupported", "overlimit", "deprecated", "missing", "unused"})


@dataclass(frozen=True)
class CompileWarning:
    """One warning: a construct p4c accepts with a diagnostic, handled as p4c handles it."""

    kind: str
    message: str
    loc: SourceLoc
    source_line: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown warning kind {self.kind!r} (one of {sorted(KINDS)})")
        if not self.message:
            raise ValueError("a warning needs a message")

    def __str__(self) -> str:
        loc = self.loc
        where = loc.file if loc.line == 0 else f"{loc.file}:{loc.line}:{loc.col}"
        head = f"{where}: [--Wwarn={self.kind}] warning: {self.message}"
        text = self.source_line if self.source_line is not None else self.loc.source_line()
        if self.loc.line == 0 or text is None:
            return head
        return f"{head}\n{text}\n{' ' * max(self.loc.col - 1, 0)}^"


_SINK: ContextVar[list[CompileWarning] | None] = ContextVar("inalab_p4c_warnings", default=None)


def warn(kind: str, message: str, loc: SourceLoc) -> None:
    """Report a warning to the compile in progress (dropped when nothing collects)."""
    sink = _SINK.get()
    w = CompileWarning(kind, message, loc)
    if sink is not None and w not in sink:  # a construct lowered twice warns once
        sink.append(w)


@contextmanager
def collect() -> Iterator[list[CompileWarning]]:
    """Collect the warnings reported inside the ``with`` block into the yielded list."""
    sink: list[CompileWarning] = []
    token = _SINK.set(sink)
    try:
        yield sink
    finally:
        _SINK.reset(token)


def enabled(
    warnings: Iterable[CompileWarning], disabled: Iterable[str] | bool = False
) -> list[CompileWarning]:
    """The warnings left after p4c's ``--Wdisable`` (``True``: all) / ``--Wdisable=KIND``."""
    if disabled is True:
        return []
    off = set() if disabled is False else set(disabled)
    return [w for w in warnings if w.kind not in off]
