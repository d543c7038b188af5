"""Mininet nodes for P4: :class:`P4Switch` runs ``inalab-switch`` (or real
``simple_switch_grpc``) on its interfaces; :class:`P4Host` is a host with
checksum/segmentation offloads off and optional default route.

Which switch: the ``kind`` parameter, else the ``SWITCH`` environment variable
(``inalab``, the default, or ``bmv2``). Both get the same command line, as
bmv2's ``simple_switch_grpc`` takes it::

    SWITCH -i 1@s1-eth1 ... --device-id N --log-file logs/s1.log --log-flush
           --pcap=pcaps build/ina.json
           -- --grpc-server-addr 127.0.0.1:50051 --cpu-port 255

(``--no-p4`` instead of the JSON; ``--thrift-port 9090+N``, bmv2's Thrift
server or our runtime channel for ``inalab-switch-cli``; ``--impairment FILE
--seed N`` for ours only). The process's stdout/stderr go to
``logs/<name>.out``. :meth:`P4Switch.start` returns once the gRPC port
listens, or raises :class:`SwitchStartError` with the tail of the logs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mininet.node import Host, Switch

from inalab.topologies.errors import EnvironmentProblem, PortInUseError, SwitchStartError

SWITCH_ENV = "SWITCH"
KINDS = {"inalab": "inalab-switch", "bmv2": "simple_switch_grpc"}
BMV2_THRIFT_BASE = 9090
START_TIMEOUT_S = 20.0
# What gRPC (ours and bmv2's) and bmv2's Thrift server print when a port is taken.
_BIND_FAILURES = ("Address already in use", "Failed to bind", "Could not bind")
STOP_TIMEOUT_S = 5.0


# --------------------------------------------------------------------------- helpers
def resolve_switch(kind: str | None = None) -> tuple[str, str]:
    """(kind, executable path) for ``kind`` or ``$SWITCH`` (default ``inalab``)."""
    chosen = kind or os.environ.get(SWITCH_ENV) or "inalab"
    if chosen not in KINDS:
        raise EnvironmentProblem(
            f"switch kind {chosen!r} (SWITCH={os.environ.get(SWITCH_ENV, '')!r}) is not one of "
            f"{', '.join(KINDS)}"
        )
    name = KINDS[chosen]
    found = shutil.which(name)
    if found is None:
        # Our own command sits beside the interpreter in the virtualenv.
        beside = Path(sys.executable).parent / name
        if chosen == "inalab" and beside.exists():
            found = str(beside)
    if found is None:
        hint = (
            "install the project (pip install -e .)"
            if chosen == "inalab"
            else "install bmv2 (see docs/vagrant.md) or unset SWITCH to use inalab-switch"
        )
        raise EnvironmentProblem(f"{name} not found on PATH: {hint}")
    return chosen, found


def _listening_ports() -> set[int]:
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 3 and cols[3] == "0A":  # TCP_LISTEN
                ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def port_listening(port: int) -> bool:
    """Whether some socket of this network namespace listens on TCP ``port``."""
    return port in _listening_ports()


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@dataclass(frozen=True)
class SwitchCommand:
    """The command line of one switch process (pure data: testable without root)."""

    kind: str
    executable: str
    ports: tuple[tuple[int, str], ...]
    device_id: int
    grpc_port: int
    json_path: Path | None = None
    log_file: Path | None = None
    log_level: str = "info"
    pcap_dir: Path | None = None
    cpu_port: int | None = None
    grpc_host: str = "127.0.0.1"
    impairment_file: Path | None = None
    seed: int | None = None
    thrift_port: int | None = None
    extra_args: tuple[str, ...] = ()

    def argv(self) -> list[str]:
        args = [self.executable]
        for port, intf in self.ports:
            args += ["-i", f"{port}@{intf}"]
        args += ["--device-id", str(self.device_id)]
        if self.log_file is not None:
            # bmv2's default level with a log file is "trace": a line per
            # packet step, far slower than forwarding. Trace only when asked.
            args += ["--log-file", str(self.log_file), "--log-flush", "-L", self.log_level]
        if self.pcap_dir is not None:
            args.append(f"--pcap={self.pcap_dir}")  # bmv2's --pcap has an optional value
        if self.thrift_port is not None:  # bmv2's Thrift, or our runtime channel
            args += ["--thrift-port", str(self.thrift_port)]
        if self.kind == "inalab":
            if self.impairment_file is not None:
                args += ["--impairment", str(self.impairment_file)]
            if self.seed is not None:
                args += ["--seed", str(self.seed)]
        args += list(self.extra_args)
        args.append(str(self.json_path) if self.json_path is not None else "--no-p4")
        args += ["--", "--grpc-server-addr", f"{self.grpc_host}:{self.grpc_port}"]
        if self.cpu_port is not None:
            args += ["--cpu-port", str(self.cpu_port)]
        return args


# --------------------------------------------------------------------------- the switch
class P4Switch(Switch):
    """A Mininet switch whose data plane is a P4 switch process.

    Parameters (besides Mininet's): ``device_id``, ``grpc_port``, ``thrift_port``
    (default 9090 + device id), ``json_path``
    (None = ``--no-p4``), ``kind`` (``inalab``/``bmv2``, default ``$SWITCH``),
    ``log_dir`` (``logs``), ``log_level`` (``info``: per-packet traces with ``trace``),
    ``pcap_dir`` (``pcaps``; None = no captures),
    ``cpu_port`` (255; None = none), ``impairment_file``, ``seed``,
    ``start_timeout``, ``extra_args``.
    """

    def __init__(
        self,
        name: str,
        *,
        device_id: int,
        grpc_port: int,
        thrift_port: int | None = None,
        json_path: str | Path | None = None,
        kind: str | None = None,
        log_dir: str | Path = "logs",
        log_level: str = "info",
        pcap_dir: str | Path | None = "pcaps",
        cpu_port: int | None = 255,
        impairment_file: str | Path | None = None,
        seed: int | None = None,
        start_timeout: float = START_TIMEOUT_S,
        extra_args: Sequence[str] = (),
        **params: Any,
    ) -> None:
        params.setdefault("dpid", f"{device_id + 1:016x}")
        self.kind, self.executable = resolve_switch(kind)
        self.device_id = device_id
        self.grpc_port = grpc_port
        self.thrift_port = thrift_port if thrift_port is not None else BMV2_THRIFT_BASE + device_id
        self.json_path = Path(json_path) if json_path is not None else None
        if self.json_path is not None and not self.json_path.is_file():
            raise EnvironmentProblem(
                f"switch {name}: program {self.json_path} not found (run `make build`)"
            )
        self.log_dir = Path(log_dir)
        self.log_level = log_level
        self.pcap_dir = Path(pcap_dir) if pcap_dir is not None else None
        self.cpu_port = cpu_port
        self.impairment_file = Path(impairment_file) if impairment_file is not None else None
        self.seed = seed
        self.start_timeout = start_timeout
        self.extra_args = tuple(extra_args)
        self.process: subprocess.Popen[bytes] | None = None
        Switch.__init__(self, name, **params)

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    @property
    def out_file(self) -> Path:
        return self.log_dir / f"{self.name}.out"

    def command(self) -> SwitchCommand:
        ports = tuple(
            (port, intf.name)
            for port, intf in sorted(self.intfs.items())
            if intf.name != "lo" and not intf.IP()
        )
        return SwitchCommand(
            kind=self.kind,
            executable=self.executable,
            ports=ports,
            device_id=self.device_id,
            grpc_port=self.grpc_port,
            json_path=self.json_path,
            log_file=self.log_file,
            log_level=self.log_level,
            pcap_dir=self.pcap_dir,
            cpu_port=self.cpu_port,
            impairment_file=self.impairment_file,
            seed=self.seed,
            thrift_port=self.thrift_port,
            extra_args=self.extra_args,
        )

    def start(self, controllers: Sequence[object] = ()) -> None:
        """Start the switch process and wait until its gRPC port listens."""
        if self.process is not None and self.process.poll() is None:
            return
        busy = _listening_ports()
        for what, port in (("gRPC", self.grpc_port), ("runtime (thrift)", self.thrift_port)):
            if port in busy:
                raise PortInUseError(
                    f"switch {self.name}: {what} port {port} is already in use "
                    "(another switch still running? try inalab-clean)"
                )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self.pcap_dir is not None:
            self.pcap_dir.mkdir(parents=True, exist_ok=True)
        argv = self.command().argv()
        with self.out_file.open("wb") as out:
            out.write((" ".join(argv) + "\n").encode())
            out.flush()
            self.process = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._wait_listening()

    def _wait_listening(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                self.process = None
                tails = self._tails()
                if any(marker in tails for marker in _BIND_FAILURES):
                    raise PortInUseError(
                        f"switch {self.name}: could not bind its ports "
                        f"(gRPC {self.grpc_port}, runtime {self.thrift_port}); ports in the "
                        f"ephemeral range (/proc/sys/net/ipv4/ip_local_port_range) can be held "
                        f"by client sockets\n{tails}"
                    )
                raise SwitchStartError(
                    f"switch {self.name}: {Path(self.executable).name} exited with status {code} "
                    f"before listening on port {self.grpc_port}\n{tails}"
                )
            if port_listening(self.grpc_port):
                return
            time.sleep(0.05)
        self.stop_process()
        raise SwitchStartError(
            f"switch {self.name}: gRPC port {self.grpc_port} not listening after "
            f"{self.start_timeout:g} s\n{self._tails()}"
        )

    def _tails(self) -> str:
        parts = []
        for path in (self.out_file, self.log_file):
            tail = log_tail(path)
            if tail:
                parts.append(f"--- last lines of {path}:\n{tail}")
        return "\n".join(parts) or f"(nothing in {self.out_file} or {self.log_file})"

    @property
    def switch_pid(self) -> int | None:
        """The switch process's pid (Mininet's ``pid`` is the node's shell)."""
        return self.process.pid if self.process is not None else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop_process(self) -> None:
        """SIGTERM the switch, SIGKILL it if it has not exited after a few seconds."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT_S)

    def stop(self, deleteIntfs: bool = True) -> None:  # Mininet names the argument
        self.stop_process()
        Switch.stop(self, deleteIntfs)

    def connected(self) -> bool:
        return self.running() and port_listening(self.grpc_port)


# --------------------------------------------------------------------------- the host
OFFLOADS = ("rx", "tx", "sg", "tso", "gso", "gro")


class P4Host(Host):
    """A host for P4 networks: offloads off (a software switch forwards frames
    whose checksums the kernel would otherwise leave unfilled), IPv6 off (no
    stray router solicitations in captures), and with ``gateway=IP,
    gateway_mac=MAC`` a default route and a permanent ARP entry for it."""

    def config(self, **params: Any) -> dict[str, Any]:
        gateway = params.pop("gateway", None)
        gateway_mac = params.pop("gateway_mac", None)
        result: dict[str, Any] = Host.config(self, **params)
        if shutil.which("ethtool") is None:
            raise EnvironmentProblem("ethtool not found: apt-get install ethtool")
        for intf in self.intfList():
            if intf.name == "lo":
                continue
            args = " ".join(f"{o} off" for o in OFFLOADS)
            self.cmd(f"ethtool -K {intf.name} {args}")
        for key in ("all", "default", "lo"):
            self.cmd(f"sysctl -q -w net.ipv6.conf.{key}.disable_ipv6=1")
        if gateway is not None and gateway_mac is not None:
            intf = self.defaultIntf()
            self.cmd(f"ip neigh replace {gateway} lladdr {gateway_mac} dev {intf} nud permanent")
            self.cmd(f"ip route replace default via {gateway} dev {intf}")
        return result

    def popen(self, *args: Any, **kwargs: Any) -> subprocess.Popen[Any]:
        """Mininet's ``popen``, except that ``shell=True`` does not need ``$SHELL``:
        Mininet reads ``os.environ['SHELL']``, which cron, systemd units and CI
        runners leave unset. The command then runs under ``/bin/sh -c``."""
        if kwargs.pop("shell", False):
            words = args[0] if len(args) == 1 else list(args)
            line = words if isinstance(words, str) else " ".join(str(w) for w in words)
            args = ([os.environ.get("SHELL") or "/bin/sh", "-c", line],)
        proc: subprocess.Popen[Any] = Host.popen(self, *args, **kwargs)
        return proc

    def offloads_off(self) -> bool:
        """Whether tx checksumming is off on the default interface (ethtool -k)."""
        out = self.cmd(f"ethtool -k {self.defaultIntf()}")
        return "tx-checksumming: off" in out
