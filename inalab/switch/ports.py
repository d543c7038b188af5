"""The switch's ports: in-process virtual ports and Linux interfaces.

A :class:`PortSet` binds port numbers to ports and to a switch
(:class:`inalab.switch.control.SwitchControl`): frames a port receives go
through ingress link impairment and the ``in`` capture into
``switch.receive(port, frame)``; frames the switch transmits go through the
``out`` capture and egress impairment to the port.

* :class:`VirtualPort`: two queues, for tests and the STF-like use
  (``inject`` a frame, ``recv`` what the switch sent).
* :class:`InterfacePort`: an ``AF_PACKET`` raw socket bound to one
  interface (``ETH_P_ALL``, promiscuous, outgoing frames ignored so the switch
  never sees its own transmissions, a 4 MiB receive buffer). One selector
  thread reads every interface port of the set; once the set is started, one
  transmit thread (:mod:`inalab.switch.io_tx_queue`) sends for all of them.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import queue
import selectors
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from inalab.switch.control import SwitchControl
from inalab.switch.impairment import Impairments
from inalab.switch.io_errors import PortError
from inalab.switch.io_packet_ring import PacketRing
from inalab.switch.io_tx_queue import TxQueue
from inalab.switch.pcap import PcapDir

log = logging.getLogger("inalab.switch.ports")

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
PACKET_IGNORE_OUTGOING = 23
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
_AUXDATA = struct.Struct("IIIHHHH")  # struct tpacket_auxdata
_ANC_SPACE = socket.CMSG_SPACE(_AUXDATA.size)
IFF_UP = 0x1
RCVBUF_BYTES = 4 * 1024 * 1024
MAX_FRAME = 65536
DEFAULT_DROP_PORT = 511


@dataclass
class PortStats:
    rx_packets: int = 0
    rx_bytes: int = 0
    tx_packets: int = 0
    tx_bytes: int = 0
    tx_errors: int = 0


class Port(Protocol):
    number: int
    name: str
    stats: PortStats

    def transmit(self, frame: bytes) -> None: ...
    def close(self) -> None: ...


class VirtualPort:
    """An in-process port: ``inject`` plays the wire into the switch, ``recv`` reads
    what the switch sent out of it."""

    def __init__(self, number: int, name: str) -> None:
        self.number = number
        self.name = name
        self.stats = PortStats()
        self._sent: queue.Queue[bytes] = queue.Queue()
        self._deliver: Callable[[bytes], None] | None = None

    def attach(self, deliver: Callable[[bytes], None]) -> None:
        self._deliver = deliver

    def inject(self, frame: bytes) -> None:
        if self._deliver is None:
            raise PortError(f"port {self.number} ({self.name}) is not started")
        self.stats.rx_packets += 1
        self.stats.rx_bytes += len(frame)
        self._deliver(bytes(frame))

    def transmit(self, frame: bytes) -> None:
        self.stats.tx_packets += 1
        self.stats.tx_bytes += len(frame)
        self._sent.put(frame)

    def recv(self, timeout: float | None = None) -> bytes | None:
        """The next frame the switch sent on this port, or None after ``timeout`` s."""
        try:
            return self._sent.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self) -> list[bytes]:
        out: list[bytes] = []
        while True:
            try:
                out.append(self._sent.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        self._deliver = None


def interface_index(iface: str) -> int:
    """ifindex of ``iface``; PortError if unknown or administratively down."""
    try:
        index = socket.if_nametoindex(iface)
    except OSError:
        raise PortError(f"unknown interface {iface!r} (not in this network namespace)") from None
    flags_path = Path("/sys/class/net") / iface / "flags"
    with contextlib.suppress(OSError, ValueError):
        if not int(flags_path.read_text(), 16) & IFF_UP:
            raise PortError(f"interface {iface!r} is down (ip link set {iface} up)")
    return index


def restore_vlan(data: bytes, ancillary: list[tuple[int, int, bytes]]) -> bytes:
    """Put back the 802.1Q tag the kernel moved into PACKET_AUXDATA, if any."""
    for level, kind, aux in ancillary:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(aux) >= _AUXDATA.size:
            status, _len, _snap, _mac, _net, tci, tpid = _AUXDATA.unpack_from(aux)
            if status & TP_STATUS_VLAN_VALID:
                if not status & TP_STATUS_VLAN_TPID_VALID:
                    tpid = 0x8100
                return data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
    return data


def interface_mtu(iface: str) -> int:
    try:
        return int((Path("/sys/class/net") / iface / "mtu").read_text())
    except (OSError, ValueError):
        return 1500


class InterfacePort:
    """A Linux interface through an AF_PACKET raw socket."""

    def __init__(self, number: int, iface: str, use_ring: bool | None = None) -> None:
        self.number = number
        self.name = iface
        self.stats = PortStats()
        self.ifindex = interface_index(iface)
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        except PermissionError:
            raise PortError(f"interface {iface!r}: raw sockets need root (CAP_NET_RAW)") from None
        self.ring: PacketRing | None = None
        if use_ring is None:  # INALAB_PACKET_RING=0 reads with recvmsg (for comparison)
            use_ring = os.environ.get("INALAB_PACKET_RING", "1") != "0"
        if use_ring:  # before bind: no frame can wait in the socket queue, outside the ring
            try:
                self.ring = PacketRing(sock, interface_mtu(iface))
            except OSError as exc:  # no PACKET_MMAP: read with recvmsg instead
                log.info("interface %s: no receive ring (%s); using recvmsg", iface, exc)
        try:
            sock.bind((iface, ETH_P_ALL))
            with contextlib.suppress(OSError):  # Linux >= 4.20; pkttype is checked anyway
                sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
            # The kernel strips 802.1Q tags into metadata (rx VLAN offload); ask for it
            # so the tag goes back into the frame, as libpcap (and so bmv2) does.
            sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            try:
                sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF_BYTES)
            except OSError:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, RCVBUF_BYTES)
            mreq = struct.pack("iHH8s", self.ifindex, PACKET_MR_PROMISC, 0, b"")
            sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            if self.ring is not None:
                self.ring.close()
            raise PortError(f"interface {iface!r}: {exc.strerror or exc}") from None
        self.sock = sock
        self._warned_size = False

    def fileno(self) -> int:
        return self.sock.fileno()

    def read_ready(self, deliver: Callable[[bytes], None], budget: int = 256) -> None:
        """Read up to ``budget`` frames now available and deliver them."""
        stats = self.stats
        if self.ring is not None:
            frames = self.ring.read(budget)
            if not frames:
                # Woken with nothing in the ring: a socket error (interface down or
                # gone). Reading SO_ERROR clears it, or poll would report it forever.
                err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    log.info("port %d (%s): %s", self.number, self.name, os.strerror(err))
            for data in frames:
                stats.rx_packets += 1
                stats.rx_bytes += len(data)
                deliver(data)
            return
        sock = self.sock
        for _ in range(budget):
            try:
                data, anc, _flags, addr = sock.recvmsg(MAX_FRAME, _ANC_SPACE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.ENETDOWN, errno.ENXIO):
                    return
                raise
            if addr[2] == PACKET_OUTGOING:
                continue
            if anc:
                data = restore_vlan(data, anc)
            stats.rx_packets += 1
            stats.rx_bytes += len(data)
            deliver(data)

    def transmit(self, frame: bytes) -> None:
        try:
            self.sock.send(frame)
        except OSError as exc:
            self.stats.tx_errors += 1
            if exc.errno == errno.EMSGSIZE and not self._warned_size:
                self._warned_size = True
                log.warning(
                    "port %d (%s): %d-byte frame exceeds the MTU and was dropped; turn "
                    "segmentation offloads off on the hosts (ethtool -K IFACE tso off gso off)",
                    self.number,
                    self.name,
                    len(frame),
                )
            else:
                log.debug("port %d (%s): transmit failed: %s", self.number, self.name, exc)
            return
        self.stats.tx_packets += 1
        self.stats.tx_bytes += len(frame)

    def close(self) -> None:
        self.sock.close()
        if self.ring is not None:
            self.ring.close()


class PortSet:
    """Port number -> port, wired to a switch, link impairment and captures."""

    def __init__(
        self,
        switch: SwitchControl,
        impairments: Impairments | None = None,
        pcap: PcapDir | None = None,
        drop_port: int = DEFAULT_DROP_PORT,
    ) -> None:
        self.switch = switch
        self.impairments = impairments if impairments is not None else Impairments()
        self.pcap = pcap
        self.drop_port = drop_port
        self._ports: dict[int, Port] = {}
        self._ingress: dict[int, Callable[[bytes], None]] = {}
        self._egress: dict[int, Callable[[bytes], None]] = {}
        self.tx_unknown_port = 0
        self._selector: selectors.DefaultSelector | None = None
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1
        self._running = False
        self._txq: TxQueue | None = None

    # ------------------------------------------------------------------ set-up
    def _check_new(self, number: int, name: str) -> None:
        if not 0 <= number < 512 or number == self.drop_port:
            raise PortError(
                f"port number {number} out of range (0..511, not the drop port {self.drop_port})"
            )
        if number in self._ports:
            raise PortError(f"port {number} is already bound to {self._ports[number].name!r}")
        for p in self._ports.values():
            if p.name == name:
                raise PortError(f"interface {name!r} is already port {p.number}")

    def add_virtual(self, number: int, name: str | None = None) -> VirtualPort:
        name = name or f"port{number}"
        self._check_new(number, name)
        port = VirtualPort(number, name)
        self._add(port)
        port.attach(self._ingress[number])
        return port

    def add_interface(self, number: int, iface: str) -> InterfacePort:
        self._check_new(number, iface)
        port = InterfacePort(number, iface)
        self._add(port)
        if self._selector is not None:
            self._selector.register(port.sock, selectors.EVENT_READ, port)
        return port

    def _add(self, port: Port) -> None:
        number = port.number
        self._ports[number] = port
        if self.pcap is not None:
            self.pcap.add_port(number, port.name)
        imp = self.impairments
        pcap_in = self.pcap.writer(number, "in") if self.pcap else None
        pcap_out = self.pcap.writer(number, "out") if self.pcap else None
        receive = self.switch.receive

        if pcap_in is None:

            def into_switch(frame: bytes) -> None:
                receive(number, frame)
        else:
            write_in = pcap_in.write

            def into_switch(frame: bytes) -> None:
                write_in(frame)
                receive(number, frame)

        def ingress(frame: bytes) -> None:
            imp.pass_frame(number, "ingress", frame, into_switch)

        send = port.transmit
        if isinstance(port, InterfacePort):

            def transmit(frame: bytes) -> None:
                txq = self._txq
                if txq is None:
                    send(frame)
                else:
                    txq.put(send, frame)
        else:
            transmit = send

        def egress(frame: bytes) -> None:
            if pcap_out is not None:
                pcap_out.write(frame)
            imp.pass_frame(number, "egress", frame, transmit)

        self._ingress[number] = ingress
        self._egress[number] = egress

    # ------------------------------------------------------------------ running
    def ports(self) -> dict[int, Port]:
        return dict(sorted(self._ports.items()))

    def port(self, number: int) -> Port:
        try:
            return self._ports[number]
        except KeyError:
            raise PortError(f"no port {number}") from None

    def _transmit(self, port: int, frame: bytes) -> None:
        egress = self._egress.get(port)
        if egress is None:
            self.tx_unknown_port += 1
            return
        egress(frame)

    def start(self) -> None:
        """Take the switch's transmit handler and start reading interfaces."""
        self.switch.set_transmit_handler(self._transmit)
        if self._running:
            return
        self._running = True
        if any(isinstance(p, InterfacePort) for p in self._ports.values()):
            self._txq = TxQueue()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        for port in self._ports.values():
            if isinstance(port, InterfacePort):
                self._selector.register(port.sock, selectors.EVENT_READ, port)
        self._thread = threading.Thread(target=self._rx_loop, name="inalab-ports-rx", daemon=True)
        self._thread.start()

    def _rx_loop(self) -> None:
        selector = self._selector
        assert selector is not None
        ingress = self._ingress
        while self._running:
            for key, _ in selector.select(timeout=1.0):
                port = key.data
                if port is None:
                    with contextlib.suppress(OSError):
                        os.read(self._wake_r, 64)
                    continue
                try:
                    port.read_ready(ingress[port.number])
                except Exception:
                    log.exception("port %d (%s): receive failed", port.number, port.name)

    def stop(self) -> None:
        """Stop reading, then close sockets and captures."""
        self.stop_receiving()
        self.close()

    def stop_receiving(self) -> None:
        """Stop the receive thread and the delay timer (the switch may still transmit)."""
        if self._running:
            self._running = False
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")
            if self._thread is not None:
                self._thread.join(timeout=3)
            assert self._selector is not None
            self._selector.close()
            os.close(self._wake_r)
            os.close(self._wake_w)
            self._selector = None
        self.impairments.stop()

    def close(self) -> None:
        """Close the ports' sockets and the captures; frames sent afterwards are dropped."""
        self.switch.set_transmit_handler(lambda port, frame: None)
        txq, self._txq = self._txq, None
        if txq is not None:
            txq.close()
            if txq.dropped:
                log.info("%d frames dropped with the transmit queue full", txq.dropped)
        for port in self._ports.values():
            port.close()
        if self.pcap is not None:
            self.pcap.close()

    def stats(self) -> dict[int, PortStats]:
        return {n: p.stats for n, p in sorted(self._ports.items())}
