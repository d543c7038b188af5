"""The job manager and service against real switch cores over P4Runtime: admission,
membership, allocation read back from the switch, reclaim, refusals, restarts,
and allreduce through the switch by workers configured by the controller."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from p4.v1.p4runtime_pb2 import Update

from inalab.controller.client import ControllerClient
from inalab.controller.errors import AdmissionError, ControllerError, JobError, SwitchError
from inalab.controller.fabric import Fabric, Pipeline
from inalab.controller.jobs import JobManager
from inalab.controller.names import Counter, Register, Table
from inalab.controller.policies import make_policy
from inalab.controller.service import ControllerService
from inalab.hosts.config import JobConfig
from inalab.hosts.ps import PsJob
from inalab.protocol import codec
from inalab.protocol import format as fmt
from inalab.protocol.constants import DropReason
from inalab.switch.control import ActionCall, ExactKey
from inalab.topologies.builders import single_rack

from .conftest import Network

pytestmark = pytest.mark.integration


class Ctl:
    """A controller service on a topology of in-process switches."""

    def __init__(
        self,
        net: Network,
        pipeline: Pipeline,
        policy: str,
        state_file: str | None = None,
    ) -> None:
        self.net = net
        self.fabric = Fabric(net.topo, pipeline, addresses=net.addresses)
        self.manager = JobManager(self.fabric, make_policy(policy), state_file=state_file)
        self.manager.restore()
        self.fabric.connect_all()
        self.service = ControllerService(self.manager, tick=0.05).start()
        self.client = ControllerClient(self.service.url)

    def stop(self) -> None:
        self.service.stop()

    def regions_on_switch(self, switch: str = "s1") -> dict[int, tuple[int, ...]]:
        """job id -> set_job_region params, read from the switch core itself."""
        sw = self.net.procs[switch].switch
        name = self.fabric.index.table(Table.JOB_REGION).name
        out = {}
        for e in sw.table_entries(name):
            assert isinstance(e.action, ActionCall) and isinstance(e.keys[0], ExactKey)
            out[e.keys[0].value] = e.action.params
        return out

    def members_on_switch(self, switch: str = "s1") -> set[tuple[int, int]]:
        sw = self.net.procs[switch].switch
        name = self.fabric.index.table(Table.JOB_MEMBER).name
        out = set()
        for e in sw.table_entries(name):
            job, port = e.keys
            assert isinstance(job, ExactKey) and isinstance(port, ExactKey)
            out.add((job.value, port.value))
        return out


@pytest.fixture
def ctl(network: Callable[..., Network], pipeline: Pipeline) -> Iterator[Callable[..., Ctl]]:
    made: list[Ctl] = []

    def make(workers: int = 4, policy: str = "first-fit") -> Ctl:
        c = Ctl(network(single_rack(workers)), pipeline, policy)
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()


def test_jobs_arrive_and_leave_and_switch_state_matches(ctl: Callable[..., Ctl]) -> None:
    c = ctl(4, "first-fit")
    a = c.client.register({"job_id": 7, "members": ["h1", "h2"], "slots": 16})
    b = c.client.register({"job_id": 9, "members": ["h3", "h4"], "slots": 24})
    assert a["region"] == {"base": 0, "size": 16, "shared": False}
    assert b["region"] == {"base": 16, "size": 24, "shared": False}
    regions = c.regions_on_switch()
    # (base, size, n_workers, mcast, mode, ps, upstream, job_index)
    assert regions[7][:4] == (0, 16, 2, a["mcast_group"])
    assert regions[9][:4] == (16, 24, 2, b["mcast_group"])
    assert c.members_on_switch() == {(7, 1), (7, 2), (9, 3), (9, 4)}
    # the switch answers the controller's reads the same way
    assert c.fabric.read_back("s1") == c.fabric.installed("s1")
    c.client.finish(7)
    assert set(c.regions_on_switch()) == {9}
    assert c.members_on_switch() == {(9, 3), (9, 4)}
    mcast = [
        e
        for e in c.fabric.read_back("s1").values()
        if e.HasField("packet_replication_engine_entry")
    ]
    groups = {
        e.packet_replication_engine_entry.multicast_group_entry.multicast_group_id for e in mcast
    }
    assert groups == {b["mcast_group"]}


def test_bad_requests_are_refused_with_clear_messages(ctl: Callable[..., Ctl]) -> None:
    c = ctl(4, "first-fit")
    c.client.register({"job_id": 1, "members": ["h1", "h2"], "slots": 48})
    with pytest.raises(JobError, match="already registered"):
        c.client.register({"job_id": 1, "members": ["h3"]})
    with pytest.raises(JobError, match="'h9' is not a worker"):
        c.client.register({"job_id": 2, "members": ["h9"]})
    with pytest.raises(JobError, match="already belong"):
        c.client.register({"job_id": 2, "members": ["h2", "h3"]})
    with pytest.raises(AdmissionError, match="largest free run is 16"):
        c.client.register({"job_id": 3, "members": ["h3", "h4"], "slots": 32, "min_slots": 32})
    with pytest.raises(JobError, match="unknown key"):
        c.client.register({"job_id": 4, "members": ["h3"], "colour": "red"})
    with pytest.raises(JobError, match="lanes 64"):
        c.client.register({"job_id": 4, "members": ["h3"], "lanes": 64})
    with pytest.raises(JobError, match="does not have rank 0"):
        c.client.config(1, rank=0, host="h2")
    with pytest.raises(JobError, match="no rank 5"):
        c.client.heartbeat(1, rank=5)
    with pytest.raises(JobError, match="no job 77"):
        c.client.config(77, rank=0)
    assert set(c.regions_on_switch()) == {1}  # refusals left the switch alone


def test_member_of_one_job_cannot_write_into_another_jobs_region(
    ctl: Callable[..., Ctl],
) -> None:
    c = ctl(4, "first-fit")
    c.client.register({"job_id": 5, "members": ["h1", "h2"], "slots": 8})
    c.client.register({"job_id": 6, "members": ["h3", "h4"], "slots": 8})

    # h3 (a member of job 6) forges a contribution claiming job 5, rank 0, slot 0
    cfg = JobConfig.from_dict(c.client.config(6, host="h3")["config"])
    t = c.net.transport_for("h3")(cfg)
    msg = codec.InaMessage(
        msg_type=fmt.MsgType.CONTRIB, job_id=5, slot_id=0, worker_id=0,
        value_count=32, values=np.ones(32, np.int32),
    )  # fmt: skip
    t.send(codec.encode(msg), 0, 0)
    sw = c.net.procs["s1"].switch
    assert sw.wait_idle(5)
    bitmap = c.fabric.index.register(Register.BITMAP_REG).name
    assert sw.register_read(bitmap, 0) == 0  # job 5's region untouched
    reason = c.fabric.index.counter(Counter.INA_DROP_COUNTER).name
    assert sw.counter_read(reason, DropReason.NOT_MEMBER)[0] == 1
    # the same packet from h1, a member of job 5, is absorbed
    t1 = c.net.transport_for("h1")(cfg)
    t1.send(codec.encode(msg), 0, 0)
    assert sw.wait_idle(5)
    assert sw.register_read(bitmap, 0) == 0b1


def test_dead_job_is_reclaimed_within_its_heartbeat_timeout_and_lease(
    ctl: Callable[..., Ctl],
) -> None:
    c = ctl(4, "first-fit")
    c.client.register({"job_id": 3, "members": ["h1", "h2"], "slots": 8, "heartbeat_timeout": 0.4})
    c.client.register({"job_id": 4, "members": ["h3", "h4"], "slots": 8, "lease": 2.0})
    sw = c.net.procs["s1"].switch
    bitmap = c.fabric.index.register(Register.BITMAP_REG).name
    sw.register_write(bitmap, 2, 0b11)  # leftovers of job 3 (slot 2, both shadow sets)
    sw.register_write(bitmap, 64 + 2, 0b01)
    start = time.monotonic()

    def alive() -> set[int]:  # the manager's view, after any reclaim in progress
        return {j["job_id"] for j in c.client.jobs()}

    while 3 in alive() and time.monotonic() - start < 5:
        c.client.heartbeat(4)  # job 4 stays alive but its lease runs out
        time.sleep(0.05)
    assert time.monotonic() - start < 0.4 + 1.5  # the loop ticks every 0.05 s; loaded VM
    assert set(c.regions_on_switch()) == {4}
    assert sw.register_read(bitmap, 2) == 0 and sw.register_read(bitmap, 66) == 0
    while 4 in alive() and time.monotonic() - start < 5:
        time.sleep(0.05)
    assert time.monotonic() - start < 2.0 + 1.5
    assert c.regions_on_switch() == {}
    assert c.members_on_switch() == set()
    with pytest.raises(JobError, match="no job 4"):
        c.client.heartbeat(4)


def test_controller_restart_and_switch_restart_end_in_the_same_state(
    network: Callable[..., Network], pipeline: Pipeline, tmp_path: Path
) -> None:
    net = network(single_rack(4))
    state = str(tmp_path / "jobs.json")
    first = Ctl(net, pipeline, "fair-share", state_file=state)
    try:
        first.client.register({"job_id": 1, "members": ["h1", "h2"], "slots": 64})
        first.client.register({"job_id": 2, "members": ["h3", "h4"], "slots": 64})
        jobs = first.client.jobs()
        before = first.fabric.read_back("s1")
    finally:
        first.stop()
    second = Ctl(net, pipeline, "fair-share", state_file=state)
    try:
        assert second.client.jobs() == jobs
        assert second.fabric.read_back("s1") == before
        net.procs["s1"].restart()  # the switch loses pipeline, entries and registers
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if second.fabric.installed("s1") is not None and second.fabric.conns["s1"].is_primary:
                try:
                    if second.fabric.read_back("s1") == before:
                        break
                except SwitchError:
                    pass
            time.sleep(0.1)
        assert second.fabric.read_back("s1") == before
        assert second.client.jobs() == jobs
    finally:
        second.stop()


POLICIES = ["static", "first-fit", "fair-share", "best-effort"]


@pytest.mark.parametrize("policy", POLICIES)
def test_three_jobs_with_overlapping_lifetimes_allreduce_exactly(
    ctl: Callable[..., Ctl], policy: str
) -> None:
    c = ctl(6, policy)
    c.net.ps_jobs([PsJob(j, 2) for j in (1, 2, 3)])
    members = {1: ["h1", "h2"], 2: ["h3", "h4"], 3: ["h5", "h6"]}
    errors: dict[int, list[BaseException | None]] = {}

    def start(job: int, rounds: int) -> threading.Thread:
        # fair share: 48 wanted each, so a newcomer makes the running job shrink
        slots = 48 if policy == "fair-share" else 24
        c.client.register({"job_id": job, "members": members[job], "slots": slots})

        def go() -> None:
            errors[job] = c.net.run_job(c.client, job, members[job], rounds, 20 * 32, job)

        t = threading.Thread(target=go)
        t.start()
        return t

    ta = start(1, 4)
    time.sleep(0.3)
    tb = start(2, 4)  # arrives while job 1 runs (fair share: job 1 moves)
    ta.join(120)
    c.client.finish(1)
    tc = start(3, 3)  # arrives while job 2 runs
    tb.join(120)
    c.client.finish(2)
    tc.join(120)
    for job, errs in errors.items():
        for rank, e in enumerate(errs):
            assert e is None, f"job {job} rank {rank}: {e!r}"
    assert sorted(errors) == [1, 2, 3]
    kinds = [e["event"] for e in c.manager.events]
    if policy == "fair-share":  # running jobs re-divided memory (announce, drain, switch)
        assert kinds.count("announce") >= 2 and kinds.count("switched") >= 1, kinds
    else:
        assert "switched" not in kinds
    snap = c.client.status()
    [job3] = snap["jobs"]
    assert sum(s["completions"] for s in job3["switches"].values()) >= 3 * 20 * (
        0 if policy == "best-effort" else 1
    )
    c.client.finish(3)
    assert c.regions_on_switch() == {}


def test_a_refused_job_write_names_switch_and_entry_and_nothing_is_left(
    ctl: Callable[..., Ctl],
) -> None:
    c = ctl(4, "first-fit")
    c.client.register({"job_id": 1, "members": ["h1", "h2"], "slots": 8})
    # someone else takes multicast group 2 behind the controller's back
    rogue = c.fabric.builder.multicast_group(2, [4])
    c.fabric.conns["s1"].write([Update(type=Update.INSERT, entity=rogue)])
    with pytest.raises(ControllerError) as e:
        c.client.register({"job_id": 2, "members": ["h3", "h4"], "slots": 8})
    msg = str(e.value)
    assert "switch s1" in msg and "multicast group 2" in msg and "ALREADY_EXISTS" in msg
    assert [j["job_id"] for j in c.client.jobs()] == [1]
    assert set(c.regions_on_switch()) == {1}
    assert c.members_on_switch() == {(1, 1), (1, 2)}
    assert c.fabric.read_back("s1") == c.fabric.installed("s1")  # the view is the truth


def test_a_job_that_does_not_fit_falls_back_to_the_parameter_server(
    network: Callable[..., Network], pipeline: Pipeline
) -> None:
    net = network(single_rack(4))
    fabric = Fabric(net.topo, pipeline, addresses=net.addresses)
    manager = JobManager(fabric, make_policy("first-fit"), on_full="ps")
    fabric.connect_all()
    service = ControllerService(manager, tick=0.05).start()
    try:
        client = ControllerClient(service.url)
        client.register({"job_id": 1, "members": ["h1", "h2"], "slots": 64})
        j2 = client.register({"job_id": 2, "members": ["h3", "h4"], "slots": 8})
        assert j2["state"] == "ps" and j2["region"] is None
        cfg = client.config(2, rank=1)["config"]
        assert cfg["via"] == "ps" and cfg["server"] == net.topo.host("ps").address
        net.ps_jobs([PsJob(2, 2)])
        assert net.run_job(client, 2, ["h3", "h4"], 2, 8 * 32, 2) == [None, None]
        assert net.ps.counters["received"] >= 2 * 2 * 8
    finally:
        service.stop()
