"""Errors of the switch core (bmv2 JSON loading and packet processing)."""

from __future__ import annotations

import threading


class SwitchError(Exception):
    """Base class of the switch core's own errors."""


class JsonError(SwitchError):
    """A bmv2 JSON program the switch cannot load; the message names the JSON path.

    Example: ``actions[3].primitives[1]: unknown primitive 'foo'``.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.detail = message
        super().__init__(f"{path}: {message}" if path else message)


class ParserError(SwitchError):
    """Raised inside the generated parser: carries the P4 error code."""

    def __init__(self, code: int, name: str) -> None:
        self.code = code
        self.name = name
        super().__init__(name)


class PacketError(SwitchError):
    """A runtime fault while processing one packet (the packet is dropped)."""


class _Where(threading.local):
    """The JSON path being loaded, for errors raised outside explicit checks."""

    path = ""


WHERE = _Where()


def at_path(path: str) -> str:
    """Record ``path`` as the place being loaded; returns it (for chaining)."""
    WHERE.path = path
    return path
