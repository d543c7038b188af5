"""inalab.topologies: Mininet topologies as data, and the glue that runs them.

- :mod:`~inalab.topologies.spec`: ``Topology``, ``HostSpec``, ``SwitchSpec``, ``Link``
  (frozen, self-validating); :mod:`~inalab.topologies.loader`: JSON/YAML files;
  :mod:`~inalab.topologies.builders`: ``single_rack``, ``leaf_spine``, ``multi_rack``;
  :mod:`~inalab.topologies.paths`: equal-cost next hops.
- :mod:`~inalab.topologies.net`: ``InaNetwork`` (Mininet, root) with
  :mod:`~inalab.topologies.p4switch`'s ``P4Switch`` / ``P4Host``;
  :mod:`~inalab.topologies.cleanup`: ``inalab-clean``.

Importing this package does not import Mininet; ``net`` and ``p4switch`` do.
See docs/topologies.md.
"""

from __future__ import annotations

from inalab.topologies.builders import leaf_spine, multi_rack, single_rack
from inalab.topologies.errors import TopologiesError, TopologyError
from inalab.topologies.loader import load_topology, save_topology
from inalab.topologies.spec import HostSpec, Link, LinkProfile, SwitchSpec, Topology

__all__ = [
    "HostSpec",
    "Link",
    "LinkProfile",
    "SwitchSpec",
    "TopologiesError",
    "Topology",
    "TopologyError",
    "leaf_spine",
    "load_topology",
    "multi_rack",
    "save_topology",
    "single_rack",
]
