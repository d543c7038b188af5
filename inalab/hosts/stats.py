"""Per-call statistics of an allreduce: traffic, reliability and loss accounting."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RoundStats:
    """One ``allreduce`` call. Block counts partition ``blocks``: exact + partial + missing."""

    round: int
    first_packet: int  # job-wide id of the round's first packet (next round: + packets)
    values: int
    blocks: int
    packets: int  # distinct packets of the round (float32 adds the exponent pipeline)
    packets_sent: int  # including retransmissions and flush requests
    bytes_sent: int  # INA payload bytes (UDP payloads)
    packets_received: int
    bytes_received: int
    retransmissions: int
    flushes: int  # flush requests sent after the deadline (PS)
    exact: int  # blocks summed from all n workers
    partial: int  # blocks summed from fewer workers, rescaled by n/count
    missing: int  # blocks zero-filled
    duplicates: int  # results received twice (ignored)
    foreign: int  # results of other jobs or rounds (ignored)
    malformed: int  # payloads that are not INA results (ignored)
    ecn_echoes: int
    window: int  # congestion window at the end of the round
    elapsed: float  # seconds

    def __post_init__(self) -> None:
        if self.exact + self.partial + self.missing != self.blocks:
            raise ValueError(
                f"stats: exact {self.exact} + partial {self.partial} + missing "
                f"{self.missing} != blocks {self.blocks}"
            )

    @property
    def goodput(self) -> float:
        """Values reduced per second (per worker)."""
        return self.values / self.elapsed if self.elapsed > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["goodput"] = self.goodput
        return d

    def summary(self) -> str:
        return (
            f"round {self.round}: {self.values} values in {self.elapsed * 1e3:.1f} ms "
            f"({self.goodput:.3g} values/s), {self.packets_sent} pkts sent "
            f"({self.retransmissions} retx, {self.flushes} flush), blocks exact/partial/missing "
            f"{self.exact}/{self.partial}/{self.missing}, dup {self.duplicates}, "
            f"foreign {self.foreign}, malformed {self.malformed}, ecn {self.ecn_echoes}, "
            f"window {self.window}"
        )
