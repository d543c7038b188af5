"""Stop every switch a data-plane test started."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import RIGS


@pytest.fixture(autouse=True)
def _stop_switches() -> Iterator[None]:
    yield
    while RIGS:
        RIGS.pop().close()
