"""Digest delivery: DigestEntry configs, batching into DigestList, acks.

Per configured digest, samples from the switch collect into a list sent when
it holds ``max_list_size`` samples (0: no limit) or its oldest sample is
``max_timeout_ns`` old (0: at once). A sample already in a sent, unacked list
is suppressed until that list is acked or ``ack_timeout_ns`` passes; an
unconfigured digest is dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import grpc
from p4.v1 import p4runtime_pb2

from inalab.p4info.index import P4InfoIndex
from inalab.p4info.model import DigestInfo
from inalab.switch.control import Digest
from inalab.switch.p4runtime import bytestrings
from inalab.switch.p4runtime.errors import P4RuntimeError, invalid, not_found

Update = p4runtime_pb2.Update
Sample = tuple[int, ...]


@dataclass
class _Pending:
    samples: list[Sample] = field(default_factory=list)
    first_ns: int = 0


@dataclass(frozen=True)
class _Sent:
    digest_id: int
    samples: frozenset[Sample]
    sent_ns: int


class DigestEngine:
    def __init__(self, send: Callable[[p4runtime_pb2.StreamMessageResponse], None]) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._index: P4InfoIndex | None = None
        self._configs: dict[int, p4runtime_pb2.DigestEntry.Config] = {}
        self._pending: dict[int, _Pending] = {}
        self._sent: dict[int, _Sent] = {}
        self._next_list_id = 1
        self.wake = threading.Event()  # set when the timer has a new deadline to honour

    def reset(self, index: P4InfoIndex | None) -> None:
        with self._lock:
            self._index = index
            self._configs.clear()
            self._pending.clear()
            self._sent.clear()

    # DigestEntry ---------------------------------------------------------------
    def write(self, index: P4InfoIndex, kind: int, msg: p4runtime_pb2.DigestEntry) -> None:
        info = index.digest(msg.digest_id)
        where = f"digest {info.name!r}"
        with self._lock:
            exists = info.id in self._configs
            if kind == Update.INSERT:
                if exists:
                    raise P4RuntimeError(grpc.StatusCode.ALREADY_EXISTS, f"{where} is configured")
            elif kind in (Update.MODIFY, Update.DELETE):
                if not exists:
                    raise not_found(f"{where} is not configured")
            else:
                raise invalid("update type must be INSERT, MODIFY or DELETE")
            if kind == Update.DELETE:
                del self._configs[info.id]
                self._pending.pop(info.id, None)
                return
            cfg = msg.config
            if cfg.max_timeout_ns < 0 or cfg.ack_timeout_ns < 0 or cfg.max_list_size < 0:
                raise invalid(f"{where}: timeouts and list size must not be negative")
            stored = p4runtime_pb2.DigestEntry.Config()
            stored.CopyFrom(cfg)
            self._configs[info.id] = stored

    def read(self, query: p4runtime_pb2.DigestEntry) -> Iterator[p4runtime_pb2.Entity]:
        with self._lock:
            if query.digest_id and self._index is not None:
                self._index.digest(query.digest_id)
            items = sorted(self._configs.items())
        for did, cfg in items:
            if query.digest_id and did != query.digest_id:
                continue
            ent = p4runtime_pb2.Entity()
            ent.digest_entry.digest_id = did
            ent.digest_entry.config.CopyFrom(cfg)
            yield ent

    # data path ------------------------------------------------------------------
    def on_digest(self, digest: Digest) -> None:
        """Called from a switch thread with one digest message."""
        now = time.monotonic_ns()
        with self._lock:
            if self._index is None:
                return
            info = self._index.digest_by_json_name(digest.name)
            if info is None or info.id not in self._configs:
                return
            cfg = self._configs[info.id]
            self._expire_acks(now)
            blocked: set[Sample] = set()
            for sent in self._sent.values():
                if sent.digest_id == info.id:
                    blocked |= sent.samples
            pending = self._pending.setdefault(info.id, _Pending())
            for sample in digest.samples:
                if sample in blocked or sample in pending.samples:
                    continue
                if not pending.samples:
                    pending.first_ns = now
                    self.wake.set()  # a new deadline for the timer
                pending.samples.append(sample)
                if cfg.max_list_size and len(pending.samples) >= cfg.max_list_size:
                    self._flush(info, now)
                    pending = self._pending.setdefault(info.id, _Pending())
            if pending.samples and cfg.max_timeout_ns == 0:
                self._flush(info, now)

    def on_ack(self, ack: p4runtime_pb2.DigestListAck) -> None:
        with self._lock:
            sent = self._sent.get(ack.list_id)
            if sent is not None and sent.digest_id == ack.digest_id:
                del self._sent[ack.list_id]

    def tick(self) -> float | None:
        """Flush lists whose max_timeout passed and forget lists whose ack timed out;
        returns the seconds until the next list is due (None: nothing pending)."""
        now = time.monotonic_ns()
        due: int | None = None
        with self._lock:
            if self._index is None:
                return None
            self._expire_acks(now)
            for did, pending in list(self._pending.items()):
                cfg = self._configs.get(did)
                if cfg is None or not pending.samples:
                    continue
                deadline = pending.first_ns + cfg.max_timeout_ns
                if now >= deadline:
                    self._flush(self._index.digest(did), now)
                elif due is None or deadline < due:
                    due = deadline
        return None if due is None else (due - now) / 1e9

    def _expire_acks(self, now: int) -> None:
        for list_id, sent in list(self._sent.items()):
            cfg = self._configs.get(sent.digest_id)
            if cfg is None or now - sent.sent_ns >= cfg.ack_timeout_ns:
                del self._sent[list_id]

    def _flush(self, info: DigestInfo, now: int) -> None:
        pending = self._pending.pop(info.id, None)
        if pending is None or not pending.samples:
            return
        list_id = self._next_list_id
        self._next_list_id += 1
        msg = p4runtime_pb2.StreamMessageResponse()
        dl = msg.digest
        dl.digest_id = info.id
        dl.list_id = list_id
        dl.timestamp = time.time_ns()
        for sample in pending.samples:
            data = dl.data.add()
            if len(info.fields) == 1 and info.fields[0].name == info.name:
                data.bitstring = bytestrings.encode(sample[0])
            else:
                for value in sample:
                    data.struct.members.add().bitstring = bytestrings.encode(value)
        cfg = self._configs[info.id]
        if cfg.ack_timeout_ns:
            self._sent[list_id] = _Sent(info.id, frozenset(pending.samples), now)
        self._send(msg)
