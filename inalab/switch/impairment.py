"""Link impairment per port and direction, because this kernel has no tc netem.

Each (port, direction) pair has an :class:`Impairment` (what to do: random
loss, Gilbert-Elliott bursty loss, fixed delay with jitter, duplication,
reordering, a token-bucket rate limit) and a :class:`LinkImpairer` (the state
that does it: its own ``random.Random`` seeded from the switch seed, the port
and the direction, so a run is reproducible; counters per effect).

A :class:`LinkImpairer` only decides *when* each frame leaves
(:meth:`LinkImpairer.admit` returns departure times); the
:class:`DelayLine` timer thread (one heap for the whole switch) delivers
frames whose departure lies in the future. A frame due now on a link with
nothing pending is delivered inline, so an unimpaired port costs one
attribute check per frame.

Semantics follow netem where netem has them: ``reorder`` sends a frame
without the configured delay (so it overtakes delayed frames); with no delay
configured a reordered frame is held back ``reorder_hold_ms`` instead. The
rate limit serialises frames at ``rate_bps`` after a ``burst_bytes`` bucket;
frames that would wait more than ``limit`` frames' worth are dropped.
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Literal

from inalab.switch.io_errors import ImpairmentError

Direction = Literal["ingress", "egress"]
DIRECTIONS: tuple[Direction, ...] = ("ingress", "egress")


def _probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ImpairmentError(f"{name} must be a probability in [0, 1], got {value}")


def _non_negative(name: str, value: float) -> None:
    if value < 0:
        raise ImpairmentError(f"{name} must be >= 0, got {value}")


@dataclass(frozen=True)
class GilbertElliott:
    """Two-state bursty loss: ``p`` good->bad, ``r`` bad->good per frame;
    a frame is lost with ``loss_good`` in the good state, ``loss_bad`` in the bad one."""

    p: float
    r: float
    loss_good: float = 0.0
    loss_bad: float = 1.0

    def __post_init__(self) -> None:
        for f in fields(self):
            _probability(f"gilbert {f.name}", getattr(self, f.name))
        if self.r == 0.0 and self.p > 0.0:
            raise ImpairmentError("gilbert r must be > 0 (the bad state would never end)")

    def mean_loss(self) -> float:
        """Stationary loss rate: the bad state's share weights its loss."""
        if self.p == 0.0:
            return self.loss_good
        bad = self.p / (self.p + self.r)
        return (1.0 - bad) * self.loss_good + bad * self.loss_bad


@dataclass(frozen=True)
class Impairment:
    """What one direction of one port does to frames. Defaults: a perfect link."""

    loss: float = 0.0  # independent loss probability
    gilbert: GilbertElliott | None = None  # bursty loss, applied after ``loss``
    delay_ms: float = 0.0
    jitter_ms: float = 0.0  # uniform in [-jitter, +jitter], departure never before arrival
    duplicate: float = 0.0  # probability a frame is sent twice
    reorder: float = 0.0  # probability a frame skips the delay (or is held back, see module doc)
    reorder_hold_ms: float = 1.0
    rate_bps: float | None = None  # token bucket rate, None = unlimited
    burst_bytes: int = 1514
    limit: int = 1000  # frames that may wait for the rate limiter

    def __post_init__(self) -> None:
        for name in ("loss", "duplicate", "reorder"):
            _probability(name, getattr(self, name))
        for name in ("delay_ms", "jitter_ms", "reorder_hold_ms"):
            _non_negative(name, getattr(self, name))
        if self.jitter_ms > 0 and self.delay_ms == 0:
            raise ImpairmentError("jitter_ms requires delay_ms to be set")
        if self.rate_bps is not None and self.rate_bps <= 0:
            raise ImpairmentError(f"rate_bps must be > 0, got {self.rate_bps}")
        if self.burst_bytes < 0:
            raise ImpairmentError(f"burst_bytes must be >= 0, got {self.burst_bytes}")
        if self.limit < 1:
            raise ImpairmentError(f"limit must be >= 1, got {self.limit}")

    @property
    def is_perfect(self) -> bool:
        return self == PERFECT

    def to_dict(self) -> dict[str, object]:
        """Only the fields that differ from a perfect link."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != getattr(PERFECT, f.name):
                out[f.name] = asdict(value) if isinstance(value, GilbertElliott) else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, object], where: str = "impairment") -> Impairment:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ImpairmentError(
                f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
        kwargs: dict[str, object] = {}
        for key, value in data.items():
            if key == "gilbert":
                if value is None:
                    kwargs[key] = None
                    continue
                if not isinstance(value, Mapping):
                    raise ImpairmentError(f"{where}: gilbert must be an object with p, r, ...")
                try:
                    kwargs[key] = GilbertElliott(**{k: float(v) for k, v in value.items()})
                except TypeError as exc:
                    raise ImpairmentError(f"{where}: gilbert: {exc}") from None
                except ValueError:
                    raise ImpairmentError(f"{where}: gilbert values must be numbers") from None
                continue
            if key == "rate_bps" and value is None:
                kwargs[key] = None
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ImpairmentError(f"{where}: {key} must be a number, got {value!r}")
            kwargs[key] = int(value) if key in ("burst_bytes", "limit") else float(value)
        try:
            return cls(**kwargs)  # type: ignore[arg-type]
        except ImpairmentError as exc:
            raise ImpairmentError(f"{where}: {exc}") from None


PERFECT = Impairment()

# Shortcut keys accepted by ``parse_settings`` (the CLI's ``impair PORT DIR k=v``).
_ALIASES = {
    "delay": "delay_ms",
    "jitter": "jitter_ms",
    "rate": "rate_bps",
    "burst": "burst_bytes",
    "dup": "duplicate",
    "hold": "reorder_hold_ms",
}
_GE_KEYS = {"ge_p": "p", "ge_r": "r", "ge_loss_good": "loss_good", "ge_loss_bad": "loss_bad"}


def parse_settings(base: Impairment, settings: list[str]) -> Impairment:
    """Apply ``key=value`` words (``loss=0.1 delay=5 rate=1e6 ge_p=0.01 ge_r=0.3``) to ``base``.

    ``clear`` resets to a perfect link; ``rate=none`` removes the rate limit."""
    current = asdict(base)
    ge: dict[str, float] = dict(current["gilbert"] or {})
    for word in settings:
        if word == "clear":
            current, ge = asdict(PERFECT), {}
            continue
        key, sep, raw = word.partition("=")
        if not sep:
            raise ImpairmentError(f"expected key=value, got {word!r}")
        key = _ALIASES.get(key, key)
        try:
            if key in _GE_KEYS:
                ge[_GE_KEYS[key]] = float(raw)
            elif key == "gilbert" and raw == "none":
                ge = {}
            elif key == "rate_bps" and raw.lower() in ("none", "0", "off"):
                current[key] = None
            else:
                current[key] = float(raw)
        except ValueError:
            raise ImpairmentError(f"{key}: not a number: {raw!r}") from None
    if ge:
        if "p" not in ge or "r" not in ge:
            raise ImpairmentError("gilbert loss needs both ge_p and ge_r")
        current["gilbert"] = ge
    else:
        current["gilbert"] = None
    return Impairment.from_dict(current)


@dataclass(frozen=True)
class ImpairmentConfig:
    """Impairments of every (port, direction) not perfect, as in the JSON file:

    ``{"seed": 1, "ports": {"1": {"ingress": {"loss": 0.1}, "egress": {...}}}}``
    ("both" applies to the two directions)."""

    links: Mapping[tuple[int, Direction], Impairment] = field(default_factory=dict)
    seed: int | None = None

    @classmethod
    def from_json_file(cls, path: Path) -> ImpairmentConfig:
        try:
            text = path.read_text()
        except OSError as exc:
            raise ImpairmentError(f"{path}: cannot read: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImpairmentError(f"{path}:{exc.lineno}:{exc.colno}: bad JSON: {exc.msg}") from None
        return cls.from_dict(data, str(path))

    @classmethod
    def from_dict(cls, data: object, where: str = "impairment") -> ImpairmentConfig:
        if not isinstance(data, dict):
            raise ImpairmentError(f"{where}: expected an object with 'ports'")
        unknown = sorted(set(data) - {"seed", "ports"})
        if unknown:
            raise ImpairmentError(f"{where}: unknown key(s) {', '.join(unknown)}")
        seed = data.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ImpairmentError(f"{where}: seed must be an integer")
        ports = data.get("ports", {})
        if not isinstance(ports, dict):
            raise ImpairmentError(f"{where}: 'ports' must be an object keyed by port number")
        links: dict[tuple[int, Direction], Impairment] = {}
        for port_key, dirs in ports.items():
            try:
                port = int(port_key)
            except ValueError:
                raise ImpairmentError(f"{where}: port {port_key!r} is not a number") from None
            if not isinstance(dirs, dict):
                raise ImpairmentError(f"{where}: port {port}: expected ingress/egress/both")
            for dkey, spec in dirs.items():
                if dkey not in ("ingress", "egress", "both"):
                    raise ImpairmentError(
                        f"{where}: port {port}: {dkey!r} is not ingress, egress or both"
                    )
                if not isinstance(spec, dict):
                    raise ImpairmentError(f"{where}: port {port} {dkey}: expected an object")
                imp = Impairment.from_dict(spec, f"{where}: port {port} {dkey}")
                targets: tuple[Direction, ...] = DIRECTIONS if dkey == "both" else (dkey,)
                for d in targets:
                    links[(port, d)] = imp
        return cls(links=links, seed=seed)


def parse_loss_flag(text: str) -> tuple[int, Direction | None, float]:
    """``PORT:PCT`` or ``PORT:DIR:PCT`` (the CLI's ``--loss``): percent 0..100."""
    parts = text.split(":")
    try:
        if len(parts) == 2:
            port, direction, pct = int(parts[0]), None, float(parts[1])
        elif len(parts) == 3 and parts[1] in DIRECTIONS:
            port, direction, pct = int(parts[0]), parts[1], float(parts[2])
        else:
            raise ValueError
    except ValueError:
        raise ImpairmentError(
            f"bad value {text!r}: expected PORT:PERCENT or PORT:ingress|egress:PERCENT"
        ) from None
    if not 0 <= pct <= 100:
        raise ImpairmentError(f"bad value {text!r}: percent must be in [0, 100]")
    return port, direction, pct / 100.0


# --------------------------------------------------------------------------- state


@dataclass
class ImpairmentCounters:
    """Frames seen and what happened to them (one direction of one port)."""

    frames: int = 0
    passed: int = 0  # frames delivered (duplicates included)
    lost_random: int = 0
    lost_burst: int = 0
    dropped_rate_limit: int = 0
    delayed: int = 0
    duplicated: int = 0
    reordered: int = 0
    rate_limited: int = 0  # frames that waited for the token bucket

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def link_rng(seed: int, port: int, direction: Direction) -> random.Random:
    """The generator of one (port, direction): same seed, same port -> same draws."""
    return random.Random(f"inalab-impairment:{seed}:{port}:{direction}")


class LinkImpairer:
    """The state of one (port, direction). ``admit`` is called under the caller's lock."""

    def __init__(self, port: int, direction: Direction, seed: int, impairment: Impairment) -> None:
        self.port = port
        self.direction = direction
        self._rng = link_rng(seed, port, direction)
        self.counters = ImpairmentCounters()
        self._impairment = impairment
        self.perfect = impairment.is_perfect
        self._bad_state = False
        self._tat = 0.0  # theoretical arrival time of the rate limiter
        self.pending = 0  # frames held in the DelayLine for this link

    @property
    def impairment(self) -> Impairment:
        return self._impairment

    def configure(self, impairment: Impairment) -> None:
        """Change the impairment; the generator keeps its state (runs stay reproducible)."""
        self._impairment = impairment
        self.perfect = impairment.is_perfect
        if impairment.gilbert is None:
            self._bad_state = False

    def admit(self, size: int, now: float) -> list[float]:
        """Departure times (seconds, same clock as ``now``) of the copies of one frame
        of ``size`` bytes; empty if it is lost."""
        imp = self._impairment
        c = self.counters
        c.frames += 1
        rng = self._rng
        if imp.loss and rng.random() < imp.loss:
            c.lost_random += 1
            return []
        ge = imp.gilbert
        if ge is not None:
            if self._bad_state:
                if rng.random() < ge.r:
                    self._bad_state = False
            elif rng.random() < ge.p:
                self._bad_state = True
            p_loss = ge.loss_bad if self._bad_state else ge.loss_good
            if p_loss and rng.random() < p_loss:
                c.lost_burst += 1
                return []
        depart = now
        if imp.rate_bps is not None:
            # GCRA form of a token bucket: a frame may leave once the link's
            # theoretical arrival time is within one bucket of now.
            serialise = size * 8.0 / imp.rate_bps
            bucket = imp.burst_bytes * 8.0 / imp.rate_bps
            depart = max(now, self._tat - bucket)
            if depart - now > imp.limit * serialise * (1 + 1e-9):
                c.dropped_rate_limit += 1
                return []
            self._tat = max(self._tat, depart) + serialise
            if depart > now:
                c.rate_limited += 1
        if imp.reorder and rng.random() < imp.reorder:
            c.reordered += 1
            if imp.delay_ms == 0:
                depart += imp.reorder_hold_ms / 1000.0
        elif imp.delay_ms:
            delay = imp.delay_ms
            if imp.jitter_ms:
                delay += rng.uniform(-imp.jitter_ms, imp.jitter_ms)
            depart += max(0.0, delay) / 1000.0
            c.delayed += 1
        copies = [depart]
        if imp.duplicate and rng.random() < imp.duplicate:
            c.duplicated += 1
            copies.append(depart)
        c.passed += len(copies)
        return copies


Deliver = Callable[[bytes], None]


class DelayLine:
    """One timer thread with a heap: delivers frames at their departure time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, LinkImpairer, Deliver, bytes]] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="inalab-delay", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def schedule(self, at: float, link: LinkImpairer, deliver: Deliver, frame: bytes) -> None:
        """Call with the owner's lock held for ``link`` (its ``pending`` count)."""
        with self._cv:
            link.pending += 1
            heapq.heappush(self._heap, (at, next(self._seq), link, deliver, frame))
            if self._heap[0][0] == at:
                self._cv.notify()

    def pending(self) -> int:
        with self._cv:
            return len(self._heap)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._stopped:
                    if self._heap:
                        wait = self._heap[0][0] - self._clock()
                        if wait <= 0:
                            break
                        self._cv.wait(wait)
                    else:
                        self._cv.wait()
                if self._stopped:
                    return
                _, _, link, deliver, frame = heapq.heappop(self._heap)
                link.pending -= 1
            try:
                deliver(frame)
            except Exception:  # a delivery error must not stop the timer thread
                import logging

                logging.getLogger("inalab.switch.impairment").exception("delayed delivery failed")


class Impairments:
    """All (port, direction) impairers of a switch, created on first use. Thread-safe."""

    def __init__(self, seed: int = 0, clock: Callable[[], float] = time.monotonic) -> None:
        self.seed = seed
        self._clock = clock
        self._links: dict[tuple[int, Direction], LinkImpairer] = {}
        self._lock = threading.Lock()
        self.delay_line = DelayLine(clock)
        self._active = False  # any link not perfect: fast path check

    def apply_config(self, config: ImpairmentConfig) -> None:
        for (port, direction), imp in config.links.items():
            self.set(port, direction, imp)

    def set(self, port: int, direction: Direction, impairment: Impairment) -> None:
        if direction not in DIRECTIONS:
            raise ImpairmentError(f"direction must be ingress or egress, got {direction!r}")
        with self._lock:
            link = self._links.get((port, direction))
            if link is None:
                self._links[(port, direction)] = LinkImpairer(
                    port, direction, self.seed, impairment
                )
            else:
                link.configure(impairment)
            self._active = any(not lk.perfect for lk in self._links.values())
        if self._active:
            self.delay_line.start()

    def update(self, port: int, direction: Direction, settings: list[str]) -> Impairment:
        """Apply ``key=value`` words to the current impairment; returns the new one."""
        new = parse_settings(self.get(port, direction), settings)
        self.set(port, direction, new)
        return new

    def get(self, port: int, direction: Direction) -> Impairment:
        link = self._links.get((port, direction))
        return PERFECT if link is None else link.impairment

    def counters(self) -> dict[tuple[int, Direction], ImpairmentCounters]:
        with self._lock:
            return {k: replace(v.counters) for k, v in sorted(self._links.items())}

    def configured(self) -> dict[tuple[int, Direction], Impairment]:
        with self._lock:
            return {k: v.impairment for k, v in sorted(self._links.items())}

    def pass_frame(self, port: int, direction: Direction, frame: bytes, deliver: Deliver) -> None:
        """Send ``frame`` through the link: ``deliver`` now, later, twice, or never."""
        if not self._active:
            deliver(frame)
            return
        link = self._links.get((port, direction))
        if link is None or (link.perfect and link.pending == 0):
            deliver(frame)
            return
        with self._lock:
            now = self._clock()
            departures = link.admit(len(frame), now)
            inline = 0
            for at in departures:
                if at <= now and link.pending == 0:
                    inline += 1
                else:
                    self.delay_line.schedule(at, link, deliver, frame)
        for _ in range(inline):
            deliver(frame)

    def stop(self) -> None:
        self.delay_line.stop()
