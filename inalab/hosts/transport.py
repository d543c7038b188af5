"""How a worker's INA payloads reach the aggregator: a small interface and two transports.

:class:`Transport` is all the worker needs (send a payload with a TOS byte on
a path, receive a payload), so the same agent runs over UDP sockets (to a PS on
loopback, or through the switch on a Mininet host's NIC) or in-process.
"""

from __future__ import annotations

import contextlib
import queue
import select
import socket
from collections.abc import Callable
from typing import Protocol

from inalab.hosts.errors import ConfigError
from inalab.protocol import format as fmt

RCVBUF_BYTES = 8 << 20
_FLAGS_AT = fmt.offset("flags")
_ECN_ECHO = int(fmt.Flag.ECN_ECHO)


def fold_ce(payload: bytes, tos: int) -> bytes:
    """A payload that arrived IP ECN-CE marked gets its ECN_ECHO flag set, so the worker
    backs off for congestion on the result's own path as well as on the contributions'."""
    if tos & 0x3 != fmt.ECN_CE or len(payload) <= _FLAGS_AT:
        return payload
    b = bytearray(payload)
    b[_FLAGS_AT] |= _ECN_ECHO
    return bytes(b)


class Transport(Protocol):
    """Send and receive INA payloads (UDP payloads: header + values)."""

    @property
    def paths(self) -> int:
        """How many distinct source ports (ECMP paths) ``send`` can choose from."""
        ...

    def send(self, payload: bytes, tos: int, path: int) -> None:
        """Send one payload with IPv4 TOS byte ``tos`` from path ``path % paths``."""
        ...

    def recv(self, timeout: float) -> bytes | None:
        """One received payload, or None when nothing arrives within ``timeout`` seconds.
        A payload that arrived ECN-CE marked comes with ECN_ECHO set (:func:`fold_ce`)."""
        ...

    def close(self) -> None: ...


_CMSG_SPACE = socket.CMSG_SPACE(4)


class UdpTransport:
    """UDP sockets, one per path (distinct source ports), all sending to ``server``."""

    def __init__(
        self,
        server: tuple[str, int],
        paths: int = 1,
        local_host: str = "0.0.0.0",
        local_port: int = 0,
    ) -> None:
        self._server = server
        self._socks: list[socket.socket] = []
        self._tos: list[int] = []
        try:
            for i in range(paths):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self._socks.append(s)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)
                s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
                s.bind((local_host, local_port + i if local_port else 0))
                s.setblocking(False)
                self._tos.append(-1)
        except OSError as e:
            self.close()
            raise ConfigError(
                f"cannot bind UDP {local_host}:{local_port or 'ephemeral'} (+{paths}): {e.strerror}"
            ) from None
        self._next_rx = 0

    @property
    def paths(self) -> int:
        return len(self._socks)

    @property
    def local_ports(self) -> list[int]:
        return [s.getsockname()[1] for s in self._socks]

    def send(self, payload: bytes, tos: int, path: int) -> None:
        i = path % len(self._socks)
        s = self._socks[i]
        if self._tos[i] != tos:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
            self._tos[i] = tos
        # a full buffer or an ICMP error is packet loss; the timers recover
        with contextlib.suppress(BlockingIOError, ConnectionRefusedError):
            s.sendto(payload, self._server)

    def recv(self, timeout: float) -> bytes | None:
        # poll every socket without blocking first (round-robin for fairness)
        n = len(self._socks)
        for k in range(n):
            i = (self._next_rx + k) % n
            data = self._read(self._socks[i])
            if data is not None:
                self._next_rx = (i + 1) % n
                return data
        if timeout <= 0:
            return None
        ready, _, _ = select.select(self._socks, [], [], timeout)
        for s in ready:
            data = self._read(s)
            if data is not None:
                return data
        return None

    @staticmethod
    def _read(s: socket.socket) -> bytes | None:
        try:
            data, anc, _flags, _src = s.recvmsg(65535, _CMSG_SPACE)
        except (BlockingIOError, ConnectionRefusedError):
            return None
        for level, typ, cdata in anc:
            if level == socket.IPPROTO_IP and typ == socket.IP_TOS and cdata:
                return fold_ce(data, cdata[0])
        return data

    def close(self) -> None:
        for s in self._socks:
            s.close()
        self._socks = []


class QueueTransport:
    """In-process transport: ``deliver(payload, tos, path)`` carries sends; the other side
    puts replies with :meth:`put`. Thread-safe."""

    def __init__(self, deliver: Callable[[bytes, int, int], None], paths: int = 1) -> None:
        self._deliver = deliver
        self._paths = paths
        self._inbox: queue.Queue[bytes] = queue.Queue()

    @property
    def paths(self) -> int:
        return self._paths

    def put(self, payload: bytes) -> None:
        self._inbox.put(payload)

    def send(self, payload: bytes, tos: int, path: int) -> None:
        self._deliver(payload, tos, path % self._paths)

    def recv(self, timeout: float) -> bytes | None:
        try:
            if timeout <= 0:
                return self._inbox.get_nowait()
            return self._inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        pass
