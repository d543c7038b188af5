"""PortSet wiring: virtual ports, impairment on the path, captures, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from scapy.utils import rdpcap

from inalab.switch.impairment import Impairment, Impairments
from inalab.switch.io_errors import PortError
from inalab.switch.pcap import PcapDir
from inalab.switch.ports import PortSet, interface_index


class Reflector:
    """The smallest switch: sends each frame back out of port (in_port ^ 1)."""

    def __init__(self) -> None:
        self.tx: Callable[[int, bytes], None] | None = None
        self.seen: list[tuple[int, bytes]] = []

    def set_transmit_handler(self, handler: Callable[[int, bytes], None]) -> None:
        self.tx = handler

    def receive(self, port: int, data: bytes) -> None:
        self.seen.append((port, data))
        assert self.tx is not None
        self.tx(port ^ 1, data)


def _portset(**kw: object) -> tuple[Reflector, PortSet]:
    sw = Reflector()
    return sw, PortSet(sw, **kw)  # type: ignore[arg-type]


def test_virtual_ports_forward_through_the_switch(tmp_path: Path) -> None:
    sw, ps = _portset(pcap=PcapDir(tmp_path))
    p0, p1 = ps.add_virtual(0), ps.add_virtual(1, "veth1")
    ps.start()
    p0.inject(b"\x01" * 60)
    assert p1.recv(1) == b"\x01" * 60
    assert sw.seen == [(0, b"\x01" * 60)]
    assert ps.stats()[0].rx_packets == 1 and ps.stats()[1].tx_bytes == 60
    ps.stop()
    assert [bytes(p) for p in rdpcap(str(tmp_path / "port0_in.pcap"))] == [b"\x01" * 60]
    assert [bytes(p) for p in rdpcap(str(tmp_path / "veth1_out.pcap"))] == [b"\x01" * 60]


def test_transmit_to_unbound_port_is_counted_not_raised() -> None:
    _sw, ps = _portset()
    p0 = ps.add_virtual(0)
    ps.start()
    p0.inject(b"\x00" * 20)  # reflector sends to port 1, which does not exist
    assert ps.tx_unknown_port == 1
    ps.stop()


def test_ingress_loss_never_reaches_the_switch() -> None:
    imps = Impairments(seed=3)
    imps.set(0, "ingress", Impairment(loss=1.0))
    sw, ps = _portset(impairments=imps)
    p0, p1 = ps.add_virtual(0), ps.add_virtual(1)
    ps.start()
    for _ in range(10):
        p0.inject(b"\x02" * 30)
    p1.inject(b"\x03" * 30)
    assert sw.seen == [(1, b"\x03" * 30)]
    assert p0.recv(1) == b"\x03" * 30
    assert imps.counters()[(0, "ingress")].lost_random == 10
    ps.stop()


def test_port_errors() -> None:
    _sw, ps = _portset()
    ps.add_virtual(1, "a")
    with pytest.raises(PortError, match="already bound"):
        ps.add_virtual(1, "b")
    with pytest.raises(PortError, match="already port 1"):
        ps.add_virtual(2, "a")
    with pytest.raises(PortError, match="out of range"):
        ps.add_virtual(511)
    with pytest.raises(PortError, match="unknown interface 'nosuch0'"):
        ps.add_interface(3, "nosuch0")
    with pytest.raises(PortError, match="unknown interface"):
        interface_index("nosuch0")
