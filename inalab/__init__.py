"""inalab: in-network aggregation lab.

Subpackages, one per part of the system:

- ``inalab.compiler``   P4_16 -> bmv2 JSON + P4Info (``inalab-p4c``)
- ``inalab.switch``     bmv2-JSON switch with simple_switch semantics (``inalab-switch``),
  its ports, traffic manager, link impairment and P4Runtime server
- ``inalab.stf``        p4c's STF test runner (``inalab-stf``)
- ``inalab.protocol``   the INA packet format: one definition for P4, codec and scapy
- ``inalab.hosts``      worker agents and parameter server
- ``inalab.controller`` P4Runtime controller and job manager
- ``inalab.topologies`` Mininet topologies and glue
"""

__version__ = "0.1.0"
