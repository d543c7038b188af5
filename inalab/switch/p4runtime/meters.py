"""P4Runtime ``MeterConfig`` (rates per second) <-> the switch's bmv2 meter bands
(rates per microsecond): committed band first, then peak, as bmv2 takes them."""

from __future__ import annotations

from collections.abc import Sequence

from p4.v1 import p4runtime_pb2

from inalab.switch.control import MeterRate
from inalab.switch.p4runtime.errors import invalid

_US_PER_S = 1_000_000


def config_to_rates(cfg: p4runtime_pb2.MeterConfig) -> list[MeterRate]:
    if cfg.cir > cfg.pir:
        raise invalid(f"meter config: cir {cfg.cir} exceeds pir {cfg.pir}")
    return [
        MeterRate(cfg.cir / _US_PER_S, int(cfg.cburst)),
        MeterRate(cfg.pir / _US_PER_S, int(cfg.pburst)),
    ]


def rates_to_config(rates: Sequence[MeterRate]) -> p4runtime_pb2.MeterConfig | None:
    """None for an unconfigured meter (no bands)."""
    if len(rates) < 2:
        return None
    committed, peak = rates[0], rates[1]
    return p4runtime_pb2.MeterConfig(
        cir=round(committed.rate_per_us * _US_PER_S),
        cburst=committed.burst,
        pir=round(peak.rate_per_us * _US_PER_S),
        pburst=peak.burst,
    )
