"""One running switch process: the core, its ports, link impairment, captures,
the runtime-control channel and the P4Runtime server, started and stopped in
order. ``inalab-switch`` (cli.py) builds a :class:`SwitchOptions` from its
flags and runs a :class:`SwitchProcess`; tests and benchmarks can do the same
in-process.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from inalab.switch.control import SwitchControl
from inalab.switch.impairment import Direction, Impairment, ImpairmentConfig, Impairments
from inalab.switch.io_errors import SwitchIOError, UsageError
from inalab.switch.pcap import PcapDir
from inalab.switch.ports import DEFAULT_DROP_PORT, PortSet, interface_index

log = logging.getLogger("inalab.switch")

DEFAULT_GRPC_ADDR = "0.0.0.0:9559"  # simple_switch_grpc's default
DEFAULT_RUNTIME_PORT = 9090  # bmv2's thrift port; our line-based control channel


class StartupError(SwitchIOError):
    """The switch could not start; the message is the one line the CLI prints."""


class _Stoppable(Protocol):
    def stop(self) -> None: ...


@dataclass(frozen=True)
class SwitchOptions:
    """Everything ``inalab-switch`` was asked to do, validated."""

    json_path: Path | None  # None: --no-p4
    interfaces: tuple[tuple[int, str], ...] = ()
    device_id: int = 0
    pcap_dir: Path | None = None
    seed: int | None = None
    impairment: ImpairmentConfig = field(default_factory=ImpairmentConfig)
    queue_depth: int | None = None
    queue_rate: float | None = None
    drop_port: int = DEFAULT_DROP_PORT
    priority_queues: int = 1
    cpu_port: int | None = None
    grpc_addr: str | None = DEFAULT_GRPC_ADDR  # None: no P4Runtime server
    grpc_request_log: Path | None = None
    runtime_addr: tuple[str, int] | None = ("127.0.0.1", DEFAULT_RUNTIME_PORT)
    runtime_addr_explicit: bool = False

    def __post_init__(self) -> None:
        ports = [p for p, _ in self.interfaces]
        names = [n for _, n in self.interfaces]
        for p in ports:
            if ports.count(p) > 1:
                raise UsageError(f"port {p} given twice with -i")
        for n in names:
            if names.count(n) > 1:
                raise UsageError(f"interface {n!r} given twice with -i")
        if not 0 <= self.drop_port < 512:
            raise UsageError(f"--drop-port {self.drop_port}: must be in 0..511")
        if not 1 <= self.priority_queues <= 8:
            raise UsageError(f"--priority-queues {self.priority_queues}: must be in 1..8")
        if self.queue_depth is not None and self.queue_depth < 1:
            raise UsageError(f"--queue-depth {self.queue_depth}: must be >= 1")
        if self.queue_rate is not None and self.queue_rate <= 0:
            raise UsageError(f"--queue-rate {self.queue_rate}: must be > 0 packets/s")

    @property
    def effective_seed(self) -> int:
        if self.seed is not None:
            return self.seed
        return self.impairment.seed if self.impairment.seed is not None else 0


def make_core(options: SwitchOptions) -> SwitchControl:
    """A ``inalab.switch.core.Switch`` given the options its constructor accepts."""
    try:
        core = importlib.import_module("inalab.switch.core")
    except ImportError as exc:
        raise StartupError(f"the switch core is not available: {exc}") from None
    cls = core.Switch
    wanted: dict[str, Any] = {
        "device_id": options.device_id,
        "drop_port": options.drop_port,
        "priority_queues": options.priority_queues,
        "cpu_port": options.cpu_port,
        "seed": options.effective_seed,
    }
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    kwargs = {k: v for k, v in wanted.items() if k in params and v is not None}
    switch: SwitchControl = cls(**kwargs)
    return switch


class SwitchProcess:
    """Start: core, program, ports, impairment, captures, control servers. Stop: reverse."""

    def __init__(self, options: SwitchOptions, switch: SwitchControl | None = None) -> None:
        self.options = options
        self.switch = switch
        self.ports: PortSet | None = None
        self.impairments = Impairments(seed=options.effective_seed)
        self.runtime_server: _Stoppable | None = None
        self.runtime_bound: tuple[str, int] | None = None
        self.grpc_server: _Stoppable | None = None
        self._started_core = False

    # ------------------------------------------------------------------ start
    def start(self) -> None:
        """Bring everything up; on failure, undo what was done and raise StartupError."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        opts = self.options
        program_text: str | None = None
        if opts.json_path is not None:
            try:
                program_text = opts.json_path.read_text()
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                raise StartupError(f"{opts.json_path}: cannot read JSON config: {reason}") from None
        for _, iface in opts.interfaces:
            interface_index(iface)  # unknown / down interface: fail before anything starts
        if self.switch is None:
            self.switch = make_core(opts)
        switch = self.switch
        if program_text is not None:
            from inalab.switch.errors import JsonError

            try:
                switch.load_program(program_text)
            except JsonError as exc:
                raise StartupError(f"{opts.json_path}: {exc}") from None
        self.impairments.apply_config(opts.impairment)
        pcap = PcapDir(opts.pcap_dir) if opts.pcap_dir is not None else None
        self.ports = PortSet(switch, self.impairments, pcap, drop_port=opts.drop_port)
        for number, iface in opts.interfaces:
            self.ports.add_interface(number, iface)
        if opts.queue_depth is not None:
            switch.set_queue_depth(opts.queue_depth)
        if opts.queue_rate is not None:
            switch.set_queue_rate(opts.queue_rate)
        start = getattr(switch, "start", None)
        if callable(start):
            start()
            self._started_core = True
        self.ports.start()
        if opts.runtime_addr is not None:
            self._start_runtime(opts.runtime_addr)
        if opts.grpc_addr is not None:
            self._start_grpc(opts.grpc_addr)

    def _start_runtime(self, addr: tuple[str, int]) -> None:
        from inalab.switch.io_control_server import ControlServer

        try:
            server = ControlServer(self, addr)
        except OSError as exc:
            msg = f"runtime control channel {addr[0]}:{addr[1]}: cannot listen: {exc.strerror}"
            if self.options.runtime_addr_explicit:
                raise StartupError(msg) from None
            log.warning("%s (continuing without it; pass --thrift-port to choose)", msg)
            return
        server.start()
        self.runtime_server = server
        self.runtime_bound = server.address

    def _start_grpc(self, addr: str) -> None:
        try:
            server_mod = importlib.import_module("inalab.switch.p4runtime.server")
        except ImportError as exc:
            raise StartupError(
                f"the P4Runtime server is not available ({exc}); start with --no-grpc"
            ) from None
        assert self.switch is not None
        try:
            self.grpc_server = server_mod.start_server(
                self.switch,
                addr,
                device_id=self.options.device_id,
                cpu_port=self.options.cpu_port,
                request_log=self.options.grpc_request_log,
            )
        except (OSError, RuntimeError) as exc:
            raise StartupError(f"P4Runtime server: {exc}") from None

    # ------------------------------------------------------------------ run-time
    def set_impairment(self, port: int, direction: Direction, imp: Impairment) -> None:
        self.impairments.set(port, direction, imp)

    # ------------------------------------------------------------------ stop
    def stop(self) -> None:
        for server in (self.grpc_server, self.runtime_server):
            if server is not None:
                with contextlib.suppress(Exception):
                    server.stop()
        self.grpc_server = self.runtime_server = None
        if self.ports is not None:
            self.ports.stop_receiving()
        else:
            self.impairments.stop()
        if self._started_core and self.switch is not None:
            stop = getattr(self.switch, "stop", None)
            if callable(stop):
                with contextlib.suppress(Exception):
                    stop()
            self._started_core = False
        if self.ports is not None:
            self.ports.close()
            self.ports = None
