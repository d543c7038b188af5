from __future__ import annotations

import grpc
import pytest

from inalab.switch import control
from inalab.switch.p4runtime.errors import code_for_control_error, from_control_error


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (control.NoPipelineError(), grpc.StatusCode.FAILED_PRECONDITION),
        (control.UnknownNameError("t"), grpc.StatusCode.NOT_FOUND),
        (control.InvalidRequestError("x"), grpc.StatusCode.INVALID_ARGUMENT),
        (control.DuplicateEntryError("x"), grpc.StatusCode.ALREADY_EXISTS),
        (control.EntryNotFoundError("x"), grpc.StatusCode.NOT_FOUND),
        (control.IndexOutOfRangeError("x"), grpc.StatusCode.OUT_OF_RANGE),
        (control.TableFullError("x"), grpc.StatusCode.RESOURCE_EXHAUSTED),
        (control.ReadOnlyError("x"), grpc.StatusCode.PERMISSION_DENIED),
        (control.ControlError("x"), grpc.StatusCode.UNKNOWN),
    ],
)
def test_control_errors_map_to_canonical_codes(
    error: control.ControlError, code: grpc.StatusCode
) -> None:
    assert code_for_control_error(error) == code
    assert from_control_error(error).code == code


def test_message_is_kept() -> None:
    assert (
        from_control_error(control.TableFullError("table t is full")).message == "table t is full"
    )
    assert from_control_error(control.NoPipelineError()).message == "NoPipelineError"
