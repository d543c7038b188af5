"""Errors of the P4Runtime server, each carrying its canonical gRPC status code.

A :class:`P4RuntimeError` raised while handling one update of a Write batch
becomes that update's ``p4.v1.Error``; raised anywhere else it becomes the
RPC's status. Switch-side refusals (:class:`~inalab.switch.control.ControlError`)
map onto codes with :func:`code_for_control_error`.
"""

from __future__ import annotations

import grpc

from inalab.p4info.errors import ErrorPolicy
from inalab.switch import control


class P4RuntimeError(Exception):
    """A request the server refuses, with the gRPC code the spec prescribes."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"


def invalid(message: str) -> P4RuntimeError:
    return P4RuntimeError(grpc.StatusCode.INVALID_ARGUMENT, message)


def not_found(message: str) -> P4RuntimeError:
    return P4RuntimeError(grpc.StatusCode.NOT_FOUND, message)


def unimplemented(message: str) -> P4RuntimeError:
    return P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, message)


# How the server's P4Info index reports: an unknown id is NOT_FOUND, a P4Info
# that contradicts the device config (or cannot be served) INVALID_ARGUMENT.
P4INFO_ERRORS = ErrorPolicy(not_found=not_found, invalid=invalid)


_CONTROL_CODES: tuple[tuple[type[control.ControlError], grpc.StatusCode], ...] = (
    (control.NoPipelineError, grpc.StatusCode.FAILED_PRECONDITION),
    (control.UnknownNameError, grpc.StatusCode.NOT_FOUND),
    (control.InvalidRequestError, grpc.StatusCode.INVALID_ARGUMENT),
    (control.DuplicateEntryError, grpc.StatusCode.ALREADY_EXISTS),
    (control.EntryNotFoundError, grpc.StatusCode.NOT_FOUND),
    (control.IndexOutOfRangeError, grpc.StatusCode.OUT_OF_RANGE),
    (control.TableFullError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (control.ReadOnlyError, grpc.StatusCode.PERMISSION_DENIED),
)


def code_for_control_error(error: control.ControlError) -> grpc.StatusCode:
    """The canonical code for a switch refusal (UNKNOWN for an unlisted subclass)."""
    for cls, code in _CONTROL_CODES:
        if isinstance(error, cls):
            return code
    return grpc.StatusCode.UNKNOWN


def from_control_error(error: control.ControlError) -> P4RuntimeError:
    return P4RuntimeError(code_for_control_error(error), str(error) or type(error).__name__)


class ServerStartError(RuntimeError):
    """The gRPC server could not start (address in use, malformed address)."""
