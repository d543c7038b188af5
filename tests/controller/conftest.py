"""Fixtures of the controller tests: the INA program compiled once (small register
arrays) and in-process labs (``inalab.controller.lab``): real switch cores serving
P4Runtime on free ports, one per switch of a topology. Nothing is mocked: the
controller speaks gRPC to the real servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from inalab.controller.fabric import Pipeline
from inalab.controller.lab import Lab
from inalab.topologies.spec import Topology

from .helpers import compiled_pipeline

Network = Lab


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    return compiled_pipeline()


@pytest.fixture
def network() -> Iterator[Callable[[Topology], Lab]]:
    made: list[Lab] = []

    def make(topo: Topology) -> Lab:
        lab = Lab.start(topo)
        made.append(lab)
        return lab

    yield make
    for lab in made:
        lab.stop()
