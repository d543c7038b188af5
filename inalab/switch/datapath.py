"""The v1model packet path of :class:`inalab.switch.core.Switch`.

Ingress: parser, verify checksum, ingress control, then simple_switch's
end-of-ingress order (I2E clone, digest, resubmit, multicast, drop, unicast
enqueue). Egress: egress control, then E2E clone, drop, compute checksum and
deparse, recirculate, transmit.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING

from inalab.switch.control import MirrorSession
from inalab.switch.errors import PacketError, ParserError
from inalab.switch.packet import Packet

if TYPE_CHECKING:
    from inalab.switch.core import Switch
    from inalab.switch.loader import Program

trace = logging.getLogger("inalab.switch.trace")

NORMAL, CLONE_I2E, CLONE_E2E, COALESCED, RECIRC, REPLICATION, RESUBMIT = range(7)
MAX_LOOPS = 64


def _new_packet(sw: Switch, prog: Program, data: bytes) -> Packet:
    sw._pid += 1
    return Packet([0] * prog.nslots, prog.v_template[:], [0] * prog.nstacks, data, sw._pid)


def _parse(prog: Program, p: Packet, tr: bool) -> None:
    st = prog.parse_init if tr else prog.parse_fast
    if tr:
        trace.debug("[%d.%d] Parser 'parser': start", p.pid, p.copy)
    try:
        while st is not None:
            st = st(p)
    except ParserError as e:
        p.F[prog.sm["parser_error"]] = e.code
        if tr:
            trace.debug("[%d.%d] Exception while parsing: %s", p.pid, p.copy, e.name)
    except PacketError as e:
        if tr:
            trace.debug("[%d.%d] Parser fault: %s", p.pid, p.copy, e)
    if tr:
        trace.debug("[%d.%d] Parser 'parser': end (%d bytes parsed)", p.pid, p.copy, p.off)


def _reset_metadata(prog: Program, p: Packet) -> None:
    F = p.F
    for a, b in prog.metadata_slices:
        F[a:b] = [0] * (b - a)


def _run(prog: Program, pipeline: str, p: Packet) -> None:
    n = prog.pipeline_init.get(pipeline)
    while n is not None:
        n = n(p)
        if p.exit:
            break
    p.exit = False


def run_ingress(
    sw: Switch, port: int, data: bytes, itype: int = NORMAL, src: Packet | None = None, fl: int = 0
) -> None:
    prog = sw.prog
    assert prog is not None
    tr = sw._set_trace()
    more = _ingress_one(sw, prog, data, port, itype, src, fl, tr)
    if not more:
        return
    # resubmitted / recirculated / cloned-and-recirculated work, breadth first
    work: deque[Item] = deque(more)
    loops = 1
    while work:
        loops += 1
        if loops > MAX_LOOPS:
            sw._drop(None, "too many resubmit/recirculate rounds")
            return
        data, port, itype, src, fl = work.popleft()
        work.extend(_ingress_one(sw, prog, data, port, itype, src, fl, tr))


NOTHING: list[Item] = []


def _ingress_one(
    sw: Switch,
    prog: Program,
    data: bytes,
    port: int,
    itype: int,
    src: Packet | None,
    fl: int,
    tr: bool,
) -> list[Item]:
    sm = prog.sm
    sw._pid += 1
    p = Packet([0] * prog.nslots, prog.v_template[:], [0] * prog.nstacks, data, sw._pid)
    F = p.F
    if src is not None:
        f = prog.field_lists.get(fl)
        if f is not None:
            f(p, src)
    now = sw.now_us()
    if itype == NORMAL:
        F[prog.s_ingress_port] = port
        F[prog.s_packet_length] = len(data)
        F[prog.s_ingress_ts] = now & 0xFFFFFFFFFFFF
    else:
        # simple_switch resets all metadata of a resubmitted / recirculated packet
        # and copies back only the field list; a recirculated one gets its length
        F[prog.s_instance_type] = itype
        if itype == RECIRC:
            F[prog.s_packet_length] = len(data)
        else:
            p.len_reg = 0  # simple_switch clears the resubmitted copy's registers
    if tr:
        trace.debug("[%d.%d] Processing packet received on port %d", p.pid, p.copy, port)
        _parse(prog, p, tr)
    else:
        st = prog.parse_fast
        try:
            while st is not None:
                st = st(p)
        except ParserError as e:
            F[prog.s_parser_error] = e.code
        except PacketError:
            pass
    if not tr:
        if prog.verify_checksums:
            prog.verify_fast(p)
    else:
        for cs in prog.verify_checksums:
            if cs.cond(p) and (cs.calc(p) & ((1 << cs.width) - 1)) != F[cs.slot]:
                F[sm["checksum_error"]] = 1
                trace.debug("[%d.%d] Checksum '%s' verification failed", p.pid, p.copy, cs.name)
    n = prog.ingress_init if tr else prog.ingress_fast
    if tr:
        trace.debug("[%d.%d] Pipeline 'ingress': start", p.pid, p.copy)
    try:
        while n is not None:
            n = n(p)
            if p.exit:
                break
    except PacketError as e:
        sw._error(p, e)
        sw._drop(p, f"fault in ingress: {e}")
        return NOTHING
    p.exit = False
    # ---- end of ingress, in simple_switch's order
    more: list[Item] = NOTHING
    if p.clone_i2e is not None:
        more = []
        session, cfl = p.clone_i2e
        s = sw.pre.sessions.get(session)
        if s is not None:
            c = _new_packet(sw, prog, data)
            c.pid, c.copy = p.pid, p.copy + 1
            c.len_reg = len(data) if itype != RESUBMIT else 0
            _parse(prog, c, False)
            _reset_metadata(prog, c)
            f = prog.field_lists.get(cfl)
            if f is not None:
                f(c, p)
            c.F[sm["instance_type"]] = CLONE_I2E
            c.truncate = s.truncate
            if tr:
                trace.debug(
                    "[%d.%d] Cloning packet at ingress to session %d", p.pid, p.copy, session
                )
            more.extend(_to_session(sw, prog, c, s.port, s.mc_group))
    if p.digests:
        # one learn list per packet, the last generate_digest wins (as simple_switch)
        lid = p.digests[-1]
        ll = prog.learn_lists.get(lid)
        if ll is not None:
            sw._emit_digest(ll[0], lid, ll[1](p))
    if p.resubmit is not None:
        if tr:
            trace.debug("[%d.%d] Resubmitting packet", p.pid, p.copy)
        return [*more, (data, port, RESUBMIT, p, p.resubmit)]
    mgid = F[prog.s_mcast_grp]
    if mgid:
        if tr:
            trace.debug("[%d.%d] Multicast to group %d", p.pid, p.copy, mgid)
        return more + _multicast(sw, prog, p, mgid, REPLICATION)
    egress = F[prog.s_egress_spec]
    if egress == sw.drop_port:
        sw._drop(p, "egress_spec is the drop port at the end of ingress")
        return more
    if tr:
        trace.debug("[%d.%d] Egress port is %d", p.pid, p.copy, egress)
    if itype != NORMAL:
        F[prog.s_instance_type] = NORMAL  # as simple_switch, before the unicast enqueue
    r = enqueue(sw, prog, egress, p, now)
    return more + r if more else r


Item = tuple[bytes, int, int, "Packet | None", int]


def _multicast(sw: Switch, prog: Program, p: Packet, mgid: int, itype: int | None) -> list[Item]:
    sm = prog.sm
    more: list[Item] = []
    for rid, port in sw.pre.replicas(mgid):
        q = p.clone()
        q.copy = p.copy + 1
        q.F[sm["egress_rid"]] = rid
        if itype is not None:
            q.F[sm["instance_type"]] = itype
        more.extend(enqueue(sw, prog, port, q))
    return more


def _to_session(
    sw: Switch, prog: Program, c: Packet, port: int | None, group: int | None
) -> list[Item]:
    more: list[Item] = []
    if group is not None:
        more.extend(_multicast(sw, prog, c, group, None))
    if port is not None:
        more.extend(enqueue(sw, prog, port, c))
    return more


def enqueue(sw: Switch, prog: Program, port: int, p: Packet, now: int | None = None) -> list[Item]:
    """Queue ``p`` for ``port``; with an unlimited port run egress now. Returns recirculations."""
    tm = sw.tm
    if now is None:
        now = sw.now_us()
    prio = p.F[prog.s_priority]
    if prio >= tm.nprio:
        if tm.nprio > 1:
            sw._drop(p, f"priority {prio} out of range (priority queues: {tm.nprio})")
            return NOTHING
        prio = 0
    if tm.unlimited(port):
        tm.count_inline(port, prio)
        return run_egress(sw, port, p, now, 0, 0, now)
    if tm.enqueue(port, prio, p, now) is None:
        sw._drop(p, f"queue full (port {port}, priority {prio})")
    return NOTHING


def run_egress(
    sw: Switch,
    port: int,
    p: Packet,
    enq_us: int,
    enq_depth: int,
    deq_depth: int,
    now: int | None = None,
) -> list[Item]:
    prog = sw.prog
    assert prog is not None
    sm = prog.sm
    F = p.F
    tr = bool(sw._trace_on)
    if now is None:
        now = sw.now_us()
    F[prog.s_egress_port] = port
    F[prog.s_egress_spec] = 0
    F[prog.s_packet_length] = p.len_reg
    F[prog.s_enq_ts] = enq_us & 0xFFFFFFFF
    F[prog.s_enq_qdepth] = enq_depth
    F[prog.s_deq_qdepth] = deq_depth
    F[prog.s_deq_td] = (now - enq_us) & 0xFFFFFFFF
    F[prog.s_egress_ts] = now & 0xFFFFFFFFFFFF
    n = prog.egress_init if tr else prog.egress_fast
    if tr:
        trace.debug("[%d.%d] Pipeline 'egress': start (egress port %d)", p.pid, p.copy, port)
    try:
        while n is not None:
            n = n(p)
            if p.exit:
                break
    except PacketError as e:
        sw._error(p, e)
        sw._drop(p, f"fault in egress: {e}")
        return NOTHING
    p.exit = False
    if p.clone_e2e is None:  # the common case
        more: list[Item] = []
        _finish_egress(sw, prog, port, p, tr, more)
        return more
    more = []
    clone: tuple[Packet, MirrorSession] | None = None
    if p.clone_e2e is not None:
        session, cfl = p.clone_e2e
        p.clone_e2e = None
        s = sw.pre.sessions.get(session)
        if s is not None and p.copy >= MAX_LOOPS:
            sw._drop(p, "too many egress clones of one packet")
        elif s is not None:
            c = p.clone()
            c.copy = p.copy + 1
            _reset_metadata(prog, c)
            f = prog.field_lists.get(cfl)
            if f is not None:
                f(c, p)
            c.F[sm["instance_type"]] = CLONE_E2E
            c.len_reg = 0  # simple_switch clears the registers of an E2E clone
            c.truncate = s.truncate
            if tr:
                trace.debug(
                    "[%d.%d] Cloning packet at egress to session %d", p.pid, p.copy, session
                )
            clone = (c, s)
    _finish_egress(sw, prog, port, p, tr, more)
    if clone is not None:
        # the copy goes through the queues after the original left (as simple_switch)
        more.extend(_to_session(sw, prog, clone[0], clone[1].port, clone[1].mc_group))
    return more


def _finish_egress(
    sw: Switch, prog: Program, port: int, p: Packet, tr: bool, more: list[Item]
) -> None:
    sm = prog.sm
    F = p.F
    if F[prog.s_egress_spec] == sw.drop_port:
        sw._drop(p, "egress_spec is the drop port at the end of egress")
        return
    if not tr:
        if prog.update_checksums:
            prog.update_fast(p)
    else:
        for cs in prog.update_checksums:
            if cs.cond(p):
                F[cs.slot] = cs.calc(p) & ((1 << cs.width) - 1)
    out = prog.deparse(p)
    if p.recirculate is not None:
        if tr:
            trace.debug("[%d.%d] Recirculating packet", p.pid, p.copy)
        more.append((out, F[sm["ingress_port"]], RECIRC, p, p.recirculate))
        return
    if p.truncate is not None and p.truncate < len(out):
        out = out[: p.truncate]
    if tr:
        trace.debug(
            "[%d.%d] Transmitting packet of size %d out of port %d", p.pid, p.copy, len(out), port
        )
    if port == sw.cpu_port and sw._packet_in is not None:
        sw._packet_in(out)
    else:
        sw._transmit(port, out)
