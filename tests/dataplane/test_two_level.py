"""Two-level aggregation: two leaves and a spine, in-process switches wired together."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from inalab.protocol import format as fmt
from inalab.protocol.constants import InaEvent, JobMode

from .harness import Rig
from .packets import contribution, ip, parse

SPINE_IP = ip("10.255.0.1")
UPLINK = 10  # leaf port towards the spine
SPINE_MAC = 0x02_AA_00_00_00_FF


class Fabric:
    """leaf1 (workers on 1, 2) and leaf2 (workers on 1, 2), each port 10 -> spine ports 1 / 2."""

    def __init__(self) -> None:
        self.leaves = [Rig(), Rig()]
        self.spine = Rig()
        self.links = {("leaf0", UPLINK): ("spine", 1), ("leaf1", UPLINK): ("spine", 2)}
        self.links.update({v: k for k, v in list(self.links.items())})
        self.rigs = {"leaf0": self.leaves[0], "leaf1": self.leaves[1], "spine": self.spine}
        self.hosts: list[tuple[str, int, bytes]] = []
        self.pending: list[tuple[str, int, bytes]] = []
        for name, rig in self.rigs.items():
            rig.sw.set_transmit_handler(self._tx_of(name))
        for leaf in self.leaves:
            leaf.rack(1, (1, 2), mcast=1, mode=JobMode.LEAF, upstream=SPINE_IP)
            leaf.route(SPINE_IP, 32, UPLINK, SPINE_MAC)
        # the spine's workers are the two leaves
        self.spine.rack(1, (1, 2), mcast=1)

    def _tx_of(self, name: str) -> Callable[[int, bytes], None]:
        def tx(port: int, data: bytes) -> None:
            self.pending.append((name, port, bytes(data)))

        return tx

    def send(self, name: str, port: int, data: bytes) -> list[tuple[str, int, bytes]]:
        """Inject a frame, carry frames over the links until every switch is idle."""
        self.hosts.clear()
        self.rigs[name].sw.receive(port, data)
        while True:
            for rig in self.rigs.values():
                assert rig.sw.wait_idle(10.0)
            if not self.pending:
                break
            n, p, d = self.pending.pop(0)
            if (n, p) in self.links:
                peer, peer_port = self.links[(n, p)]
                self.rigs[peer].sw.receive(peer_port, d)
            else:
                self.hosts.append((n, p, d))
        return sorted(self.hosts)


def test_leaves_and_spine_sum_all_four_workers() -> None:
    fab = Fabric()
    rows = [np.full(32, 10**9) * (i + 1) + np.arange(32) for i in range(4)]
    want = np.sum(np.stack(rows), axis=0).astype(np.uint32).view(np.int32)
    assert fab.send("leaf0", 1, contribution(0, rows[0], slot=2, seq=2)) == []
    assert fab.send("leaf1", 1, contribution(0, rows[2], slot=2, seq=2)) == []
    # leaf0 completes: its partial goes up; the spine waits for leaf1
    assert fab.send("leaf0", 2, contribution(1, rows[1], slot=2, seq=2)) == []
    assert fab.spine.register("bitmap_reg", 2) == 0b01
    out = fab.send("leaf1", 2, contribution(1, rows[3], slot=2, seq=2))
    assert [(n, p) for n, p, _ in out] == [("leaf0", 1), ("leaf0", 2), ("leaf1", 1), ("leaf1", 2)]
    for _, _, data in out:
        got = parse(data)
        assert got.ina.msg_type == fmt.MsgType.RESULT
        # bitmap: the spine's members (two racks); count: every worker summed
        assert got.ina.bitmap == 0b11 and got.ina.contrib_count == 4
        np.testing.assert_array_equal(got.values, want)
    assert fab.leaves[0].counter("ina_event_counter", InaEvent.UPSTREAM) == 1
    assert fab.leaves[1].counter("ina_event_counter", InaEvent.RESULT_DOWN) == 1


def test_worker_retransmission_after_completion_is_answered_by_its_leaf() -> None:
    fab = Fabric()
    rows = [np.arange(32) * (i + 1) for i in range(4)]
    fab.send("leaf0", 1, contribution(0, rows[0]))
    fab.send("leaf0", 2, contribution(1, rows[1]))
    fab.send("leaf1", 1, contribution(0, rows[2]))
    fab.send("leaf1", 2, contribution(1, rows[3]))
    # the leaf kept the spine's result when it came down: it answers by itself
    out = fab.send("leaf1", 2, contribution(1, rows[3], flags=fmt.Flag.RESEND))
    assert [(n, p) for n, p, _ in out] == [("leaf1", 2)]
    got = parse(out[0][2])
    assert got.ina.msg_type == fmt.MsgType.RESULT and got.ina.flags & fmt.Flag.UNICAST
    assert got.ina.contrib_count == 4 and not got.ina.flags & fmt.Flag.UPSTREAM
    np.testing.assert_array_equal(got.values, sum(rows))
    assert fab.leaves[1].counter("ina_event_counter", InaEvent.RESULT_UNICAST) == 1
    assert fab.leaves[1].counter("ina_event_counter", InaEvent.UPSTREAM_RESEND) == 0


def test_retransmission_before_the_result_came_down_goes_through_the_spine() -> None:
    fab = Fabric()
    rows = [np.arange(32) * (i + 1) for i in range(4)]
    fab.send("leaf1", 1, contribution(0, rows[2]))
    fab.send("leaf1", 2, contribution(1, rows[3]))  # leaf1's partial waits at the spine
    # a worker of leaf1 retransmits: the leaf re-sends its partial up (never added twice)
    assert fab.send("leaf1", 2, contribution(1, rows[3], flags=fmt.Flag.RESEND)) == []
    assert fab.leaves[1].counter("ina_event_counter", InaEvent.UPSTREAM_RESEND) == 1
    assert fab.spine.counter("ina_event_counter", InaEvent.DUPLICATE) == 1
    fab.send("leaf0", 1, contribution(0, rows[0]))
    out = fab.send("leaf0", 2, contribution(1, rows[1]))
    assert len(out) == 4
    np.testing.assert_array_equal(parse(out[0][2]).values, sum(rows))
