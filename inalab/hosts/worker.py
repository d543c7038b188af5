"""The worker agent: ``allreduce(array)`` over the loss-tolerant INA protocol.

One round (one call) streams the array as blocks of K lanes through the job's
slots (see :mod:`inalab.hosts.window`). For float32 the exponent agreement is
carried with the data, as in SwitchML's later design: packet ``j`` of a round
carries the local exponent of block ``j`` and the values of block ``j - D``
(``D = min(slots, blocks)``), quantized with the maximum exponent the result of
packet ``j - D`` returned, so a float32 round is ``blocks + D`` packets. int32
arrays go as they are, one packet per block.

Reliability: each outstanding packet has a timer (``rto``, times ``BACKOFF`` per retry
up to ``max_rto``); on expiry it is resent with the RESEND flag. Results already
received, and results of other jobs/rounds, are ignored and counted.

Loss tolerance: after the round's ``deadline``, while the round stays within
``loss_bound`` (a fraction of its packets), a packet outstanding for ``grace``
is given up: the worker sends a flush request (a contribution with
``contrib_count = 0``); the switch (``p4src/ina.p4``) or the PS closes the slot
and sends its partial sum to every worker alike, and answers anything later for
that slot with the same result, so every rank resolves the block the same way.
An unanswered flush is repeated every ``grace``. Partial sums are rescaled by
n/count; an empty closed slot (count 0) is zero-filled on every rank. Beyond the
bound the worker keeps retransmitting until ``timeout``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from inalab.hosts import importance as imp
from inalab.hosts import quantize as qz
from inalab.hosts.config import JobConfig
from inalab.hosts.errors import AllreduceTimeout, InputError
from inalab.hosts.stats import RoundStats
from inalab.hosts.transport import Transport, UdpTransport
from inalab.hosts.window import SEQ_MODULUS, AimdWindow
from inalab.protocol import codec
from inalab.protocol import format as fmt

log = logging.getLogger("inalab.worker")

_CONTRIB = int(fmt.MsgType.CONTRIB)
_RESULT = int(fmt.MsgType.RESULT)
_SHADOW = int(fmt.Flag.SHADOW)
_RESEND = int(fmt.Flag.RESEND)
_ECN_ECHO = int(fmt.Flag.ECN_ECHO)
_HDR = codec.HEADER_STRUCT
_I_TYPE, _I_FLAGS, _I_JOB, _I_SLOT, _I_EXP, _I_SEQ, _I_CONTRIB, _I_COUNT_V = (
    codec.FIELD_INDEX[n]
    for n in (
        "msg_type", "flags", "job_id", "slot_id", "block_exp", "seq", "contrib_count",
        "value_count",
    )
)  # fmt: skip
# Timer backoff per retry. Gentle, because a worker whose own contribution arrived
# also times out while it waits for a peer's retransmission: doubling would make it
# sleep through the completion and the loss of its result.
BACKOFF = 1.5
# Results of packets sent after an unfinished one that trigger its fast retransmission.
DUP_THRESHOLD = 3


def validate(array: Any) -> npt.NDArray:
    """The array an allreduce accepts: 1-D float32 or int32, finite. Raises :class:`InputError`."""
    if not isinstance(array, np.ndarray):
        raise InputError(f"allreduce needs a numpy array, got {type(array).__name__}")
    if array.dtype not in (np.float32, np.int32):
        raise InputError(f"allreduce supports float32 and int32 arrays, got {array.dtype}")
    if array.ndim != 1:
        raise InputError(
            f"allreduce needs a 1-D array, got shape {array.shape} (use array.ravel())"
        )
    if array.dtype == np.float32:
        bad = ~np.isfinite(array)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(
                f"allreduce: non-finite value {array[i]} at index {i} "
                f"({int(bad.sum())} non-finite in total); NaN/Inf cannot be quantized"
            )
    return array


class Worker:
    """One rank of a job. Use as a context manager or call :meth:`close`."""

    def __init__(self, config: JobConfig, transport: Transport | None = None) -> None:
        self.config = config
        self.transport: Transport = transport or UdpTransport(
            config.server_address, config.paths, config.local_host, config.bind_port
        )
        self.window = AimdWindow(config.slots, config.initial_window, enabled=config.ecn)
        self._next_pid = config.first_packet  # job-wide id of the next round's first packet
        self._round = 0
        self.srtt = 0.0  # smoothed round-trip time of un-retransmitted packets (s)
        self.rttvar = 0.0  # its mean deviation (RFC 6298)
        self.last_stats: RoundStats | None = None
        self.history: list[RoundStats] = []

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.transport.close()

    # ------------------------------------------------------------------ allreduce
    def allreduce(self, array: npt.NDArray, importance: int | None = None) -> npt.NDArray:
        """The sum over the job's workers of ``array`` (same length on every worker).

        float32: within ``n * 2**(E-B)`` per value (see :mod:`inalab.hosts.quantize`);
        int32: exact (wrapping like the switch's 32-bit add). ``importance`` fixes
        the DSCP class of every block (layer rule); by default the job's rule decides.
        """
        a = validate(array)
        self._round += 1
        rnd = _Round(self, a, importance, time.monotonic())
        return rnd.run() if rnd.p else rnd.finish()


class _Round:
    """State of one allreduce call (kept out of :class:`Worker` for clarity)."""

    def __init__(
        self, worker: Worker, a: npt.NDArray, importance: int | None, started: float
    ) -> None:
        cfg = worker.config
        self.w = worker
        self.cfg = cfg
        self.a = a
        self.started = started
        self.n = cfg.n_workers
        self.k = cfg.lanes
        self.is_float = a.dtype == np.float32
        self.blocks = qz.chunk(a, self.k)
        p = self.blocks.shape[0]
        self.p = p
        self.d = min(cfg.slots, p) if self.is_float else 0
        self.npk = p + self.d
        self.base = worker._next_pid
        worker._next_pid += self.npk
        # counters
        self.sent = self.bytes_sent = self.recvd = self.bytes_recvd = 0
        self.retx = self.flushes = self.dups = self.foreign = self.malformed = self.ecn = 0
        if p == 0:
            return
        peaks = np.abs(self.blocks.astype(np.float64)).max(axis=1)
        cls = imp.classes(peaks, cfg.importance, importance)
        pkt_cls = np.zeros(self.npk, dtype=np.uint8)
        pkt_cls[:p] = cls
        if self.d:
            pkt_cls[self.d :] = np.maximum(pkt_cls[self.d :], cls)
        self.tos = imp.tos_bytes(pkt_cls, cfg.ecn)
        pids = self.base + np.arange(self.npk, dtype=np.int64)
        b = codec.new_batch(self.npk, self.k)
        b["msg_type"] = _CONTRIB
        b["job_id"] = cfg.job_id
        b["worker_id"] = cfg.rank
        b["contrib_count"] = 1
        b["slot_id"] = pids % cfg.slots
        b["flags"] = ((pids // cfg.slots) & 1) * _SHADOW
        b["seq"] = pids % SEQ_MODULUS
        if self.is_float:
            b["block_exp"][:p] = qz.block_exponents(self.blocks)
        else:
            b["values"] = self.blocks
        self.batch = b
        self.exp_unknown = np.zeros(p, dtype=bool)  # float: data sent as zeros
        self.q_upto = 0  # float: blocks [0, q_upto) are quantized into the batch
        # per-packet state
        self.done = np.zeros(self.npk, dtype=bool)
        self.first = np.zeros(self.npk)
        self.last = np.zeros(self.npk)
        self.retries = np.zeros(self.npk, dtype=np.int64)
        self.flush_at = np.zeros(self.npk)
        self.count = np.full(self.npk, -1, dtype=np.int64)
        self.rexp = np.zeros(self.npk, dtype=np.uint8)
        self.rvals = np.zeros((self.npk, self.k), dtype=np.int32)
        self.budget = int(cfg.loss_bound * self.npk)
        self.lossy = 0  # packets accepted non-exactly, plus pending flushes
        self.dtype = codec.payload_dtype(self.k)
        self.size = self.dtype.itemsize

    # ------------------------------------------------------------------ sending
    def _payload(self, j: int, flags: int = 0, flush: bool = False) -> bytes:
        rec = self.batch[j : j + 1].copy() if (flags or flush) else self.batch[j : j + 1]
        if flags:
            rec["flags"] |= flags
        if flush:
            rec["contrib_count"] = 0
            rec["values"] = 0
        return rec.tobytes()

    def _fill_float(self, j: int) -> None:
        """Quantize the block packet ``j`` carries with the exponent its result agreed,
        together with every following block whose exponent is already known."""
        b = j - self.d
        if b < self.q_upto:
            return
        known = self.done[b : b + 4 * self.cfg.slots]  # exponent packets b, b+1, ...
        end = b + (int(np.argmin(known)) if not known.all() else known.size)
        end = min(end, self.p)
        cnt = self.count[b:end]
        self.exp_unknown[b:end] = cnt <= 0  # not agreed: contribute zeros for the block
        q = qz.quantize(self.blocks[b:end], self.rexp[b:end], self.n)
        q[cnt <= 0] = 0
        self.batch["values"][b + self.d : end + self.d] = q
        self.q_upto = end

    def _send(self, payload: bytes, j: int) -> None:
        self.w.transport.send(payload, int(self.tos[j]), j)
        self.sent += 1
        self.bytes_sent += len(payload)

    # ------------------------------------------------------------------ receiving
    def _on_payload(self, data: bytes) -> None:
        self.recvd += 1
        self.bytes_recvd += len(data)
        if len(data) != self.size:
            self.malformed += 1
            return
        h = _HDR.unpack_from(data)
        if h[_I_TYPE] != _RESULT or h[_I_COUNT_V] != self.k:
            self.malformed += 1
            return
        if h[_I_JOB] != self.cfg.job_id:
            self.foreign += 1
            return
        j = (h[_I_SEQ] - self.base) % SEQ_MODULUS
        if j >= self.npk:
            self.foreign += 1  # another round
            return
        pid = self.base + j
        flags = h[_I_FLAGS]
        if h[_I_SLOT] != pid % self.cfg.slots or bool(flags & _SHADOW) != bool(
            (pid // self.cfg.slots) & 1
        ):
            self.malformed += 1
            return
        if self.done[j]:
            self.dups += 1
            return
        cnt = h[_I_CONTRIB]
        if cnt > self.n:
            self.malformed += 1
            return
        self.done[j] = True
        self.count[j] = cnt
        self.rexp[j] = h[_I_EXP]
        self.rvals[j] = codec.values_of(data, self.k)
        if self.flush_at[j]:
            self.lossy -= 1
        if cnt < self.n:
            self.lossy += 1
        if self.retries[j] == 0 and self.first[j]:
            rtt = time.monotonic() - self.first[j]
            w = self.w
            if w.srtt == 0.0:
                w.srtt, w.rttvar = rtt, rtt / 2
            else:
                w.rttvar = 0.75 * w.rttvar + 0.25 * abs(w.srtt - rtt)
                w.srtt = 0.875 * w.srtt + 0.125 * rtt
        echo = bool(flags & _ECN_ECHO)
        self.ecn += echo
        self.w.window.on_result(echo)

    # ------------------------------------------------------------------ main loop
    def run(self) -> npt.NDArray:
        cfg = self.cfg
        tr = self.w.transport
        win = self.w.window
        deadline = self.started + cfg.deadline if cfg.deadline > 0 else float("inf")
        hard = self.started + cfg.timeout
        low = nxt = 0
        while low < self.npk:
            now = time.monotonic()
            # 1. open the window
            while (
                nxt < self.npk
                and nxt < low + win.size
                and (self.d == 0 or nxt < self.d or self.done[nxt - self.d])
            ):
                if not self.done[nxt]:  # a slot a peer's flush closed needs no contribution
                    if self.is_float and nxt >= self.d:
                        self._fill_float(nxt)
                    self._send(self._payload(nxt), nxt)
                    self.first[nxt] = self.last[nxt] = now
                nxt += 1
            # 2. receive until the earliest timer
            out = np.nonzero(~self.done[low:nxt])[0] + low
            live = out[self.flush_at[out] == 0]
            if live.size:
                rto = np.minimum(self._rto() * BACKOFF ** self.retries[live], cfg.max_rto)
                wake = float((self.last[live] + rto).min())
                over = self._overtaken(live, low, nxt)
                if over.size:  # wake when the first overtaken packet has been quiet enough
                    wake = min(wake, float(self.last[over].min()) + self._quiet())
            else:
                wake = now + cfg.grace
            if deadline < wake and deadline > now:
                wake = deadline
            data = tr.recv(max(0.0, min(wake, hard) - now))
            while data is not None:
                self._on_payload(data)
                data = tr.recv(0.0)
            now = time.monotonic()
            # 3. timers
            out = np.nonzero(~self.done[low:nxt])[0] + low
            live = out[self.flush_at[out] == 0]
            if live.size:
                rto = np.minimum(self._rto() * BACKOFF ** self.retries[live], cfg.max_rto)
                expired = live[now >= self.last[live] + rto]
                fast = self._overtaken(live, low, nxt)
                fast = fast[now - self.last[fast] >= self._quiet()]
                if fast.size:
                    expired = np.union1d(expired, fast)
                # At most half a window of resends per pass (oldest first): when most of
                # the window times out at once the aggregator or this host is overloaded,
                # and a storm of resends would feed it; the rest back off untransmitted.
                cap = max(1, win.size // 2)
                for j in expired[:cap].tolist():
                    self._send(self._payload(j, _RESEND), j)
                    self.retx += 1
                self.last[expired] = now
                self.retries[expired] += 1
            # 4. loss tolerance after the deadline
            if now >= deadline:
                self._give_up(out, now)
            while low < self.npk and self.done[low]:
                low += 1
            if low < self.npk and now >= hard:
                raise AllreduceTimeout(
                    f"job {cfg.job_id} rank {cfg.rank}: no result for "
                    f"{int((~self.done).sum())} of {self.npk} packets of round "
                    f"{self.w._round} after {cfg.timeout:g} s from {cfg.server} "
                    f"(is the {'PS' if cfg.via == 'ps' else 'switch'} up?)"
                )
        return self.finish()

    def _overtaken(self, live: npt.NDArray, low: int, nxt: int) -> npt.NDArray:
        """Fast retransmit candidates: unfinished packets overtaken by ``DUP_THRESHOLD``
        finished packets sent after them (higher id, first sent no earlier than their
        last transmission). Their contribution or their result was most likely lost;
        once quiet for :meth:`_quiet` they are resent without waiting for the timer."""
        win = np.arange(low, nxt)
        fin = win[self.done[low:nxt]]
        if fin.size < DUP_THRESHOLD or not live.size:
            return live[:0]
        later = (fin[None, :] > live[:, None]) & (
            self.first[fin][None, :] >= self.last[live][:, None]
        )
        return live[later.sum(axis=1) >= DUP_THRESHOLD]

    def _quiet(self) -> float:
        """How long an overtaken packet waits before its fast retransmission."""
        return max(self.w.srtt + 2.0 * self.w.rttvar, 0.001)

    def _rto(self) -> float:
        """Base timeout (RFC 6298): ``srtt + 4 rttvar``, at least ``rto``, at most ``max_rto``."""
        w = self.w
        return min(max(self.cfg.rto, w.srtt + 4.0 * w.rttvar), self.cfg.max_rto)

    def _give_up(self, outstanding: npt.NDArray, now: float) -> None:
        """After the deadline, within the loss bound: ask the aggregator (switch or PS)
        to close each packet unfinished for ``grace`` with a flush request. The closed
        slot's partial goes to every worker alike, and anything arriving later for it gets
        that same result, so all ranks resolve the block identically. An unanswered flush
        is repeated every ``grace`` (never zero-filled locally, which would let ranks
        differ) until the round's ``timeout``."""
        cfg = self.cfg
        for j in outstanding.tolist():
            if self.done[j]:
                continue
            if self.flush_at[j]:
                if now - self.flush_at[j] >= cfg.grace:  # flush or its answer lost: again
                    self._send(self._payload(j, _RESEND, flush=True), j)
                    self.flush_at[j] = now
                    self.retx += 1
                continue
            if now - self.first[j] < cfg.grace or self.lossy >= self.budget:
                continue
            self.lossy += 1
            self._send(self._payload(j, _RESEND, flush=True), j)
            self.flush_at[j] = now
            self.flushes += 1

    # ------------------------------------------------------------------ result
    def finish(self) -> npt.NDArray:
        a, p, n = self.a, self.p, self.n
        if p == 0:
            out = a.copy()
            exact = partial = missing = 0
        else:
            dj = np.arange(p) + self.d
            cnt = self.count[dj]
            missing_m = cnt <= 0
            if self.is_float:
                missing_m |= (self.count[:p] <= 0) | self.exp_unknown
            partial_m = ~missing_m & (cnt < n)
            factor = np.where(missing_m, 0.0, n / np.maximum(cnt, 1))
            sums = self.rvals[dj]
            if self.is_float:
                res = qz.dequantize(sums, self.rexp[:p], n, factor)
            else:
                scaled = np.rint(sums.astype(np.float64) * factor[:, None])
                lim = np.iinfo(np.int32)
                res = np.where(
                    partial_m[:, None], np.clip(scaled, lim.min, lim.max).astype(np.int32), sums
                )
                res[missing_m] = 0
            out = res.reshape(-1)[: a.size].astype(a.dtype, copy=False)
            missing = int(missing_m.sum())
            partial = int(partial_m.sum())
            exact = p - missing - partial
        st = RoundStats(
            round=self.w._round,
            first_packet=self.base,
            values=int(a.size),
            blocks=p,
            packets=self.npk,
            packets_sent=self.sent,
            bytes_sent=self.bytes_sent,
            packets_received=self.recvd,
            bytes_received=self.bytes_recvd,
            retransmissions=self.retx,
            flushes=self.flushes,
            exact=exact,
            partial=partial,
            missing=missing,
            duplicates=self.dups,
            foreign=self.foreign,
            malformed=self.malformed,
            ecn_echoes=self.ecn,
            window=self.w.window.size,
            elapsed=time.monotonic() - self.started,
        )
        self.w.last_stats = st
        self.w.history.append(st)
        log.info("job %d rank %d %s", self.cfg.job_id, self.cfg.rank, st.summary())
        return out
