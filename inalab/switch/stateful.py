"""Counters (packets and bytes), two-rate three-color meters, and registers."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field

from inalab.switch.control import IndexOutOfRangeError, InvalidRequestError, MeterRate

GREEN, YELLOW, RED = 0, 1, 2


def _check(index: int, size: int, name: str) -> None:
    if not 0 <= index < size:
        raise IndexOutOfRangeError(f"{name}: index {index} outside 0..{size - 1}")


@dataclass
class CounterArray:
    name: str
    size: int
    packets: list[int] = field(default_factory=list)
    bytes_: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        # in place: the generated code holds these lists
        self.packets[:] = [0] * self.size
        self.bytes_[:] = [0] * self.size

    def count(self, index: int, nbytes: int) -> None:
        if 0 <= index < self.size:
            self.packets[index] += 1
            self.bytes_[index] += nbytes

    def read(self, index: int) -> tuple[int, int]:
        _check(index, self.size, self.name)
        return self.packets[index], self.bytes_[index]

    def write(self, index: int, packets: int, nbytes: int) -> None:
        _check(index, self.size, self.name)
        self.packets[index] = packets
        self.bytes_[index] = nbytes


class _Meter:
    """One trTCM (RFC 2698) instance, rates in units per microsecond as bmv2."""

    __slots__ = ("last_us", "rates", "tokens")

    def __init__(self) -> None:
        self.rates: list[MeterRate] = []
        self.tokens: list[float] = []
        self.last_us = 0.0

    def configure(self, rates: list[MeterRate]) -> None:
        self.rates = list(rates)
        self.tokens = [float(r.burst) for r in rates]
        self.last_us = time.monotonic() * 1e6

    def execute(self, units: int, now_us: float) -> int:
        if not self.rates:
            return GREEN
        dt = max(0.0, now_us - self.last_us)
        self.last_us = now_us
        for i, r in enumerate(self.rates):
            self.tokens[i] = min(float(r.burst), self.tokens[i] + dt * r.rate_per_us)
        # rates[0] committed, rates[1] peak (bmv2 order); check peak first
        if len(self.rates) >= 2 and self.tokens[1] < units:
            return RED
        if self.tokens[0] < units:
            if len(self.rates) >= 2:
                self.tokens[1] -= units
            return YELLOW if len(self.rates) >= 2 else RED
        for i in range(len(self.tokens)):
            self.tokens[i] -= units
        return GREEN


def check_rates(name: str, rates: list[MeterRate], count: int) -> None:
    """bmv2's rules: one band per rate of the meter, rates not decreasing (CIR <= PIR)."""
    if len(rates) != count:
        raise InvalidRequestError(f"meter '{name}' takes {count} rates, got {len(rates)}")
    for a, b in itertools.pairwise(rates):
        if a.rate_per_us > b.rate_per_us:
            raise InvalidRequestError(f"meter '{name}': rates must not decrease (CIR <= PIR)")
    for r in rates:
        if r.rate_per_us < 0 or r.burst < 0:
            raise InvalidRequestError(f"meter '{name}': negative rate or burst")


@dataclass
class MeterArray:
    name: str
    size: int
    by_bytes: bool
    rate_count: int = 2
    meters: list[_Meter] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.meters = [_Meter() for _ in range(self.size)]

    def execute(self, index: int, nbytes: int) -> int:
        if not 0 <= index < self.size:
            return GREEN
        with self.lock:
            return self.meters[index].execute(
                nbytes if self.by_bytes else 1, time.monotonic() * 1e6
            )

    def set_rates(self, index: int, rates: list[MeterRate]) -> None:
        _check(index, self.size, self.name)
        check_rates(self.name, rates, self.rate_count)
        with self.lock:
            self.meters[index].configure(rates)

    def get_rates(self, index: int) -> list[MeterRate]:
        _check(index, self.size, self.name)
        return list(self.meters[index].rates)


@dataclass
class RegisterArray:
    name: str
    size: int
    width: int
    values: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.values = [0] * self.size

    def read(self, index: int) -> int:
        _check(index, self.size, self.name)
        return self.values[index]

    def write(self, index: int, value: int) -> None:
        _check(index, self.size, self.name)
        self.values[index] = value & ((1 << self.width) - 1)

    def reset(self) -> None:
        self.values[:] = [0] * self.size
