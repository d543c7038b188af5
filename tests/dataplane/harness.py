"""A test rig around the INA program: compile it once per build (K, slots), run it in
the switch core (``inalab.switch.core.Switch``) and drive it through the switch's
control interface with the names the controller would use."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from inalab.protocol.constants import JobMode
from inalab.switch.control import (
    ActionCall,
    ExactKey,
    GroupRef,
    LpmKey,
    MatchKey,
    MemberRef,
    TernaryKey,
)

from .packets import SWITCH_MAC, host_ip, host_mac

REPO = Path(__file__).resolve().parents[2]
P4SRC = REPO / "p4src"
PROGRAM = P4SRC / "ina.p4"
TEST_SLOTS = 64  # small register arrays: fast to load, same code paths
RIGS: list[Rig] = []  # stopped after each test (conftest.py)


def _json_of(result: Any) -> dict[str, Any]:
    """The bmv2 JSON dict of whatever compile_file returned."""
    for attr in ("bmv2_json", "json", "program"):
        val = getattr(result, attr, None)
        if val is not None and not callable(val):
            result = val
            break
    if isinstance(result, str | bytes):
        result = json.loads(result)
    if not isinstance(result, dict):
        raise TypeError(f"cannot find the bmv2 JSON in {type(result).__name__}")
    return result


@functools.cache
def compiled(lanes: int = 32, slots: int = TEST_SLOTS, lease_us: int | None = None) -> str:
    """bmv2 JSON text of p4src/ina.p4 for K=lanes, INA_SLOTS=slots (, INA_BE_LEASE_US)."""
    from inalab.compiler import compile_file

    defines = {"INA_LANES": str(lanes), "INA_SLOTS": str(slots)}
    if lease_us is not None:
        defines["INA_BE_LEASE_US"] = str(lease_us)
    result = compile_file(PROGRAM, include_dirs=[P4SRC], defines=defines)
    return json.dumps(_json_of(result))


class Names:
    """Full bmv2 names from the last component (``job_region`` -> ``InaIngress....job_region``)."""

    def __init__(self, program: dict[str, Any]) -> None:
        self._by_kind: dict[str, list[str]] = {
            "table": [t["name"] for p in program["pipelines"] for t in p["tables"]],
            "action": [a["name"] for a in program["actions"]],
            "register": [r["name"] for r in program.get("register_arrays", [])],
            "counter": [c["name"] for c in program.get("counter_arrays", [])],
            "profile": [
                a["name"] for p in program["pipelines"] for a in p.get("action_profiles", [])
            ],
        }

    def __call__(self, kind: str, last: str) -> str:
        hits = [n for n in self._by_kind[kind] if n == last or n.endswith("." + last)]
        if len(hits) != 1:
            raise KeyError(f"{kind} {last!r}: {hits or 'not found'} in {self._by_kind[kind]}")
        return hits[0]


class Rig:
    """One switch running the INA program, with helpers for the controller's writes."""

    def __init__(
        self,
        lanes: int = 32,
        slots: int = TEST_SLOTS,
        lease_us: int | None = None,
        priority_queues: int = 8,
    ) -> None:
        from inalab.switch.core import Switch

        self.lanes = lanes
        self.slots = slots
        text = compiled(lanes, slots, lease_us)
        self.program = json.loads(text)
        self.n = Names(self.program)
        self.sw = Switch(priority_queues=priority_queues)
        self.sw.load_program(text)
        self.sw.start()
        RIGS.append(self)
        self._out: list[tuple[int, bytes]] = []
        self._cv = threading.Condition()
        self.sw.set_transmit_handler(self._tx)
        self._members: dict[tuple[int, int, int], int] = {}

    # ---------------------------------------------------------------- packets
    def _tx(self, port: int, data: bytes) -> None:
        with self._cv:
            self._out.append((port, bytes(data)))
            self._cv.notify_all()

    def send(self, port: int, data: bytes) -> list[tuple[int, bytes]]:
        """Inject a frame; return the frames the switch sent because of it."""
        with self._cv:
            self._out.clear()
        self.sw.receive(port, data)
        return self.collect()

    def collect(self, timeout: float = 10.0) -> list[tuple[int, bytes]]:
        """Frames sent since the last collect, once the switch is idle."""
        if not self.sw.wait_idle(timeout):
            raise TimeoutError("switch still busy")
        with self._cv:
            out = sorted(self._out)
            self._out.clear()
        return out

    def close(self) -> None:
        self.sw.stop()

    # ---------------------------------------------------------------- control writes
    def add(
        self,
        table: str,
        keys: Sequence[MatchKey],
        action: str,
        *params: int,
        prio: int | None = None,
    ) -> int:
        return self.sw.table_add(
            self.n("table", table),
            list(keys),
            ActionCall(self.n("action", action), tuple(params)),
            prio,
        )

    def job(
        self,
        job: int,
        *,
        base: int = 0,
        size: int = 8,
        workers: int = 2,
        mcast: int = 1,
        mode: JobMode = JobMode.DEDICATED,
        ps: int = 0,
        upstream: int = 0,
        index: int | None = None,
    ) -> None:
        """A job_region entry; ``index`` (telemetry row) defaults to job % 256."""
        row = job % 256 if index is None else index
        params = (base, size, workers, mcast, int(mode), ps, upstream, row)
        self.add("job_region", [ExactKey(job)], "set_job_region", *params)

    def member(self, job: int, port: int, index: int) -> None:
        self.add("job_member", [ExactKey(job), ExactKey(port)], "set_job_member", index)

    def group(self, group: int, ports: Iterable[int], rid: int = 0) -> None:
        self.sw.mc_group_create(group)
        node = self.sw.mc_node_create(rid, list(ports))
        self.sw.mc_node_associate(group, node)

    def host_ports(self, ports: Iterable[int]) -> None:
        """result_destination entries: port p has host p (host_mac(p), host_ip(p))."""
        for p in ports:
            self.add(
                "result_destination",
                [ExactKey(p)],
                "set_result_destination",
                host_mac(p),
                host_ip(p),
            )

    def rack(self, job: int, ports: Sequence[int], *, mcast: int = 1, **kw: Any) -> None:
        """A job whose workers sit on ``ports`` (worker i on ports[i])."""
        self.job(job, workers=len(ports), mcast=mcast, **kw)
        for i, p in enumerate(ports):
            self.member(job, p, i)
        self.group(mcast, ports)
        self.host_ports(ports)

    def _member(self, port: int, smac: int, dmac: int) -> int:
        key = (port, smac, dmac)
        if key not in self._members:
            prof = self.n("profile", "ecmp_selector")
            self._members[key] = self.sw.act_prof_add_member(
                prof, ActionCall(self.n("action", "set_nexthop"), (port, smac, dmac))
            )
        return self._members[key]

    def route(self, prefix: int, plen: int, port: int, dmac: int, smac: int = SWITCH_MAC) -> None:
        member = self._member(port, smac, dmac)
        self.sw.table_add(self.n("table", "ipv4_lpm"), [LpmKey(prefix, plen)], MemberRef(member))

    def ecmp_route(
        self, prefix: int, plen: int, hops: Sequence[tuple[int, int]], smac: int = SWITCH_MAC
    ) -> None:
        prof = self.n("profile", "ecmp_selector")
        grp = self.sw.act_prof_create_group(prof)
        for port, dmac in hops:
            self.sw.act_prof_add_member_to_group(prof, self._member(port, smac, dmac), grp)
        self.sw.table_add(self.n("table", "ipv4_lpm"), [LpmKey(prefix, plen)], GroupRef(grp))

    def importance(self, dscp: int, cls: int) -> None:
        self.add("importance_class", [ExactKey(dscp)], "set_importance_class", cls)

    def admission(
        self, cls: int, service_us: int, drop_wait_us: int, queue: int | None = None
    ) -> None:
        """A queue_admission entry: for ``queue`` (egress port, or INA_PORTS + group),
        or every queue (wildcard, lower priority) when None."""
        key = TernaryKey(queue or 0, 0xFFFF if queue is not None else 0)
        prio = 2 if queue is not None else 1
        self.add(
            "queue_admission", [key, ExactKey(cls)], "set_queue_admission",
            service_us, drop_wait_us, prio=prio,
        )  # fmt: skip

    def ecn_threshold(self, cls: int, ecn_qdepth: int, port: int | None = None) -> None:
        key = TernaryKey(port or 0, 0x1FF if port is not None else 0)
        prio = 2 if port is not None else 1
        self.add("ecn_threshold", [key, ExactKey(cls)], "set_ecn_threshold", ecn_qdepth, prio=prio)

    def drop_sim(self, threshold: int, port: int | None = None, job: int | None = None) -> None:
        keys = [
            TernaryKey(port or 0, 0x1FF if port is not None else 0),
            TernaryKey(job or 0, 0xFFFF if job is not None else 0),
        ]
        self.add("drop_simulator", keys, "set_drop_probability", threshold, prio=1)

    # ---------------------------------------------------------------- reads
    def counter(self, name: str, index: int) -> int:
        return self.sw.counter_read(self.n("counter", name), index)[0]

    def register(self, name: str, index: int) -> int:
        return self.sw.register_read(self.n("register", name), index)
