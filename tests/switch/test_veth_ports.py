"""AF_PACKET ports on real veth interfaces (namespaces made by the test; needs root)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest

from inalab.switch.impairment import Impairment, Impairments
from inalab.switch.io_errors import PortError
from inalab.switch.io_netns import VethLab
from inalab.switch.ports import PACKET_AUXDATA, SOL_PACKET, PortSet, restore_vlan

pytestmark = pytest.mark.integration

MARK = b"inalab-test"


class Crossover:
    """Port 1 <-> port 2."""

    def __init__(self) -> None:
        self.tx: Callable[[int, bytes], None] | None = None
        self.seen = 0

    def set_transmit_handler(self, handler: Callable[[int, bytes], None]) -> None:
        self.tx = handler

    def receive(self, port: int, data: bytes) -> None:
        self.seen += 1
        assert self.tx is not None
        self.tx(3 - port, data)


@pytest.fixture
def lab(require_root: None) -> Iterator[VethLab]:
    with VethLab(2) as lab:
        yield lab


def _frame(i: int) -> bytes:
    dst, src = bytes.fromhex("020000000002"), bytes.fromhex("020000000001")
    return dst + src + b"\x88\xb5" + MARK + i.to_bytes(4, "big") + b"\x00" * 40


def _collect(sock: socket.socket, want: int, timeout: float = 3.0) -> list[int]:
    sock.settimeout(0.2)
    got: list[int] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        try:
            data = sock.recv(2048)
        except TimeoutError:
            continue
        if data[14 : 14 + len(MARK)] == MARK:
            got.append(int.from_bytes(data[14 + len(MARK) : 18 + len(MARK)], "big"))
    return got


@pytest.mark.parametrize("ring", ["1", "0"])
def test_frames_cross_the_switch_in_order_and_own_transmissions_are_ignored(
    lab: VethLab, ring: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INALAB_PACKET_RING", ring)  # mmap ring, or recvmsg
    sw = Crossover()
    ports = PortSet(sw)  # type: ignore[arg-type]
    for h in lab.hosts:
        port = ports.add_interface(h.index, h.switch_iface)
        assert (port.ring is not None) == (ring == "1")
    ports.start()
    try:
        tx, rx = lab.socket(1), lab.socket(2)
        for i in range(200):
            tx.send(_frame(i))
        assert _collect(rx, 200) == list(range(200))
        time.sleep(0.2)
        assert sw.seen == 200  # not 400: transmissions on port 2 are not read back
        assert ports.stats()[1].rx_packets == 200 and ports.stats()[2].tx_packets == 200
    finally:
        ports.stop()


def test_ingress_loss_at_a_port_shows_in_the_counts(lab: VethLab) -> None:
    imps = Impairments(seed=42)
    imps.set(1, "ingress", Impairment(loss=0.3))
    sw = Crossover()
    ports = PortSet(sw, imps)  # type: ignore[arg-type]
    for h in lab.hosts:
        ports.add_interface(h.index, h.switch_iface)
    ports.start()
    try:
        tx, rx = lab.socket(1), lab.socket(2)
        for i in range(1000):
            tx.send(_frame(i))
        c = None
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            c = imps.counters()[(1, "ingress")]
            if c.frames >= 1000:
                break
            time.sleep(0.05)
        assert c is not None and c.frames == 1000
        got = _collect(rx, c.passed)
        assert len(got) == c.passed == 1000 - c.lost_random
        assert 220 < c.lost_random < 380
    finally:
        ports.stop()


def test_down_interface_is_refused(lab: VethLab) -> None:
    import subprocess

    subprocess.run(["ip", "link", "set", lab.hosts[0].switch_iface, "down"], check=True)
    with pytest.raises(PortError, match="is down"):
        PortSet(Crossover()).add_interface(1, lab.hosts[0].switch_iface)  # type: ignore[arg-type]


def test_frame_over_the_egress_mtu_is_counted_and_warned_once(
    lab: VethLab, caplog: pytest.LogCaptureFixture
) -> None:
    import subprocess

    subprocess.run(["ip", "link", "set", lab.hosts[1].switch_iface, "mtu", "1000"], check=True)
    sw = Crossover()
    ports = PortSet(sw)  # type: ignore[arg-type]
    for h in lab.hosts:
        ports.add_interface(h.index, h.switch_iface)
    ports.start()
    try:
        tx = lab.socket(1)
        big = _frame(0) + b"\x00" * 1300
        with caplog.at_level("WARNING", logger="inalab.switch.ports"):
            tx.send(big)
            tx.send(big)
            deadline = time.monotonic() + 3
            while ports.stats()[2].tx_errors < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
        assert ports.stats()[2].tx_errors == 2 and ports.stats()[2].tx_packets == 0
        warnings = [r.getMessage() for r in caplog.records if "exceeds the MTU" in r.getMessage()]
        assert len(warnings) == 1 and "tso off gso off" in warnings[0]
    finally:
        ports.stop()


@pytest.mark.parametrize("ring", ["1", "0"])
def test_vlan_tags_stripped_by_the_kernel_are_put_back(
    lab: VethLab, ring: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INALAB_PACKET_RING", ring)
    sw = Crossover()
    seen: list[bytes] = []
    receive = sw.receive

    def record(port: int, data: bytes) -> None:
        seen.append(data)
        receive(port, data)

    sw.receive = record  # type: ignore[method-assign]
    ports = PortSet(sw)  # type: ignore[arg-type]
    for h in lab.hosts:
        ports.add_interface(h.index, h.switch_iface)
    ports.start()
    try:
        tx, rx = lab.socket(1), lab.socket(2)
        rx.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        tagged = bytes.fromhex("0200000000020200000000018100a06488b5") + MARK + bytes(40)
        tx.send(tagged)
        rx.settimeout(2)
        while True:
            data, anc, _, _ = rx.recvmsg(4096, socket.CMSG_SPACE(32))
            if MARK in data:
                break
        assert restore_vlan(data, anc) == tagged  # what the switch sent
        # what the pipeline saw (a stray frame of the namespaces' own may come too)
        assert [f for f in seen if MARK in f] == [tagged]
    finally:
        ports.stop()


def test_interface_down_or_deleted_under_a_running_switch_does_not_spin(lab: VethLab) -> None:
    import subprocess

    sw = Crossover()
    ports = PortSet(sw)  # type: ignore[arg-type]
    for h in lab.hosts:
        ports.add_interface(h.index, h.switch_iface)
    ports.start()
    try:
        s1 = lab.hosts[0].switch_iface
        subprocess.run(["ip", "link", "set", s1, "down"], check=True)
        subprocess.run(["ip", "link", "set", s1, "up"], check=True)
        time.sleep(0.2)
        tx, rx = lab.socket(1), lab.socket(2)
        for i in range(10):
            tx.send(_frame(i))
        assert _collect(rx, 10) == list(range(10))  # still forwarding after down/up
        subprocess.run(["ip", "link", "del", lab.hosts[1].switch_iface], check=True)
        time.sleep(0.2)
        cpu = time.process_time()
        time.sleep(1.0)
        assert time.process_time() - cpu < 0.2  # the receive thread is not busy-looping
    finally:
        ports.stop()
