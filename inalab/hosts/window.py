"""Slots, shadow sets and the AIMD congestion window of a worker.

Packet ids ``pid`` count a job's packets from 0 across all rounds (every worker
sends the same sequence). ``slot = pid mod slots`` and the shadow set flips each
time a slot is reused: ``shadow = (pid div slots) mod 2``. A worker sends packet
``pid`` only while fewer than ``window <= slots`` packets are outstanding below
it, so sending ``pid`` proves the sender has the result of ``pid - slots``
(SwitchML's argument). Flushes let a slot close without a slow worker, so the
switch does not rely on timing: it replaces a set's round only once every
worker has acknowledged it that way (``docs/dataplane.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

SEQ_MODULUS = 1 << 32


def slot_of(pid: int, slots: int) -> int:
    return pid % slots


def shadow_of(pid: int, slots: int) -> int:
    return (pid // slots) & 1


def seq_of(pid: int) -> int:
    return pid % SEQ_MODULUS


@dataclass
class AimdWindow:
    """ATP-style AIMD: +1 packet per window of un-marked results, halve on an ECN echo
    (at most once per window of results), bounded to ``[1, limit]``. Timeouts do not
    shrink it: random loss is not congestion here; the switch marks ECN when queues grow."""

    limit: int
    cwnd: float
    enabled: bool = True
    _since_cut: int = 0
    decreases: int = 0

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"window limit {self.limit} < 1")
        self.cwnd = float(min(max(self.cwnd, 1.0), self.limit))
        self._since_cut = int(self.cwnd)

    @property
    def size(self) -> int:
        return max(1, int(self.cwnd))

    def on_result(self, ecn_echo: bool) -> None:
        if not self.enabled:
            return
        self._since_cut += 1
        if ecn_echo:
            if self._since_cut >= self.size:
                self.cwnd = max(1.0, self.cwnd / 2.0)
                self._since_cut = 0
                self.decreases += 1
        else:
            self.cwnd = min(float(self.limit), self.cwnd + 1.0 / self.cwnd)
