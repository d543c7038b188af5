"""tc on Mininet interfaces: queue limits, and netem where the kernel has it.

Mininet's ``TCLink`` sets the rate (htb class ``5:1`` under root ``5:0``).
Its own delay/loss path needs ``sch_netem``, which some kernels (this
project's CI among them) do not have, and its ``max_queue_size`` is a netem
option too. So inalab gives TCLink only ``bw`` and adds, below the htb class
(or at the root when there is no rate), either

- ``netem`` with delay, jitter, loss, duplication, reordering and ``limit``
  when :func:`netem_available` (e.g. in the Vagrant VM), or
- ``pfifo limit N`` for the queue limit, the impairments then being done by
  the switch (:mod:`inalab.topologies.impairment`).
"""

from __future__ import annotations

import functools
import os
import subprocess

from inalab.topologies.spec import LinkProfile

NETEM_ENV = "INALAB_NETEM"  # "0"/"1" forces the answer (e.g. to test the switch path)


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False)


@functools.cache
def _probe_netem() -> bool:
    # A veth pair rather than a dummy interface: some kernels lack the dummy driver.
    name = f"inalnt{os.getpid() % 100000}"
    if _run(["ip", "link", "add", name, "type", "veth", "peer", "name", f"{name}p"]).returncode:
        return False
    try:
        return (
            _run(["tc", "qdisc", "add", "dev", name, "root", "netem", "delay", "1ms"]).returncode
            == 0
        )
    finally:
        _run(["ip", "link", "del", name])


def netem_available() -> bool:
    """Whether tc netem works on this kernel (probed once on a throw-away veth).

    ``INALAB_NETEM=0`` or ``=1`` overrides the probe. Without root the probe
    fails and the answer is False."""
    forced = os.environ.get(NETEM_ENV)
    if forced in ("0", "1"):
        return forced == "1"
    return _probe_netem()


def netem_args(profile: LinkProfile) -> list[str]:
    """netem options for a link's impairments and queue limit ([] if none)."""
    args: list[str] = []
    if profile.delay_ms:
        args += ["delay", f"{profile.delay_ms}ms"]
        if profile.jitter_ms:
            args.append(f"{profile.jitter_ms}ms")
    if profile.loss_pct:
        args += ["loss", f"{profile.loss_pct}%"]
    if profile.duplicate_pct:
        args += ["duplicate", f"{profile.duplicate_pct}%"]
    if profile.reorder_pct:
        args += ["reorder", f"{profile.reorder_pct}%"]
    if args or profile.queue_pkts:
        args += ["limit", str(profile.queue_pkts or 1000)]
    return args


def child_qdisc_command(intf: str, profile: LinkProfile, use_netem: bool) -> list[str] | None:
    """The ``tc qdisc add`` argv to put below TCLink's rate class, or None.

    With ``use_netem`` the link's impairments go into netem; otherwise only the
    queue limit becomes a pfifo (the switch impairs)."""
    parent = ["parent", "5:1"] if profile.bw_mbit else ["root"]
    if use_netem:
        args = netem_args(profile)
        if not args:
            return None
        return ["tc", "qdisc", "replace", "dev", intf, *parent, "handle", "10:", "netem", *args]
    if profile.queue_pkts is None:
        return None
    return [
        "tc",
        "qdisc",
        "replace",
        "dev",
        intf,
        *parent,
        "handle",
        "10:",
        "pfifo",
        "limit",
        str(profile.queue_pkts),
    ]
