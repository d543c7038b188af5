"""Small helpers to build and compile generated Python source once at load."""

from __future__ import annotations

from typing import Any


class Source:
    """Lines of Python with indentation."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.level = 0

    def add(self, line: str) -> None:
        self.lines.append("    " * self.level + line)

    def indent(self) -> None:
        self.level += 1

    def dedent(self) -> None:
        self.level -= 1

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def compile_functions(src: str, namespace: dict[str, Any], filename: str) -> dict[str, Any]:
    """Exec ``src`` in ``namespace`` (which then holds the defined functions)."""
    code = compile(src, filename, "exec")
    exec(code, namespace)
    return namespace


def mask(width: int) -> int:
    return (1 << width) - 1
