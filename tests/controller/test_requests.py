"""Job requests validate themselves with messages that name the problem."""

from __future__ import annotations

import pytest

from inalab.controller.errors import JobError
from inalab.controller.requests import JobRequest


def test_round_trip_and_wanted_slots() -> None:
    r = JobRequest.from_dict({"job_id": 3, "members": ["h1", "h2"], "size": 100})
    assert JobRequest.from_dict(r.to_dict()) == r
    assert r.wanted_slots == 4  # ceil(100 / 32)
    assert JobRequest(1, ("h1",), slots=8).wanted_slots == 8
    assert JobRequest(1, ("h1",)).wanted_slots == 64


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "JSON object"),
        ({"members": ["h1"]}, "missing ['job_id']"),
        ({"job_id": 1, "members": "h1"}, "list of host names"),
        ({"job_id": 1, "members": []}, "non-empty"),
        ({"job_id": 1, "members": ["h1", "h1"]}, "twice"),
        ({"job_id": -1, "members": ["h1"]}, "out of 0.."),
        ({"job_id": True, "members": ["h1"]}, "integer"),
        ({"job_id": 1, "members": ["h1"], "lanes": 7}, "job 1"),
        ({"job_id": 1, "members": ["h1"], "slots": -2}, "slots=-2"),
        ({"job_id": 1, "members": ["h1"], "lease": -1}, "lease=-1"),
        ({"job_id": 1, "members": ["h1"], "mode": "x"}, "mode 'x'"),
        ({"job_id": 1, "members": ["h1"], "worker": {"rank": 3}}, "set by the controller"),
        ({"job_id": 1, "members": ["h1"], "extra": 1}, "unknown key"),
    ],
)
def test_bad_requests(data: object, message: str) -> None:
    with pytest.raises(JobError) as e:
        JobRequest.from_dict(data)
    assert message in str(e.value)
