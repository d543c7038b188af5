"""The switch facade: a bmv2 JSON program run with simple_switch semantics.

:class:`Switch` implements :class:`inalab.switch.control.SwitchControl`,
runs the v1model pipeline (parser, verify checksum, ingress, traffic
manager, egress, compute checksum, deparser), the packet replication engine
and the end-of-ingress / end-of-egress events in simple_switch's order.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from inalab.switch.control import (
    ActionCall,
    ActionSpec,
    Digest,
    DigestHandler,
    IdleTimeoutHandler,
    InvalidRequestError,
    MatchKey,
    McNode,
    MeterRate,
    MirrorSession,
    NoPipelineError,
    PacketInHandler,
    TableEntry,
    TransmitHandler,
    UnknownNameError,
)
from inalab.switch.datapath import run_egress, run_ingress
from inalab.switch.errors import PacketError, ParserError
from inalab.switch.hashes import CUSTOM_CRC_DEFAULTS, CrcConfig, custom_crc_key
from inalab.switch.loader import Program, set_trace
from inalab.switch.packet import AssertionFailed, Packet
from inalab.switch.pre import Replication
from inalab.switch.stateful import check_rates
from inalab.switch.tables import Table
from inalab.switch.traffic_manager import DEFAULT_DEPTH, QueueStats, TrafficManager

_monotonic = time.monotonic
log = logging.getLogger("inalab.switch")
trace = logging.getLogger("inalab.switch.trace")

_PATH_STEP = re.compile(r"([A-Za-z_]+)(?:\[(\d+)\])?")

# outbox kinds other than a port number
_TO_CPU, _DIGEST = -1, -2

# standard_metadata.instance_type values (simple_switch)
NORMAL, CLONE_I2E, CLONE_E2E, COALESCED, RECIRC, REPLICATION, RESUBMIT = range(7)


class Switch:
    """A v1model switch. Thread-safe; ``start()`` runs the rate-limited queues."""

    def __init__(
        self,
        device_id: int = 0,
        cpu_port: int | None = None,
        drop_port: int = 511,
        priority_queues: int = 1,
        queue_depth: int = DEFAULT_DEPTH,
        queue_rate: float | None = None,
        seed: int | None = None,
    ) -> None:
        self.device_id = device_id
        self.rng = random.Random(seed)  # random(), hash algorithm "random"
        self.cpu_port = cpu_port
        self.drop_port = drop_port
        self.prog: Program | None = None
        self.pre = Replication()
        self.tm = TrafficManager(priority_queues, queue_depth)
        if queue_rate is not None:
            self.tm.set_rate(queue_rate, None, None)
        self._lock = threading.RLock()
        self._t0 = time.monotonic()
        self._pid = 0
        self._busy = 0
        # The datapath hands its outputs (frames, PacketIns, digests) to the
        # outbox while it holds the lock; they reach the user's handlers only
        # after the lock is released (see _deliver), so a handler may call
        # into this switch or into another one that delivers back here.
        self._outbox: deque[tuple[int, Any]] = deque()
        self._delivering = threading.Lock()
        self._tx_handler: TransmitHandler = lambda port, data: None
        self._transmit: Callable[[int, bytes], None] = self._queue_frame
        self._digest: DigestHandler | None = None
        self._pin_handler: PacketInHandler | None = None
        self._packet_in: Callable[[bytes], None] | None = None
        self._idle: IdleTimeoutHandler | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._idle_notified: set[tuple[str, int]] = set()
        self.drops: dict[str, int] = {}
        self.faults = 0  # packets lost to unexpected errors (bugs), see the log
        # failed assert()/assume() by source location ("file:line: fragment"); bmv2
        # aborts the process on the first one, we drop the packet and count it
        self.assert_failures: dict[str, int] = {}
        self._trace_on: bool | None = None
        self._crc_configs: dict[str, CrcConfig] = {}

    # ================================================================== lifecycle
    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        for target, name in ((self._scheduler, "tm"), (self._ageing, "ageing")):
            t = threading.Thread(target=target, name=f"inalab-switch-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        with self.tm.cv:
            self.tm.cv.notify_all()
        for t in self._threads:
            t.join(timeout=2)
        self._threads = []

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """True once no packet is queued or in flight (False on timeout)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self._idle_now():
                return True
            time.sleep(0.001)
        return self._idle_now()

    def _idle_now(self) -> bool:
        return (
            self.tm.idle()
            and self._busy == 0
            and not self._outbox
            and not self._delivering.locked()
        )

    def now_us(self) -> int:
        return int((_monotonic() - self._t0) * 1e6)

    # ================================================================== program
    def load_program(self, bmv2_json: str | bytes | dict[str, object]) -> None:
        prog = Program(bmv2_json, self.drop_port)
        rng = self.rng
        prog.ns["_rand"] = lambda lo, hi: rng.randint(lo, hi) if hi >= lo else lo
        prog.ns["ALG_random"] = lambda data: rng.getrandbits(32)
        with self._lock:
            # packets queued for the old program cannot run on the new one
            dropped: list[object] = []
            self.tm.drain(dropped.append)
            if dropped:
                self.drops["program replaced"] = self.drops.get("program replaced", 0) + len(
                    dropped
                )
            self.prog = prog
            self._trace_on = None
            self._crc_configs = {}  # a new program's calculations start with the defaults
            # bmv2 resets the PRE with the program; clone sessions stay configured
            sessions = self.pre.sessions
            self.pre = Replication()
            self.pre.sessions = sessions
            self._idle_notified.clear()

    def program_json(self) -> dict[str, object] | None:
        return self.prog.json if self.prog else None

    def _p(self) -> Program:
        if self.prog is None:
            raise NoPipelineError("no program loaded")
        return self.prog

    def _table(self, name: str) -> Table:
        t = self._p().tables.get(name)
        if t is None:
            raise UnknownNameError(f"unknown table '{name}'")
        return t

    # ================================================================== tables
    def table_add(
        self, table: str, keys: Sequence[MatchKey], action: ActionSpec, priority: int | None = None
    ) -> int:
        with self._lock:
            return self._table(table).add(keys, action, priority)

    def table_modify(self, table: str, handle: int, action: ActionSpec) -> None:
        with self._lock:
            self._table(table).modify(handle, action)

    def table_delete(self, table: str, handle: int) -> None:
        with self._lock:
            self._table(table).delete(handle)

    def table_find(
        self, table: str, keys: Sequence[MatchKey], priority: int | None = None
    ) -> int | None:
        with self._lock:
            return self._table(table).find(keys, priority)

    def table_entries(self, table: str) -> list[TableEntry]:
        with self._lock:
            return self._table(table).snapshot()

    def table_clear(self, table: str) -> None:
        with self._lock:
            self._table(table).clear()

    def table_set_default(self, table: str, action: ActionCall) -> None:
        with self._lock:
            self._table(table).set_default(action)

    def table_reset_default(self, table: str) -> None:
        with self._lock:
            t = self._table(table)
            if t.initial_default is not None:
                t.set_default(t.initial_default, force=True)

    def table_get_default(self, table: str) -> ActionCall:
        with self._lock:
            t = self._table(table)
            return ActionCall(t.default_name, t.default_data)

    def table_set_timeout(self, table: str, handle: int, timeout_ms: int | None) -> None:
        with self._lock:
            t = self._table(table)
            if not t.support_timeout:
                raise InvalidRequestError(f"table '{table}' does not support idle timeouts")
            e = t.get(handle)
            e.timeout_ms = timeout_ms
            e.last_hit = time.monotonic()
            self._idle_notified.discard((table, handle))

    def table_times_since_hit(self, table: str) -> dict[int, float]:
        """Seconds since each entry of an idle-timeout table was last hit (since it
        was added, or its timeout set, if never hit): P4Runtime's
        ``time_since_last_hit``. Entry handle -> seconds."""
        with self._lock:
            t = self._table(table)
            if not t.support_timeout:
                raise InvalidRequestError(f"table '{table}' does not support idle timeouts")
            now = time.monotonic()
            return {h: max(0.0, now - e.last_hit) for h, e in t.entries.items()}

    # ================================================================== action profiles
    def _prof(self, name: str) -> Any:
        pr = self._p().profiles.get(name)
        if pr is None:
            raise UnknownNameError(f"unknown action profile '{name}'")
        return pr

    def act_prof_add_member(self, profile: str, action: ActionCall) -> int:
        with self._lock:
            return int(self._prof(profile).add_member(action))

    def act_prof_modify_member(self, profile: str, member: int, action: ActionCall) -> None:
        with self._lock:
            self._prof(profile).modify_member(member, action)

    def act_prof_delete_member(self, profile: str, member: int) -> None:
        with self._lock:
            prof = self._prof(profile)
            for t in self._p().tables.values():
                if t.profile is prof:
                    for e in t.entries.values():
                        if getattr(e.action, "member", None) == member:
                            raise InvalidRequestError(
                                f"member {member} is used by table '{t.name}'"
                            )
            prof.delete_member(member)

    def act_prof_create_group(self, profile: str) -> int:
        with self._lock:
            return int(self._prof(profile).create_group())

    def act_prof_delete_group(self, profile: str, group: int) -> None:
        with self._lock:
            self._prof(profile).delete_group(group)

    def act_prof_add_member_to_group(self, profile: str, member: int, group: int) -> None:
        with self._lock:
            self._prof(profile).add_to_group(member, group)

    def act_prof_remove_member_from_group(self, profile: str, member: int, group: int) -> None:
        with self._lock:
            self._prof(profile).remove_from_group(member, group)

    def act_prof_members(self, profile: str) -> dict[int, ActionCall]:
        with self._lock:
            return {m: v[0] for m, v in self._prof(profile).members.items()}

    def act_prof_groups(self, profile: str) -> dict[int, tuple[int, ...]]:
        with self._lock:
            return {g: tuple(v) for g, v in self._prof(profile).groups.items()}

    # ================================================================== counters / meters / registers
    def _counter(self, name: str) -> Any:
        c = self._p().counters.get(name)
        if c is None:
            raise UnknownNameError(f"unknown counter '{name}'")
        return c

    def counter_read(self, name: str, index: int) -> tuple[int, int]:
        with self._lock:
            r: tuple[int, int] = self._counter(name).read(index)
            return r

    def counter_write(self, name: str, index: int, packets: int, bytes_: int) -> None:
        with self._lock:
            self._counter(name).write(index, packets, bytes_)

    def counter_reset(self, name: str) -> None:
        with self._lock:
            prog = self._p()
            if name in prog.direct_counters:
                for e in self._table(prog.direct_counters[name]).entries.values():
                    e.packets = e.bytes_ = 0
                return
            self._counter(name).reset()

    def direct_counter_read(self, table: str, handle: int) -> tuple[int, int]:
        with self._lock:
            e = self._table(table).get(handle)
            return e.packets, e.bytes_

    def direct_counter_write(self, table: str, handle: int, packets: int, bytes_: int) -> None:
        with self._lock:
            e = self._table(table).get(handle)
            e.packets, e.bytes_ = packets, bytes_

    def _meter(self, name: str) -> Any:
        m = self._p().meters.get(name)
        if m is None:
            raise UnknownNameError(f"unknown meter '{name}'")
        return m

    def meter_set_rates(self, name: str, index: int, rates: Sequence[MeterRate]) -> None:
        with self._lock:
            self._meter(name).set_rates(index, list(rates))

    def meter_get_rates(self, name: str, index: int) -> list[MeterRate]:
        with self._lock:
            r: list[MeterRate] = self._meter(name).get_rates(index)
            return r

    def direct_meter_set_rates(self, table: str, handle: int, rates: Sequence[MeterRate]) -> None:
        with self._lock:
            t = self._table(table)
            if t.direct_meter is None:
                raise InvalidRequestError(f"table '{table}' has no direct meter")
            check_rates(table, list(rates), 2)
            t.get(handle).meter.configure(list(rates))

    def direct_meter_get_rates(self, table: str, handle: int) -> list[MeterRate]:
        with self._lock:
            return list(self._table(table).get(handle).meter.rates)

    def _register(self, name: str) -> Any:
        r = self._p().registers.get(name)
        if r is None:
            raise UnknownNameError(f"unknown register '{name}'")
        return r

    def register_read(self, name: str, index: int) -> int:
        with self._lock:
            return int(self._register(name).read(index))

    def register_write(self, name: str, index: int, value: int) -> None:
        with self._lock:
            r = self._register(name)
            if not 0 <= value < (1 << r.width):
                raise InvalidRequestError(f"register '{name}': {value} wider than {r.width} bits")
            r.write(index, value)

    def register_size(self, name: str) -> int:
        with self._lock:
            return int(self._register(name).size)

    def register_reset(self, name: str) -> None:
        with self._lock:
            self._register(name).reset()

    # ================================================================== custom CRCs
    def _custom_crc_algo(self, calculation: str) -> str:
        calcs = self._p().json.get("calculations") or []
        assert isinstance(calcs, list)
        for c in calcs:
            if isinstance(c, dict) and c.get("name") == calculation:
                algo = str(c.get("algo"))
                if algo not in CUSTOM_CRC_DEFAULTS:
                    raise InvalidRequestError(
                        f"calculation '{calculation}' uses '{algo}', not a custom CRC"
                    )
                return algo
        raise UnknownNameError(f"unknown calculation '{calculation}'")

    def custom_crc_calculations(self) -> dict[str, str]:
        """Named calculations using ``crc16_custom`` / ``crc32_custom`` -> algorithm."""
        with self._lock:
            calcs = self._p().json.get("calculations") or []
            assert isinstance(calcs, list)
            return {
                str(c["name"]): str(c["algo"])
                for c in calcs
                if isinstance(c, dict) and c.get("algo") in CUSTOM_CRC_DEFAULTS
            }

    def set_crc_parameters(self, calculation: str, config: CrcConfig) -> None:
        """bmv2's ``set_crc16_parameters`` / ``set_crc32_parameters``: the CRC a
        named ``crc16_custom`` / ``crc32_custom`` calculation computes from now on
        (until the next program load, which restores the defaults)."""
        with self._lock:
            algo = self._custom_crc_algo(calculation)
            if algo != f"crc{config.width}_custom":
                raise InvalidRequestError(
                    f"calculation '{calculation}' uses '{algo}': "
                    f"crc{config.width} parameters do not apply"
                )
            self._p().ns[custom_crc_key(calculation)] = config.function()
            self._crc_configs[calculation] = config

    def crc_parameters(self, calculation: str) -> CrcConfig:
        with self._lock:
            algo = self._custom_crc_algo(calculation)
            return self._crc_configs.get(calculation, CUSTOM_CRC_DEFAULTS[algo])

    # ================================================================== value sets
    def _vset(self, name: str) -> dict[tuple[int, int | None], None]:
        vs = self._p().vsets.get(name)
        if vs is None:
            raise UnknownNameError(f"unknown parser value set '{name}'")
        return vs

    def pvs_add(self, name: str, value: int, mask: int | None = None) -> None:
        with self._lock:
            self._vset(name)[(value, mask)] = None

    def pvs_remove(self, name: str, value: int, mask: int | None = None) -> None:
        with self._lock:
            vs = self._vset(name)
            if (value, mask) not in vs:
                from inalab.switch.control import EntryNotFoundError

                raise EntryNotFoundError(f"value set '{name}': no such value")
            del vs[(value, mask)]

    def pvs_entries(self, name: str) -> list[tuple[int, int | None]]:
        with self._lock:
            return list(self._vset(name))

    # ================================================================== PRE
    def mc_group_create(self, group: int) -> None:
        with self._lock:
            self.pre.group_create(group)

    def mc_group_delete(self, group: int) -> None:
        with self._lock:
            self.pre.group_delete(group)

    def mc_node_create(self, rid: int, ports: Sequence[int]) -> int:
        with self._lock:
            return self.pre.node_create(rid, ports)

    def mc_node_update(self, node: int, ports: Sequence[int]) -> None:
        with self._lock:
            self.pre.node_update(node, ports)

    def mc_node_delete(self, node: int) -> None:
        with self._lock:
            self.pre.node_delete(node)

    def mc_node_associate(self, group: int, node: int) -> None:
        with self._lock:
            self.pre.associate(group, node)

    def mc_node_dissociate(self, group: int, node: int) -> None:
        with self._lock:
            self.pre.dissociate(group, node)

    def mc_groups(self) -> dict[int, tuple[McNode, ...]]:
        with self._lock:
            return self.pre.snapshot()

    def mirroring_add(self, session: MirrorSession) -> None:
        with self._lock:
            self.pre.mirroring_add(session)

    def mirroring_delete(self, session: int) -> None:
        with self._lock:
            self.pre.mirroring_delete(session)

    def mirroring_get(self, session: int) -> MirrorSession:
        with self._lock:
            return self.pre.mirroring_get(session)

    # ================================================================== traffic manager
    def set_queue_depth(
        self, depth: int, port: int | None = None, priority: int | None = None
    ) -> None:
        self.tm.set_depth(depth, port, priority)

    def set_queue_rate(
        self, pps: float | None, port: int | None = None, priority: int | None = None
    ) -> None:
        self.tm.set_rate(pps, port, priority)

    def queue_stats(self) -> dict[tuple[int, int], QueueStats]:
        """(port, priority) -> enqueued / dropped / dequeued counts."""
        with self.tm.cv:
            return {
                k: QueueStats(v.enqueued, v.dropped, v.dequeued) for k, v in self.tm.stats.items()
            }

    # ================================================================== handlers
    def set_transmit_handler(self, handler: TransmitHandler) -> None:
        self._tx_handler = handler

    def set_digest_handler(self, handler: DigestHandler | None) -> None:
        self._digest = handler

    def set_packet_in_handler(self, handler: PacketInHandler | None) -> None:
        self._pin_handler = handler
        self._packet_in = None if handler is None else self._queue_packet_in

    def set_idle_timeout_handler(self, handler: IdleTimeoutHandler | None) -> None:
        self._idle = handler

    def packet_out(self, data: bytes) -> None:
        if self.cpu_port is None:
            raise InvalidRequestError("the switch has no CPU port")
        self.receive(self.cpu_port, data)

    # ================================================================== datapath
    def receive(self, port: int, data: bytes) -> None:
        """A frame arrived on ``port``: run it through the pipeline."""
        if not 0 <= port < 512:
            raise InvalidRequestError(f"port {port} outside 0..511")
        with self._lock:
            if self.prog is None:
                return
            self._busy += 1
            try:
                run_ingress(self, port, data if type(data) is bytes else bytes(data))
            except Exception as exc:  # a fault in one packet must not stop the switch
                self.faults += 1
                log.error("packet from port %d dropped: internal error: %r", port, exc)
                log.debug("fault details", exc_info=True)
            finally:
                self._busy -= 1
        if self._outbox:
            self._deliver()

    # ================================================================== outputs
    # Outbox items are (port, frame) for the transmit handler, or (_TO_CPU, frame)
    # / (_DIGEST, Digest) for the PacketIn / digest handlers.
    def _queue_frame(self, port: int, data: bytes) -> None:
        self._outbox.append((port, data))

    def _queue_packet_in(self, data: bytes) -> None:
        self._outbox.append((_TO_CPU, data))

    def _send_other(self, kind: int, item: Any) -> None:
        if kind == _DIGEST:
            if self._digest is not None:
                self._digest(item)
        elif self._pin_handler is not None:
            self._pin_handler(item)
        else:  # the handler went away meanwhile: the CPU port is a plain port again
            self._tx_handler(self.cpu_port if self.cpu_port is not None else 0, item)

    def _deliver(self) -> None:
        """Hand the outbox to the handlers, in the order the pipeline produced it.

        Called with the lock released. One thread delivers at a time (so each
        port sees its frames in pipeline order); a thread that finds another one
        delivering leaves its outputs to it instead of waiting, which is what
        makes chained switches (a handler calling another switch's receive(),
        which delivers back here) deadlock-free. A handler re-entering this
        switch from the delivering thread returns at once and its outputs
        follow in this loop.
        """
        box = self._outbox
        busy = self._delivering
        # an output queued between the last popleft and the release is seen by
        # the outer condition (its producer may have found us still delivering)
        while box and busy.acquire(blocking=False):
            try:
                tx = self._tx_handler
                while box:
                    port, item = box.popleft()
                    try:
                        if port >= 0:
                            tx(port, item)
                        else:
                            self._send_other(port, item)
                    except Exception as exc:  # a faulty handler must not stop the switch
                        with self._lock:  # pipeline threads count faults too
                            self.faults += 1
                        log.error("output handler failed: %r", exc)
                        log.debug("fault details", exc_info=True)
            finally:
                busy.release()

    def _drop(self, p: Packet | None, why: str) -> None:
        self.drops[why] = self.drops.get(why, 0) + 1
        if p is not None and trace.isEnabledFor(logging.DEBUG):
            trace.debug("[%d.%d] Dropping packet: %s", p.pid, p.copy, why)

    def _scheduler(self) -> None:

        while not self._stop.is_set():
            r = self.tm.dequeue(self._stop)
            if r is None:
                return
            port, _prio, qi, depth_after = r
            try:
                with self._lock:
                    if self.prog is not None:
                        more = run_egress(self, port, qi.item, qi.enq_us, qi.enq_depth, depth_after)
                        for data, iport, itype, src, fl in more:
                            run_ingress(self, iport, data, itype, src, fl)
            except Exception:  # a bug must not kill the scheduler thread
                log.exception("egress of a packet on port %d failed", port)
            finally:
                if self._outbox:
                    self._deliver()
                self.tm.done()

    def _ageing(self) -> None:
        while not self._stop.wait(0.05):
            expired: list[tuple[str, tuple[int, ...]]] = []
            with self._lock:
                prog = self.prog
                if prog is None or self._idle is None:
                    continue
                now = time.monotonic()
                for t in prog.tables.values():
                    if not t.support_timeout:
                        continue
                    hs = []
                    for e in t.entries.values():
                        key = (t.name, e.handle)
                        if e.timeout_ms is None:
                            continue
                        if now - e.last_hit >= e.timeout_ms / 1000.0:
                            if key not in self._idle_notified:
                                self._idle_notified.add(key)
                                hs.append(e.handle)
                        else:
                            self._idle_notified.discard(key)
                    if hs:
                        expired.append((t.name, tuple(hs)))
            handler = self._idle
            for name, hs_t in expired:
                if handler is not None:
                    handler(name, hs_t)

    def _emit_digest(self, name: str, lid: int, values: tuple[int, ...]) -> None:
        if self._digest is not None:
            self._outbox.append((_DIGEST, Digest(name, lid, (values,))))

    def _set_trace(self) -> bool:
        on = trace.isEnabledFor(logging.DEBUG)
        if on is not self._trace_on:
            self._trace_on = on
            if self.prog is not None:
                set_trace(on, self.prog.ns)
        return on

    def _error(self, p: Packet, exc: PacketError | ParserError) -> None:
        if not isinstance(exc, AssertionFailed):
            log.warning("packet %d dropped: %s", p.pid, exc)
            return
        what, path = exc.what, exc.path
        where = self._source_location(path)
        with self._lock:
            self.assert_failures[where] = self.assert_failures.get(where, 0) + 1
        # bmv2's message ("Assert error: <fragment> failed, file F, line L"), then
        # ours: bmv2 aborts the whole switch here, we drop this packet only
        log.error(
            "%s error: %s failed (%s); packet %d dropped (bmv2 would abort the switch)",
            what.capitalize(),
            where,
            path,
            p.pid,
        )

    def _source_location(self, path: str) -> str:
        """``file:line: fragment`` of the JSON object at ``path`` (e.g.
        ``actions[3].primitives[0]``) from its ``source_info``, else the path."""
        node: Any = self.prog.json if self.prog is not None else None
        for name, index in _PATH_STEP.findall(path):
            node = node.get(name) if isinstance(node, dict) else None
            if index:
                node = (
                    node[int(index)] if isinstance(node, list) and int(index) < len(node) else None
                )
        info = node.get("source_info") if isinstance(node, dict) else None
        if not isinstance(info, dict):
            return path
        frag = str(info.get("source_fragment", "")).strip()
        loc = f"{info.get('filename', '?')}:{info.get('line', '?')}"
        return f"{loc}: {frag}" if frag else loc
