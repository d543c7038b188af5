"""Link impairments done by the switches, for kernels without tc netem.

For each switch, :func:`switch_impairment` turns the impairments of its links
into the switch's ``--impairment FILE.json`` format (``inalab.switch.impairment
.ImpairmentConfig``: ``{"seed": N, "ports": {"1": {"egress": {...}}}}``):

- a switch-switch link is impaired on the *egress* of both ends, so each
  direction is impaired once;
- a host-switch link is impaired on *both* directions of the switch's port
  (ingress = host to switch, egress = switch to host), since hosts run no
  switch.

Percentages of the topology become the switch's probabilities. Without netem
:func:`switch_impairment` includes delay, jitter, loss, duplication and
reordering; with netem (``netem=True``) the tc path does all of them and the
switch impairs nothing.
"""

from __future__ import annotations

from typing import Any

from inalab.topologies.spec import LinkProfile, Topology


def _as_switch_impairment(p: LinkProfile) -> dict[str, float]:
    out: dict[str, float] = {}
    if p.delay_ms:
        out["delay_ms"] = float(p.delay_ms)
    if p.jitter_ms:
        out["jitter_ms"] = float(p.jitter_ms)
    if p.loss_pct:
        out["loss"] = p.loss_pct / 100.0
    if p.duplicate_pct:
        out["duplicate"] = p.duplicate_pct / 100.0
    if p.reorder_pct:
        out["reorder"] = p.reorder_pct / 100.0
    return out


def switch_seed(seed: int, device_id: int) -> int:
    """Each switch's own seed, so two switches do not draw the same numbers."""
    return (seed * 1_000_003 + device_id) % 2**32


def switch_impairment(topo: Topology, switch: str, seed: int, netem: bool) -> dict[str, Any] | None:
    """The impairment file's content for one switch, or None if it impairs nothing."""
    if netem:
        return None
    hosts = {h.name for h in topo.hosts}
    ports: dict[str, dict[str, dict[str, float]]] = {}
    for port, peer in sorted(topo.switch_ports(switch).items()):
        settings = _as_switch_impairment(peer.link.profile)
        if not settings:
            continue
        direction = "both" if peer.node in hosts else "egress"
        ports[str(port)] = {direction: settings}
    if not ports:
        return None
    return {"seed": switch_seed(seed, topo.switch(switch).device_id), "ports": ports}
