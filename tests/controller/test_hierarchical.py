"""Two-level aggregation programmed by the controller: a job spread over two racks
of a leaf-spine fabric (leaves in LEAF mode, both spines DEDICATED with one bit
per leaf, ECMP between them) next to a rack-local job; allreduce through real
switch cores by host-agent workers."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from inalab.controller.client import ControllerClient
from inalab.controller.fabric import Fabric, Pipeline
from inalab.controller.jobs import JobManager
from inalab.controller.placement import roles
from inalab.controller.policies import make_policy
from inalab.controller.service import ControllerService
from inalab.protocol.constants import JobMode
from inalab.topologies.builders import leaf_spine

from .conftest import Network

pytestmark = pytest.mark.integration


def test_roles_of_a_job_spread_over_racks() -> None:
    topo = leaf_spine(2, 3)
    got = roles(topo, ["r1h1", "r1h2", "r2h1"])
    assert [(r.switch, r.mode) for r in got] == [
        ("leaf1", JobMode.LEAF),
        ("leaf2", JobMode.LEAF),
        ("spine1", JobMode.DEDICATED),
        ("spine2", JobMode.DEDICATED),
    ]
    assert got[0].members == ((1, 0), (2, 1)) and got[1].members == ((1, 0),)
    assert got[2].members == ((1, 0), (2, 1))  # spine port l leads to leaf l: bit l-1


def test_two_level_job_and_rack_job_allreduce_exactly(
    network: Callable[..., Network], pipeline: Pipeline
) -> None:
    topo = leaf_spine(2, 4)
    net = network(topo)
    fabric = Fabric(topo, pipeline, addresses=net.addresses)
    manager = JobManager(fabric, make_policy("first-fit"))
    fabric.connect_all()
    service = ControllerService(manager, tick=0.05).start()
    try:
        client = ControllerClient(service.url)
        spread = ["r1h1", "r1h2", "r2h1", "r2h2"]
        local = ["r1h3", "r1h4"]  # one rack: leaf1 aggregates it alone (DEDICATED)
        client.register({"job_id": 11, "members": spread, "slots": 16})
        client.register({"job_id": 12, "members": local, "slots": 16})
        errors: dict[int, list[BaseException | None]] = {}

        def go(job: int, members: list[str]) -> None:
            errors[job] = net.run_job(client, job, members, 3, 16 * 32, job)

        threads = [
            threading.Thread(target=go, args=(11, spread)),
            threading.Thread(target=go, args=(12, local)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for job, errs in errors.items():
            assert errs == [None] * len(errs), f"job {job}: {errs}"
        snap = client.status()
        [j11] = [j for j in snap["jobs"] if j["job_id"] == 11]
        sw = j11["switches"]
        assert sw["leaf1"]["mode"] == "leaf" and sw["leaf1"]["events"]["upstream"] >= 3 * 16
        assert sw["leaf2"]["events"]["result_down"] >= 3 * 16
        [j12] = [j for j in snap["jobs"] if j["job_id"] == 12]
        assert list(j12["switches"]) == ["leaf1"]
        assert j12["switches"]["leaf1"]["mode"] == "dedicated"
        assert j12["switches"]["leaf1"]["completions"] >= 3 * 16
        # the spines share the slots (ECMP on (destination, seq)); a retransmission
        # that races a completion may complete a slot twice, never lose one
        assert sw["spine1"]["completions"] + sw["spine2"]["completions"] >= 3 * 16
    finally:
        service.stop()
