"""Network namespaces with veth links to the root namespace, for tests and
benchmarks of the switch on real interfaces (needs root).

:class:`VethLab` makes ``n`` hosts: namespace ``<tag>h<i>`` holding
``<tag>h<i>`` (the host end, with MAC ``02:00:00:00:<tag>:<i>`` and IPv4
10.0.<i>.1/24 by default) linked to ``<tag>s<i>`` in the root namespace, the
end a switch binds to. IPv6 is off on both ends so no neighbour discovery
traffic mixes into what a test counts. :func:`ns_socket` opens an
``AF_PACKET`` socket inside a namespace from this process (``setns`` in a
short-lived thread), so a test sends and captures frames without starting
processes. Everything is removed by :meth:`VethLab.close`.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import socket
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from inalab.switch.io_errors import PortError

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003


def _ip(*args: str, ns: str | None = None) -> None:
    cmd = ["ip", *args] if ns is None else ["ip", "netns", "exec", ns, "ip", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise PortError(f"{' '.join(cmd)}: {r.stderr.strip()}")


def _sysctl(key: str, value: str, ns: str | None = None) -> None:
    path = Path("/proc/sys") / key.replace(".", "/")
    if ns is None:
        path.write_text(value)
        return
    subprocess.run(
        ["ip", "netns", "exec", ns, "sysctl", "-qw", f"{key}={value}"],
        capture_output=True,
        check=False,
    )


@dataclass(frozen=True)
class VethHost:
    index: int
    ns: str
    host_iface: str  # inside ns
    switch_iface: str  # in the root namespace
    mac: str
    ip: str


def ns_socket(ns: str, iface: str, rcvbuf: int = 4 << 20) -> socket.socket:
    """A raw AF_PACKET socket bound to ``iface`` inside namespace ``ns``."""
    result: list[socket.socket | BaseException] = []

    def inside() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        try:
            fd = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns({ns})")
            finally:
                os.close(fd)
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            s.bind((iface, ETH_P_ALL))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            result.append(s)
        except BaseException as exc:
            result.append(exc)

    t = threading.Thread(target=inside)
    t.start()
    t.join()
    out = result[0]
    if isinstance(out, BaseException):
        raise PortError(f"namespace {ns} interface {iface}: {out}")
    return out


class VethLab:
    """``n`` namespaces, each linked by a veth pair to the root namespace."""

    def __init__(self, n: int, tag: str | None = None, mtu: int = 1500) -> None:
        self.tag = tag or f"il{secrets.token_hex(2)}"
        if len(self.tag) > 10:
            raise PortError(f"tag {self.tag!r} too long for interface names")
        self.hosts: list[VethHost] = []
        try:
            for i in range(1, n + 1):
                self._add(i, mtu)
        except BaseException:
            self.close()
            raise

    def _add(self, i: int, mtu: int) -> None:
        ns, h, s = f"{self.tag}h{i}", f"{self.tag}h{i}", f"{self.tag}s{i}"
        mac = f"02:00:00:00:{int(self.tag[-2:], 16):02x}:{i:02x}"
        ip = f"10.0.{i}.1"
        _ip("netns", "add", ns)
        self.hosts.append(VethHost(i, ns, h, s, mac, ip))
        _ip("link", "add", s, "mtu", str(mtu), "type", "veth", "peer", "name", h, "netns", ns)
        _sysctl(f"net.ipv6.conf.{s}.disable_ipv6", "1")
        _sysctl(f"net.ipv6.conf.{h}.disable_ipv6", "1", ns=ns)
        _ip("link", "set", h, "address", mac, "mtu", str(mtu), "up", ns=ns)
        _ip("addr", "add", f"{ip}/24", "dev", h, ns=ns)
        _ip("link", "set", "lo", "up", ns=ns)
        _ip("link", "set", s, "up")

    def socket(self, i: int) -> socket.socket:
        """An AF_PACKET socket on host ``i``'s interface (inside its namespace)."""
        h = self.hosts[i - 1]
        return ns_socket(h.ns, h.host_iface)

    def close(self) -> None:
        for h in self.hosts:
            subprocess.run(["ip", "link", "del", h.switch_iface], capture_output=True, check=False)
            subprocess.run(["ip", "netns", "del", h.ns], capture_output=True, check=False)
        self.hosts = []

    def __enter__(self) -> VethLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
