"""Errors of the STF runner."""

from __future__ import annotations


class StfError(Exception):
    """A malformed STF file or a command the program cannot satisfy; names the line."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)
