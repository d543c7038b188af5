"""End to end in one process: the host agents' workers (inalab.hosts.worker) run
allreduce through p4src/ina.p4 in the switch core, over an in-process transport
that frames their UDP payloads as a NIC would."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from inalab.hosts.config import JobConfig
from inalab.hosts.ps import Aggregator, PsJob
from inalab.hosts.transport import fold_ce
from inalab.hosts.worker import Worker
from inalab.protocol import format as fmt
from inalab.protocol.constants import DropReason, InaEvent, JobMode

from .harness import Rig
from .packets import L2_L3_L4, SWITCH_MAC, ethernet, host_ip, host_mac, ip, ipv4, udp

SWITCH_IP = ip("10.0.0.100")
N = 3
SLOTS = 16


class SwitchPort:
    """A worker's NIC on switch port ``port``: payloads in, frames out, and back."""

    def __init__(self, rig: Rig, port: int, result_loss: float = 0.0) -> None:
        self.rig, self.port = rig, port
        self.inbox: queue.Queue[bytes] = queue.Queue()
        self.result_loss = result_loss
        self.rng = np.random.default_rng(port)
        self.lost = 0

    def deliver(self, frame: bytes) -> None:
        if self.rng.random() < self.result_loss:
            self.lost += 1
        else:
            self.inbox.put(frame)

    @property
    def paths(self) -> int:
        return 4

    def send(self, payload: bytes, tos: int, path: int) -> None:
        seg = udp(fmt.INA_UDP_PORT + path % self.paths, fmt.INA_UDP_PORT, payload)
        frame = (
            ethernet(SWITCH_MAC, host_mac(self.port), fmt.ETHERTYPE_IPV4)
            + ipv4(host_ip(self.port), SWITCH_IP, fmt.IP_PROTO_UDP, len(seg), tos >> 2, tos & 3)
            + seg
        )
        self.rig.sw.receive(self.port, frame)

    def recv(self, timeout: float) -> bytes | None:
        try:
            frame = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return None
        return fold_ce(frame[L2_L3_L4:], frame[15])

    def close(self) -> None:
        pass


PS_PORT = 9
PS_IP = ip("10.0.0.9")


def _run(
    arrays: list[npt.NDArray], lanes: int = 32, loss: float = 0.0, best_effort_cells: int = 0
) -> tuple[Rig, list[npt.NDArray]]:
    """``loss``: the drop simulator drops that fraction of contributions, and each
    NIC loses that fraction of results. ``best_effort_cells``: the job is ATP-style
    best-effort in that many cells, collisions going to a PS (``inalab.hosts.ps``)
    on port PS_PORT."""
    rig = Rig(lanes=lanes)
    ports = tuple(range(1, N + 1))
    if best_effort_cells:
        rig.rack(1, ports, mcast=1, size=best_effort_cells, mode=JobMode.BEST_EFFORT, ps=PS_IP)
        rig.route(PS_IP, 32, PS_PORT, host_mac(PS_PORT))
    else:
        rig.rack(1, ports, mcast=1, size=SLOTS)
    if loss:
        rig.drop_sim(int(loss * 65536), job=1)
    nics = {p: SwitchPort(rig, p, loss) for p in ports}
    ps = Aggregator.for_jobs([PsJob(1, N)])
    by_ip = {host_ip(p): nics[p] for p in ports}

    def transmit(port: int, data: bytes) -> None:
        if port != PS_PORT:
            nics[port].deliver(bytes(data))
            return
        src = (str(int.from_bytes(data[26:30], "big")), int.from_bytes(data[34:36], "big"))
        for (dst, _), payload in ps.handle(data[L2_L3_L4:], src):
            # the PS answers the worker directly (not through the switch)
            by_ip[int(dst)].deliver(bytes(L2_L3_L4) + payload)

    rig.sw.set_transmit_handler(transmit)
    results: list[npt.NDArray | BaseException] = [np.zeros(0)] * N

    def worker(rank: int) -> None:
        cfg = JobConfig(
            job_id=1, rank=rank, n_workers=N, server="10.0.0.100", via="switch",
            slots=SLOTS, lanes=lanes, timeout=20.0,
        )  # fmt: skip
        try:
            with Worker(cfg, nics[ports[rank]]) as w:
                results[rank] = w.allreduce(arrays[rank])
        except BaseException as e:  # surfaced below
            results[rank] = e

    threads = [threading.Thread(target=worker, args=(r,)) for r in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return rig, [r for r in results if not isinstance(r, BaseException)]


@pytest.mark.parametrize("lanes", [32, 64])
def test_int32_allreduce_is_exact_through_the_switch(lanes: int) -> None:
    rng = np.random.default_rng(3)
    arrays = [rng.integers(-(2**28), 2**28, size=40 * lanes, dtype=np.int32) for _ in range(N)]
    rig, results = _run(arrays, lanes)
    want = np.sum(np.stack(arrays).astype(np.int64), axis=0).astype(np.int32)
    for r in results:
        np.testing.assert_array_equal(r, want)
    assert rig.counter("ina_event_counter", InaEvent.COMPLETED) >= 40


def test_float32_allreduce_through_the_switch() -> None:
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(1000).astype(np.float32) for _ in range(N)]
    _, results = _run(arrays)
    want = np.sum(np.stack(arrays).astype(np.float64), axis=0)
    for r in results:
        np.testing.assert_allclose(r, want, atol=1e-3)


def test_exact_despite_lost_contributions_and_results() -> None:
    rng = np.random.default_rng(5)
    arrays = [rng.integers(-(2**28), 2**28, size=60 * 32, dtype=np.int32) for _ in range(N)]
    rig, results = _run(arrays, loss=0.1)
    want = np.sum(np.stack(arrays).astype(np.int64), axis=0).astype(np.int32)
    for r in results:
        np.testing.assert_array_equal(r, want)
    # losses happened and were repaired by the scoreboard, never double-counted
    assert rig.counter("ina_drop_counter", DropReason.SIM_DROP) > 0
    assert rig.counter("ina_event_counter", InaEvent.RESULT_UNICAST) > 0


def test_best_effort_with_collisions_to_the_ps_is_exact() -> None:
    rng = np.random.default_rng(6)
    arrays = [rng.integers(-(2**28), 2**28, size=60 * 32, dtype=np.int32) for _ in range(N)]
    # 4 hashed cells for a window of 16 slots: many blocks collide and go to the PS
    rig, results = _run(arrays, best_effort_cells=4)
    want = np.sum(np.stack(arrays).astype(np.int64), axis=0).astype(np.int32)
    for r in results:
        np.testing.assert_array_equal(r, want)
    assert rig.counter("ina_event_counter", InaEvent.COLLISION) > 0
    assert rig.counter("ina_event_counter", InaEvent.COMPLETED) > 0


def test_two_level_allreduce_through_leaves_and_spine() -> None:
    """Four workers, two per leaf; leaves send rack partials up to the spine."""
    spine_ip, uplink = ip("10.255.0.1"), 10
    leaves, spine = [Rig(), Rig()], Rig()
    for leaf in leaves:
        leaf.rack(1, (1, 2), mcast=1, size=SLOTS, mode=JobMode.LEAF, upstream=spine_ip)
        leaf.route(spine_ip, 32, uplink, host_mac(100))
    spine.rack(1, (1, 2), mcast=1, size=SLOTS)
    links = {(0, uplink): (spine, 1), (1, uplink): (spine, 2), (2, 1): (leaves[0], uplink)}
    links[(2, 2)] = (leaves[1], uplink)
    nics = {(li, p): SwitchPort(leaves[li], p) for li in (0, 1) for p in (1, 2)}
    wire: queue.Queue[tuple[Rig, int, bytes] | None] = queue.Queue()

    def carry() -> None:  # one thread moves frames between switches: no nested switch locks
        while (item := wire.get()) is not None:
            rig, port, data = item
            rig.sw.receive(port, data)

    def handler(idx: int) -> Callable[[int, bytes], None]:
        def transmit(port: int, data: bytes) -> None:
            if (idx, port) in links:
                peer, peer_port = links[(idx, port)]
                wire.put((peer, peer_port, bytes(data)))
            else:
                nics[(idx, port)].deliver(bytes(data))

        return transmit

    for idx, rig in enumerate([*leaves, spine]):
        rig.sw.set_transmit_handler(handler(idx))
    carrier = threading.Thread(target=carry)
    carrier.start()
    rng = np.random.default_rng(8)
    arrays = [rng.integers(-(2**27), 2**27, size=50 * 32, dtype=np.int32) for _ in range(4)]
    results: list[npt.NDArray | BaseException] = [np.zeros(0)] * 4

    def worker(rank: int) -> None:
        cfg = JobConfig(
            job_id=1, rank=rank, n_workers=4, server="10.255.0.1", via="switch",
            slots=SLOTS, timeout=20.0,
        )  # fmt: skip
        try:
            with Worker(cfg, nics[(rank // 2, rank % 2 + 1)]) as w:
                results[rank] = w.allreduce(arrays[rank])
        except BaseException as e:
            results[rank] = e

    threads = [threading.Thread(target=worker, args=(r,)) for r in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    wire.put(None)
    carrier.join(10)
    want = np.sum(np.stack(arrays).astype(np.int64), axis=0).astype(np.int32)
    for r in results:
        if isinstance(r, BaseException):
            raise r
        np.testing.assert_array_equal(r, want)
    assert spine.counter("ina_event_counter", InaEvent.COMPLETED) >= 50
    assert leaves[0].counter("ina_event_counter", InaEvent.UPSTREAM) >= 50
