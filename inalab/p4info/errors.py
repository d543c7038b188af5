"""Errors of the P4Info index, and how a user of the index has them reported.

The index serves two callers with their own exception types: the P4Runtime
server answers a gRPC status (NOT_FOUND, INVALID_ARGUMENT), the controller
raises its ``P4InfoError``. An :class:`ErrorPolicy` given to the index names
the exceptions to raise; without one, the index raises its own classes below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class P4InfoError(Exception):
    """Base of the errors of this package."""


class UnknownObjectError(P4InfoError):
    """A lookup by id or name found no object of that kind."""


class InvalidP4InfoError(P4InfoError):
    """A P4Info the index cannot serve: contradicts itself or the bmv2 JSON it describes."""


class P4InfoFileError(P4InfoError):
    """A P4Info file that cannot be read or does not hold a P4Info message."""


@dataclass(frozen=True)
class ErrorPolicy:
    """The exceptions an index raises, each built from a message."""

    not_found: Callable[[str], Exception] = UnknownObjectError
    invalid: Callable[[str], Exception] = InvalidP4InfoError
