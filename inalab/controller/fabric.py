"""Every switch of a topology under P4Runtime control: connections as primary,
pipeline push from build/ (when the switch's cookie differs), and the desired
state per switch (network + jobs) kept in sync with what the switch holds.

The controller's view is what it last read or successfully wrote: when a switch
refuses a write, the switch is read back, so the view never holds entries the
switch does not have."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from p4.config.v1 import p4info_pb2
from p4.v1.p4runtime_pb2 import Entity, Update

from inalab.controller.connection import SwitchConnection
from inalab.controller.entities import Builder
from inalab.controller.errors import ConfigError, SwitchError, WriteError
from inalab.controller.names import ActionProfile, Register
from inalab.controller.network import NetworkSettings, network_entities
from inalab.controller.p4info import ControllerP4Info
from inalab.controller.reconcile import Diff, Key, apply, diff, index_entities, read_state
from inalab.p4info.errors import P4InfoFileError
from inalab.p4info.files import load_p4info
from inalab.topologies.spec import Topology


@dataclass(frozen=True)
class Pipeline:
    """A compiled program: bmv2 JSON bytes and its P4Info; the cookie identifies it."""

    device_config: bytes
    p4info: p4info_pb2.P4Info

    @property
    def cookie(self) -> int:
        h = hashlib.sha256(self.device_config + self.p4info.SerializeToString(deterministic=True))
        return int.from_bytes(h.digest()[:8], "big") >> 1

    @classmethod
    def load(cls, json_path: str | Path, p4info_path: str | Path) -> Pipeline:
        try:
            data = Path(json_path).read_bytes()
        except OSError as e:
            raise ConfigError(f"{json_path}: cannot read bmv2 JSON: {e.strerror}") from None
        try:
            return cls(data, load_p4info(p4info_path))
        except P4InfoFileError as e:
            raise ConfigError(str(e)) from None


class Fabric:
    """Connections to every P4 switch of ``topo`` and their desired state."""

    def __init__(
        self,
        topo: Topology,
        pipeline: Pipeline,
        *,
        addresses: Mapping[str, str] | None = None,
        election_id: tuple[int, int] = (0, 1),
        settings: NetworkSettings | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.topo = topo
        self.pipeline = pipeline
        self.index = ControllerP4Info.of(pipeline.p4info)
        self.builder = Builder(self.index)
        self.slots = self.index.register(Register.BITMAP_REG).size // 2
        self.lock = threading.RLock()
        addresses = dict(addresses or {})
        unknown = set(addresses) - {s.name for s in topo.switches}
        if unknown:
            raise ConfigError(f"addresses given for unknown switch(es) {sorted(unknown)}")
        self.conns: dict[str, SwitchConnection] = {}
        self._network: dict[str, dict[Key, Entity]] = {}
        for sw in topo.switches:  # program None (--no-p4): the pipeline push installs it
            addr = addresses.get(sw.name, f"127.0.0.1:{sw.grpc_port}")
            self.conns[sw.name] = SwitchConnection(
                sw.name, addr, sw.device_id, election_id, timeout, self.builder.describe
            )
            self._network[sw.name] = index_entities(
                network_entities(topo, sw.name, self.builder, settings)
            )
        self._jobs: dict[str, dict[Key, Entity]] = {n: {} for n in self.conns}
        self._installed: dict[str, dict[Key, Entity] | None] = dict.fromkeys(self.conns)
        self._last_attempt: dict[str, float] = {}
        self._last_error: dict[str, str] = {}

    @property
    def switches(self) -> list[str]:
        return list(self.conns)

    def desired(self, switch: str) -> dict[Key, Entity]:
        return {**self._network[switch], **self._jobs[switch]}

    # ------------------------------------------------------------------ connections
    def connect(self, switch: str) -> Diff:
        """Become primary, push the pipeline if the switch runs another one (or none),
        and reconcile: read what it has, write what is missing, delete the rest."""
        with self.lock:
            conn = self.conns[switch]
            self._installed[switch] = None
            conn.connect()
            if conn.pipeline_cookie() != self.pipeline.cookie:
                conn.set_pipeline(
                    self.pipeline.p4info, self.pipeline.device_config, self.pipeline.cookie
                )
            return self.reconcile(switch)

    def connect_all(self) -> dict[str, Diff]:
        return {name: self.connect(name) for name in self.conns}

    def ensure_connected(self, retry_after: float = 2.0) -> dict[str, str]:
        """Reconnect (and reconcile) switches whose stream ended, each at most every
        ``retry_after`` seconds; returns the errors by switch."""
        errors = {}
        now = time.monotonic()
        for name, conn in self.conns.items():
            if conn.is_primary and self._installed[name] is not None:
                continue
            if now - self._last_attempt.get(name, -math.inf) < retry_after:
                errors[name] = self._last_error.get(name, "reconnecting")
                continue
            self._last_attempt[name] = now
            try:
                self.connect(name)
                self._last_error.pop(name, None)
            except SwitchError as e:
                errors[name] = self._last_error[name] = str(e)
        return errors

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()

    # ------------------------------------------------------------------ state
    def reconcile(self, switch: str) -> Diff:
        with self.lock:
            conn = self.conns[switch]
            actual = read_state(conn, self.builder, [ActionProfile.ECMP_SELECTOR])
            d = diff(self.desired(switch), actual)
            self._apply(switch, d)
            return d

    def _apply(self, switch: str, d: Diff) -> None:
        conn = self.conns[switch]
        try:
            apply(conn, d)
        except WriteError:
            self._installed[switch] = read_state(conn, self.builder, [ActionProfile.ECMP_SELECTOR])
            raise
        self._installed[switch] = self.desired(switch)

    def set_jobs(self, per_switch: Mapping[str, Iterable[Entity]]) -> dict[str, Diff]:
        """Make the job entities of every switch exactly ``per_switch`` (absent = none)
        and write the difference. Raises the first WriteError after trying every switch."""
        with self.lock:
            unknown = set(per_switch) - set(self.conns)
            if unknown:
                raise ConfigError(f"job entities for unknown switch(es) {sorted(unknown)}")
            diffs: dict[str, Diff] = {}
            first: SwitchError | None = None
            for name in self.conns:
                self._jobs[name] = index_entities(per_switch.get(name, ()))
                installed = self._installed[name]
                if installed is None:
                    continue  # not connected: reconciled on (re)connection
                d = diff(self.desired(name), installed)
                if d.empty:
                    continue
                try:
                    self._apply(name, d)
                    diffs[name] = d
                except SwitchError as e:
                    first = first or e
            if first is not None:
                raise first
            return diffs

    def write_registers(self, switch: str, cells: list[Entity]) -> None:
        with self.lock:
            self.conns[switch].write([Update(type=Update.MODIFY, entity=e) for e in cells])

    def read(self, switch: str, queries: list[Entity]) -> list[Entity]:
        with self.lock:
            return list(self.conns[switch].read(queries))

    def installed(self, switch: str) -> dict[Key, Entity] | None:
        """What the controller believes the switch holds (None: not connected)."""
        return self._installed[switch]

    def read_back(self, switch: str) -> dict[Key, Entity]:
        with self.lock:
            return read_state(self.conns[switch], self.builder, [ActionProfile.ECMP_SELECTOR])
