"""A management network: how processes on Mininet hosts reach a service of the
testbed process (the controller's HTTP API).

Mininet hosts live in network namespaces: the root namespace's loopback is not
theirs, and their only data interface leads to a switch. The management network
is a Linux bridge in the root namespace holding ``MGMT_GATEWAY`` (the address the
service listens on) and one veth pair per host, its inner end ``mgmt0`` in the
host's namespace with an address of ``MGMT_NET``. Control traffic thus never
crosses the P4 switches (out-of-band, as a real cluster's management network)
and the measured data paths stay untouched.
"""

from __future__ import annotations

import ipaddress
import subprocess
from collections.abc import Sequence
from typing import Any

from inalab.scenarios.errors import ScenarioError

MGMT_NET = ipaddress.ip_network("10.254.0.0/16")
MGMT_GATEWAY = "10.254.0.1"
HOST_IFACE = "mgmt0"


def _ip(*args: str) -> None:
    r = subprocess.run(["ip", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise ScenarioError(f"management network: ip {' '.join(args)}: {r.stderr.strip()}")


class ManagementNet:
    """Bridge ``bridge`` with the gateway address, a veth per host (``<host>-mg``)."""

    def __init__(self, bridge: str) -> None:
        if len(bridge) > 15:
            raise ScenarioError(f"management bridge name {bridge!r}: longer than 15 characters")
        self.bridge = bridge
        self.links: list[str] = []
        self.addresses: dict[str, str] = {}

    def start(self, hosts: Sequence[tuple[str, Any]]) -> ManagementNet:
        """``hosts``: (name, Mininet host) pairs; each gets an address on the bridge."""
        listed = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True).stdout
        if f" {MGMT_GATEWAY}/" in listed:
            raise ScenarioError(
                f"management network: {MGMT_GATEWAY} already in use (another testbed running?)"
            )
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
            self.links.append(self.bridge)
            _ip("addr", "add", f"{MGMT_GATEWAY}/{MGMT_NET.prefixlen}", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
            for i, (name, node) in enumerate(hosts):
                outer = f"{name}-mg"
                if len(outer) > 15:
                    raise ScenarioError(f"management network: host name {name!r} too long")
                addr = str(MGMT_NET.network_address + 2 + i)
                _ip("link", "add", outer, "type", "veth", "peer", "name", HOST_IFACE,
                    "netns", str(node.pid))  # fmt: skip
                self.links.append(outer)
                _ip("link", "set", outer, "master", self.bridge, "up")
                node.cmd(f"ip addr add {addr}/{MGMT_NET.prefixlen} dev {HOST_IFACE}")
                node.cmd(f"ip link set {HOST_IFACE} up")
                self.addresses[name] = addr
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Delete the veths (their inner ends go with them) and the bridge."""
        for link in reversed(self.links):
            subprocess.run(["ip", "link", "del", link], capture_output=True)
        self.links.clear()
        self.addresses.clear()
