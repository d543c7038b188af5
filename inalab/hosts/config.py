"""Job configuration of a worker (and of the PS): a frozen, validated dataclass read from JSON.

Example (all keys but ``job_id``, ``rank``, ``n_workers`` and ``server`` optional)::

    {"job_id": 7, "rank": 0, "n_workers": 4, "server": "127.0.0.1:61185",
     "via": "ps", "slots": 64, "lanes": 32, "loss_bound": 0.0, "deadline": 0.0,
     "timeout": 30.0, "multicast_group": 7, "paths": 4, "ecn": true,
     "importance": {"rule": "magnitude", "thresholds": [0.5, 0.1, 0.01]}}
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from inalab.hosts.errors import ConfigError
from inalab.protocol import format as fmt

VIA_CHOICES = ("ps", "switch")
_SIMPLE_TYPES: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": (int, float),
    "bool": bool,
    "str": str,
}


def parse_address(text: str, default_port: int = fmt.INA_UDP_PORT) -> tuple[str, int]:
    """``host[:port]`` to ``(host, port)``; raises :class:`ConfigError`."""
    host, sep, port_s = text.rpartition(":")
    if not sep:
        host, port_s = text, str(default_port)
    if not host:
        raise ConfigError(f"address {text!r}: host missing")
    try:
        port = int(port_s)
    except ValueError:
        raise ConfigError(f"address {text!r}: port {port_s!r} is not a number") from None
    if not 0 < port < 65536:
        raise ConfigError(f"address {text!r}: port {port} out of 1..65535")
    return host, port


@dataclass(frozen=True)
class ImportanceRule:
    """How a block's DSCP importance class is chosen.

    ``magnitude``: ``thresholds`` (descending, relative to the tensor's largest
    block max-abs) t0 > t1 > t2: a block with max|x| >= t0 * max is CRITICAL,
    >= t1 HIGH, >= t2 NORMAL, else LOW.  ``fixed``: every block is ``fixed_class``
    (use it for a layer-based rule: one call per layer with its class).
    """

    rule: str = "magnitude"
    thresholds: tuple[float, ...] = (0.5, 0.1, 0.01)
    fixed_class: int = int(fmt.Importance.NORMAL)

    def __post_init__(self) -> None:
        if self.rule not in ("magnitude", "fixed"):
            raise ConfigError(f"importance.rule {self.rule!r}: choose 'magnitude' or 'fixed'")
        t = tuple(float(x) for x in self.thresholds)
        object.__setattr__(self, "thresholds", t)
        if len(t) != 3 or not all(1.0 >= a > b > 0.0 for a, b in itertools.pairwise(t)):
            raise ConfigError(
                f"importance.thresholds {list(t)}: need 3 strictly descending values in (0, 1]"
            )
        if t[-1] <= 0.0:
            raise ConfigError("importance.thresholds must be positive")
        if self.fixed_class not in {int(c) for c in fmt.Importance}:
            raise ConfigError(f"importance.fixed_class {self.fixed_class} is not a class 0..3")


@dataclass(frozen=True)
class JobConfig:
    """Everything a worker needs to take part in a job's allreduce."""

    job_id: int
    rank: int
    n_workers: int
    server: str  # "host[:port]": the PS (port INA_PS_UDP_PORT), or an address via the switch
    via: str = "ps"  # "ps": aggregator supports flush requests; "switch": in-network
    slots: int = 64  # slots of the job's region = maximum window of outstanding packets
    window: int = 0  # initial window (0 = slots)
    lanes: int = fmt.DEFAULT_LANES
    multicast_group: int = 0  # informative (the controller programs the switch)
    loss_bound: float = 0.0  # fraction of a round's blocks that may be partial or missing
    deadline: float = 0.0  # seconds per round before partial/missing blocks are accepted (0: none)
    grace: float = 0.05  # after the deadline: age before a flush, and between repeated flushes
    timeout: float = 30.0  # hard limit per round: AllreduceTimeout after it
    rto: float = 0.02  # initial retransmission timeout (s); doubles per retry up to max_rto
    max_rto: float = 0.5
    paths: int = 4  # UDP source ports used round-robin per packet (ECMP spraying)
    local_host: str = "0.0.0.0"
    local_port: int = 0  # first source port (0: INA_UDP_PORT via a switch, else ephemeral)
    ecn: bool = True  # AIMD window on ECN echoes (ATP-style)
    first_packet: int = 0  # job-wide id of this worker's first packet (continue a job's run)
    importance: ImportanceRule = field(default_factory=ImportanceRule)

    def __post_init__(self) -> None:
        def bad(msg: str) -> ConfigError:
            return ConfigError(f"job config: {msg}")

        for f in fields(self):
            v = getattr(self, f.name)
            want: type | tuple[type, ...] | None = _SIMPLE_TYPES.get(str(f.type))
            if want is None:
                continue
            if (isinstance(v, bool) and want is not bool) or not isinstance(v, want):
                raise bad(f"{f.name}={v!r} must be of type {f.type}")

        if not 0 <= self.job_id <= fmt.field("job_id").max_value:
            raise bad(f"job_id {self.job_id} out of 0..{fmt.field('job_id').max_value}")
        if not 1 <= self.n_workers <= fmt.MAX_WORKERS:
            raise bad(f"n_workers {self.n_workers} out of 1..{fmt.MAX_WORKERS}")
        if not 0 <= self.rank < self.n_workers:
            raise bad(f"rank {self.rank} out of 0..{self.n_workers - 1}")
        if self.via not in VIA_CHOICES:
            raise bad(f"via {self.via!r}: choose one of {VIA_CHOICES}")
        parse_address(self.server)
        if not 1 <= self.slots <= fmt.field("slot_id").max_value + 1:
            raise bad(f"slots {self.slots} out of 1..{fmt.field('slot_id').max_value + 1}")
        if not 0 <= self.window <= self.slots:
            raise bad(f"window {self.window} out of 0..slots ({self.slots})")
        try:
            fmt.check_lanes(self.lanes)
        except ValueError as e:
            raise bad(str(e)) from None
        if not 0.0 <= self.loss_bound < 1.0 or math.isnan(self.loss_bound):
            raise bad(f"loss_bound {self.loss_bound} out of [0, 1)")
        for name in ("deadline", "grace"):
            v = getattr(self, name)
            if not 0.0 <= v < math.inf:
                raise bad(f"{name} {v} must be >= 0 seconds")
        for name in ("timeout", "rto", "max_rto"):
            v = getattr(self, name)
            if not 0.0 < v < math.inf:
                raise bad(f"{name} {v} must be > 0 seconds")
        if self.max_rto < self.rto:
            raise bad(f"max_rto {self.max_rto} < rto {self.rto}")
        if self.loss_bound > 0.0 and self.deadline <= 0.0:
            raise bad("loss_bound > 0 needs a deadline > 0 (when to stop waiting)")
        if self.deadline and self.timeout <= self.deadline:
            raise bad(f"timeout {self.timeout} must exceed deadline {self.deadline}")
        if not 1 <= self.paths <= 64:
            raise bad(f"paths {self.paths} out of 1..64")
        if not 0 <= self.local_port <= 65535 - self.paths + 1:
            raise bad(f"local_port {self.local_port} (+{self.paths} paths) out of range")
        if self.first_packet < 0:
            raise bad(f"first_packet {self.first_packet} must be >= 0")
        if not 0 <= self.multicast_group <= 0xFFFF:
            raise bad(f"multicast_group {self.multicast_group} out of 0..65535")

    @property
    def initial_window(self) -> int:
        return self.window or self.slots

    @property
    def bind_port(self) -> int:
        """First local port: the switch sends results to UDP port INA_UDP_PORT (it keeps
        the contribution's ports), so via a switch path 0 listens there by default."""
        if self.local_port:
            return self.local_port
        return fmt.INA_UDP_PORT if self.via == "switch" else 0

    @property
    def server_address(self) -> tuple[str, int]:
        """``server`` with its default port: the PS port via a PS, the INA port via a switch."""
        port = fmt.INA_PS_UDP_PORT if self.via == "ps" else fmt.INA_UDP_PORT
        return parse_address(self.server, port)

    @classmethod
    def from_dict(cls, data: dict[str, Any], **overrides: Any) -> JobConfig:
        if not isinstance(data, dict):
            raise ConfigError("job config: top level must be a JSON object")
        merged = {**data, **{k: v for k, v in overrides.items() if v is not None}}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(merged) - known)
        if unknown:
            raise ConfigError(f"job config: unknown key(s) {unknown}; known: {sorted(known)}")
        imp = merged.get("importance")
        if isinstance(imp, dict):
            try:
                merged["importance"] = ImportanceRule(**imp)
            except TypeError as e:
                raise ConfigError(f"job config: importance: {e}") from None
        elif imp is not None and not isinstance(imp, ImportanceRule):
            raise ConfigError("job config: importance must be an object")
        try:
            return cls(**merged)
        except TypeError as e:
            raise ConfigError(f"job config: {e}") from None

    @classmethod
    def from_json(cls, path: str | Path, **overrides: Any) -> JobConfig:
        p = Path(path)
        try:
            data = json.loads(p.read_text())
        except OSError as e:
            raise ConfigError(f"{p}: cannot read: {e.strerror}") from None
        except json.JSONDecodeError as e:
            raise ConfigError(f"{p}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from None
        try:
            return cls.from_dict(data, **overrides)
        except ConfigError as e:
            raise ConfigError(f"{p}: {e}") from None
