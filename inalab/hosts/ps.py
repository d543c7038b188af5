"""The parameter server: software aggregation with the switch's semantics and wire format.

It serves jobs that have no switch region, best-effort collisions the switch
forwards (COLLISION flag) and overflow. Per job slot and shadow set it keeps
what the switch keeps (int32 sums with wrap-around, contributor bitmap, count,
max exponent, owner seq): a contribution whose bit is already set is not added
twice; when the count reaches n the result goes to every worker of the job
(the PS's "multicast": one unicast per known worker address); a contribution to
a completed slot gets the result back by unicast (UNICAST flag).

As the switch does: a flush request (a contribution with ``contrib_count = 0``,
sent by a worker past its deadline) closes an incomplete slot, and its partial
sum (count < n, bitmap of who is in it) goes to every worker, so all workers
see the same result; later contributions to it get that result back, even
after the slot set was reused (the last ``HISTORY`` closed results are kept).
A contribution that arrived ECN-CE marked sets ECN_ECHO on the slot's result.

:class:`Aggregator` is the logic (payload in, payloads out); :class:`ParameterServer`
runs it on a UDP socket.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from inalab.hosts.errors import ConfigError
from inalab.hosts.window import SEQ_MODULUS
from inalab.protocol import codec
from inalab.protocol import format as fmt

log = logging.getLogger("inalab.ps")

Address = tuple[str, int]
_SHADOW = int(fmt.Flag.SHADOW)
_UNICAST = int(fmt.Flag.UNICAST)
_ECN_ECHO = int(fmt.Flag.ECN_ECHO)
_CONTRIB = int(fmt.MsgType.CONTRIB)
_RESULT = int(fmt.MsgType.RESULT)
_SIZES = {fmt.payload_bytes(k): k for k in fmt.LANE_CHOICES}
_HDR = codec.HEADER_STRUCT
_FLAGS_AT = fmt.offset("flags")
_I_TYPE, _I_FLAGS, _I_JOB, _I_SLOT, _I_WORKER, _I_EXP, _I_SEQ, _I_CONTRIB, _I_COUNT_V = (
    codec.FIELD_INDEX[n]
    for n in (
        "msg_type", "flags", "job_id", "slot_id", "worker_id", "block_exp", "seq",
        "contrib_count", "value_count",
    )
)  # fmt: skip
# Closed results kept after their slot set is reused, for a worker that missed one
# while its peers moved on past partial slots (it can only retransmit).
HISTORY = 1 << 16


@dataclass(frozen=True)
class PsJob:
    """A job the PS aggregates for: its id and number of workers."""

    job_id: int
    n_workers: int

    def __post_init__(self) -> None:
        if not 0 <= self.job_id <= fmt.field("job_id").max_value:
            raise ConfigError(f"PS job id {self.job_id} out of range")
        if not 1 <= self.n_workers <= fmt.MAX_WORKERS:
            raise ConfigError(f"PS job {self.job_id}: n_workers {self.n_workers} out of 1..32")

    @classmethod
    def parse(cls, text: str) -> PsJob:
        """``JOB_ID:N_WORKERS`` (command line)."""
        try:
            job_s, n_s = text.split(":")
            return cls(int(job_s), int(n_s))
        except ValueError:
            raise ConfigError(f"--job {text!r}: expected JOB_ID:N_WORKERS, e.g. 7:4") from None


@dataclass
class _Slot:
    seq: int
    lanes: int
    values: npt.NDArray[np.int32]
    count: int = 0
    bitmap: int = 0
    exp: int = 0
    closed: bool = False
    ce: bool = False


@dataclass
class Aggregator:
    """Aggregation state of all jobs. Not thread-safe: one caller at a time."""

    jobs: dict[int, PsJob]
    slots: dict[tuple[int, int, int], _Slot] = field(default_factory=dict)
    members: dict[int, dict[int, Address]] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    history: OrderedDict[tuple[int, int], bytes] = field(default_factory=OrderedDict)

    @classmethod
    def for_jobs(cls, jobs: list[PsJob]) -> Aggregator:
        return cls({j.job_id: j for j in jobs})

    def handle(self, payload: bytes, src: Address, ce: bool = False) -> list[tuple[Address, bytes]]:
        """Process one received payload; returns the (destination, payload) pairs to send."""
        c = self.counters
        c["received"] += 1
        k = _SIZES.get(len(payload))
        if k is None:
            c["malformed"] += 1
            return []
        h = _HDR.unpack_from(payload)
        if h[_I_TYPE] != _CONTRIB or h[_I_COUNT_V] != k:
            c["malformed"] += 1
            return []
        job = self.jobs.get(h[_I_JOB])
        if job is None:
            c["unknown_job"] += 1
            return []
        rank = h[_I_WORKER]
        if rank >= job.n_workers:
            c["malformed"] += 1
            return []
        members = self.members.setdefault(job.job_id, {})
        members[rank] = src
        key = (job.job_id, h[_I_SLOT], h[_I_FLAGS] & _SHADOW)
        seq = h[_I_SEQ]
        st = self.slots.get(key)
        if st is None or 0 < (seq - st.seq) % SEQ_MODULUS < SEQ_MODULUS // 2:
            st = _Slot(seq, k, np.zeros(k, dtype=np.int32))
            self.slots[key] = st
        elif st.seq != seq:
            old = self.history.get((job.job_id, seq))
            if old is not None:
                c["late"] += 1
                return [(src, old)]
            c["stale"] += 1
            return []
        if st.lanes != k:
            c["malformed"] += 1
            return []
        if h[_I_CONTRIB] == 0:  # flush request
            c["flushes"] += 1
            if st.closed:
                return [(src, self._result(key, st, unicast=True))]
            st.closed = True
            c["partial" if st.count else "empty"] += 1
            return self._multicast(job.job_id, key, st)
        if st.closed:
            c["late"] += 1
            return [(src, self._result(key, st, unicast=True))]
        bit = 1 << rank
        if st.bitmap & bit:
            c["duplicate"] += 1
            return []
        # int32 add with wrap-around, as the switch's 32-bit registers do
        st.values += codec.values_of(payload, k)  # int32 + int32: wraps
        st.count += 1
        st.bitmap |= bit
        st.exp = max(st.exp, h[_I_EXP])
        st.ce |= ce
        c["contributions"] += 1
        if st.count == job.n_workers:
            st.closed = True
            c["complete"] += 1
            return self._multicast(job.job_id, key, st)
        return []

    def _result(self, key: tuple[int, int, int], st: _Slot, unicast: bool) -> bytes:
        hdr = dict.fromkeys(codec.HEADER_FIELDS, 0)
        hdr.update(
            msg_type=_RESULT,
            flags=key[2] | (_UNICAST if unicast else 0) | (_ECN_ECHO if st.ce else 0),
            job_id=key[0],
            slot_id=key[1],
            block_exp=st.exp,
            seq=st.seq,
            bitmap=st.bitmap,
            contrib_count=st.count,
            value_count=st.lanes,
        )
        head = _HDR.pack(*(hdr[n] for n in codec.HEADER_FIELDS))
        return head + st.values.astype(codec.VALUES_DTYPE).tobytes()

    def _multicast(
        self, job_id: int, key: tuple[int, int, int], st: _Slot
    ) -> list[tuple[Address, bytes]]:
        payload = self._result(key, st, unicast=False)
        self.counters["results"] += 1
        uni = bytearray(payload)
        uni[_FLAGS_AT] |= _UNICAST
        self.history[(job_id, st.seq)] = bytes(uni)
        if len(self.history) > HISTORY:
            self.history.popitem(last=False)
        return [(addr, payload) for addr in self.members[job_id].values()]


class ParameterServer:
    """An :class:`Aggregator` on a UDP socket; :meth:`start` runs it in a thread."""

    def __init__(
        self, jobs: list[PsJob], listen: Address = ("0.0.0.0", fmt.INA_PS_UDP_PORT)
    ) -> None:
        if not jobs:
            raise ConfigError("the PS needs at least one job (--job JOB_ID:N_WORKERS)")
        self.aggregator = Aggregator.for_jobs(jobs)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
            self.sock.bind(listen)
        except OSError as e:
            self.sock.close()
            raise ConfigError(
                f"PS cannot listen on {listen[0]}:{listen[1]}: {e.strerror}"
            ) from None
        self.sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> Address:
        host, port = self.sock.getsockname()
        return host, port

    def serve(self, duration: float | None = None) -> None:
        """Serve until :meth:`stop` / :meth:`request_stop` (or ``duration`` seconds)."""
        end = time.monotonic() + duration if duration else float("inf")
        agg, sock = self.aggregator, self.sock
        cmsg_space = socket.CMSG_SPACE(4)
        while not self._stop.is_set() and time.monotonic() < end:
            try:
                data, anc, _flags, src = sock.recvmsg(65535, cmsg_space)
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                raise
            ce = False
            for level, typ, cdata in anc:
                if level == socket.IPPROTO_IP and typ == socket.IP_TOS and cdata:
                    ce = (cdata[0] & 0x3) == fmt.ECN_CE
            for dst, out in agg.handle(data, src, ce):
                try:
                    sock.sendto(out, dst)
                except OSError:
                    agg.counters["send_errors"] += 1

    def request_stop(self) -> None:
        """Make :meth:`serve` return within 0.1 s (safe from a signal handler)."""
        self._stop.set()

    def start(self) -> ParameterServer:
        self._thread = threading.Thread(target=self.serve, name="inalab-ps", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self.sock.close()

    def __enter__(self) -> ParameterServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
