"""The controller's P4Info index: the shared :mod:`inalab.p4info` index, looked up
by name (``names.py`` constants), reporting a missing name as a P4InfoError."""

from __future__ import annotations

from p4.config.v1 import p4info_pb2

from inalab.controller.errors import P4InfoError
from inalab.p4info import index
from inalab.p4info.errors import ErrorPolicy
from inalab.p4info.model import ArrayInfo

CONTROLLER_ERRORS = ErrorPolicy(not_found=P4InfoError, invalid=P4InfoError)


class ControllerP4Info(index.P4InfoIndex):
    """The index plus what the controller knows of the INA program's layout."""

    @classmethod
    def of(cls, info: p4info_pb2.P4Info) -> ControllerP4Info:
        """Index ``info`` as a controller (no bmv2 JSON: P4Info names and order)."""
        return cls.build(info, errors=CONTROLLER_ERRORS)

    def value_registers(self) -> list[ArrayInfo]:
        """The per-lane value registers ``value_reg_<lane>``, lane order (their count is K)."""
        regs = [r for r in self.registers.values() if ".value_reg_" in r.name]
        return sorted(regs, key=lambda r: int(r.name.rsplit("_", 1)[1]))
