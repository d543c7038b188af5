"""The per-packet state the generated code works on, and its runtime helpers."""

from __future__ import annotations

import logging
import random
import struct
from collections.abc import Callable
from typing import Any

from inalab.switch.errors import PacketError, ParserError
from inalab.switch.program import Layout

log = logging.getLogger("inalab.switch.trace")


class AssertionFailed(PacketError):
    """A P4 ``assert``/``assume`` whose condition was false (the packet is dropped;
    bmv2 would abort). ``what`` is "assert" or "assume", ``path`` the JSON path of
    the primitive (``actions[3].primitives[0]``), which names its source location."""

    def __init__(self, what: str, path: str) -> None:
        super().__init__(f"{what} failed ({path})")
        self.what = what
        self.path = path


class Packet:
    """One packet instance in the pipeline (bmv2's Packet + PHV).

    Rarely used attributes are class-level defaults, set on the instance only
    when a packet uses them (a fresh packet costs few attribute writes).
    """

    exit = False
    copy = 0
    digests: tuple[int, ...] = ()
    clone_i2e: tuple[int, int] | None = None
    clone_e2e: tuple[int, int] | None = None
    resubmit: int | None = None
    recirculate: int | None = None
    truncate: int | None = None
    off = 0

    def __init__(self, F: list[int], V: list[int], NX: list[int], data: bytes, pid: int) -> None:
        self.F = F
        self.V = V
        self.NX = NX
        self.vl: dict[int, int] = {}
        self.data = data
        self.in_len = len(data)
        # simple_switch's packet length register: what egress sees as packet_length;
        # add_header / remove_header (setValid / setInvalid) move it by the header size
        self.len_reg = len(data)
        self.pid = pid

    def payload(self) -> bytes:
        return self.data[self.off :]

    def clone(self, pid: int | None = None) -> Packet:
        q = Packet(self.F[:], self.V[:], self.NX[:], self.data, self.pid if pid is None else pid)
        q.vl = dict(self.vl)
        q.off = self.off
        q.in_len = self.in_len
        q.len_reg = self.len_reg
        q.copy = self.copy
        q.truncate = self.truncate
        return q


def make_runtime(lay: Layout) -> dict[str, Any]:
    """Helpers bound to one program's layout, for the generated code's namespace."""
    bases = [h.base for h in lay.headers]
    nfields = [h.nfields for h in lay.headers]
    siblings = {k: tuple(v) for k, v in lay.union_of.items()}
    hbytes = [0 if h.metadata else h.fixed_bits() // 8 for h in lay.headers]
    stacks = [lay.stacks[n] for n in lay.stack_ids]
    varbit_slots = {
        h.id: [h.base + i for i, (_, w, _) in enumerate(h.fields) if w == 0] for h in lay.headers
    }

    def copy_hdr(p: Packet, dst: int, src: int, n: int) -> None:
        """bmv2's assign_header: an invalid source only invalidates the destination."""
        if dst == src:
            return
        if not p.V[src]:
            p.V[dst] = 0
            return
        F = p.F
        bd, bs = bases[dst], bases[src]
        F[bd : bd + n] = F[bs : bs + n]
        p.V[dst] = 1
        if varbit_slots[src]:
            for a, b in zip(varbit_slots[dst], varbit_slots[src], strict=False):
                p.vl[a] = p.vl.get(b, 0)
        if p.V[dst] and dst in siblings:
            for s in siblings[dst]:
                p.V[s] = 0

    def add_header(p: Packet, h: int) -> None:
        if not p.V[h]:
            b = bases[h]
            n = nfields[h]
            p.F[b : b + n] = [0] * n
            p.V[h] = 1
            p.len_reg += hbytes[h]
        if h in siblings:
            for s in siblings[h]:
                p.V[s] = 0

    def remove_header(p: Packet, h: int) -> None:
        if p.V[h]:
            p.V[h] = 0
            p.len_reg -= hbytes[h] + sum(p.vl.get(s, 0) for s in varbit_slots[h]) // 8

    def hdr_eq(p: Packet, a: int, b: int) -> bool:
        """P4 header equality: both invalid, or both valid with equal fields."""
        va, vb = p.V[a], p.V[b]
        if not va and not vb:
            return True
        if va != vb:
            return False
        n = nfields[a]
        return p.F[bases[a] : bases[a] + n] == p.F[bases[b] : bases[b] + n]

    unions = [lay.unions[n] for n in lay.unions]

    def uni_eq(p: Packet, ua: int, ub: int) -> bool:
        return all(hdr_eq(p, x, y) for x, y in zip(unions[ua], unions[ub], strict=False))

    def mark_valid(p: Packet, h: int) -> None:
        p.V[h] = 1
        if h in siblings:
            for s in siblings[h]:
                p.V[s] = 0

    def swap_hdr(p: Packet, a: int, b: int) -> None:
        F, V = p.F, p.V
        n = nfields[a]
        ba, bb = bases[a], bases[b]
        F[ba : ba + n], F[bb : bb + n] = F[bb : bb + n], F[ba : ba + n]
        V[a], V[b] = V[b], V[a]

    def stack_push(p: Packet, sid: int, count: int) -> None:
        """bmv2's push_front: shift elements 0..next-1 up by ``count`` (swapping), then
        mark the first ``count`` elements valid (their fields are not reset)."""
        if count <= 0:
            return
        ids = stacks[sid]
        size = len(ids)
        nxt = min(size, p.NX[sid] + count)
        p.NX[sid] = nxt
        for i in range(nxt - 1, count - 1, -1):
            swap_hdr(p, ids[i], ids[i - count])
        for i in range(min(size, count)):
            p.V[ids[i]] = 1

    def stack_pop(p: Packet, sid: int, count: int) -> None:
        """bmv2's pop_front: shift down by ``count`` (swapping) and invalidate the tail."""
        if count <= 0:
            return
        ids = stacks[sid]
        popped = min(p.NX[sid], count)
        nxt = p.NX[sid] - popped
        p.NX[sid] = nxt
        for i in range(nxt):
            swap_hdr(p, ids[i], ids[i + count])
        for i in range(nxt, nxt + popped):
            p.V[ids[i]] = 0

    def log_msg(p: Packet, fmt: str, args: list[int]) -> None:
        parts = fmt.split("{}")
        out = parts[0]
        for i, rest in enumerate(parts[1:]):
            out += (str(args[i]) if i < len(args) else "{}") + rest
        log.info("[%d.%d] log_msg: %s", p.pid, p.copy, out)

    def assert_fail(p: Packet, what: str, where: str) -> None:
        raise AssertionFailed(what, where)

    def rand(lo: int, hi: int) -> int:
        return random.randint(lo, hi) if hi >= lo else lo

    errors = lay.errors

    def perr(name: str) -> ParserError:
        return ParserError(errors.get(name, 0), name)

    def stk_next(p: Packet, sid: int) -> int:
        i = p.NX[sid]
        ids = stacks[sid]
        if i >= len(ids):
            raise perr("StackOutOfBounds")
        p.NX[sid] = i + 1
        return ids[i]

    nstacks = len(stacks)
    ustacks = [[lay.unions[u] for u in lay.union_stacks[n]] for n in lay.union_stack_ids]

    def us_next(p: Packet, usid: int, member: int) -> int:
        i = p.NX[nstacks + usid]
        lst = ustacks[usid]
        if i >= len(lst):
            raise perr("StackOutOfBounds")
        p.NX[nstacks + usid] = i + 1
        return lst[i][member]

    def look(p: Packet, off: int, w: int) -> int:
        start = p.off * 8 + off
        end = start + w
        if end > len(p.data) * 8:
            raise perr("PacketTooShort")
        b0, b1 = start // 8, (end + 7) // 8
        x = int.from_bytes(p.data[b0:b1], "big")
        return (x >> (b1 * 8 - end)) & ((1 << w) - 1)

    ns: dict[str, Callable[..., Any] | Any] = {
        "B": bases,
        "STK": stacks,
        "UNI": [lay.unions[n] for n in lay.unions],
        "_copy_hdr": copy_hdr,
        "_add_header": add_header,
        "_remove_header": remove_header,
        "_mark_valid": mark_valid,
        "_hdr_eq": hdr_eq,
        "_uni_eq": uni_eq,
        "_stack_push": stack_push,
        "_stack_pop": stack_pop,
        "_log_msg": log_msg,
        "_assert_fail": assert_fail,
        "_rand": rand,
        "_perr": perr,
        "_stk_next": stk_next,
        "_look": look,
        "_us_next": us_next,
        "ParserError": ParserError,
        "_unpack_from": struct.unpack_from,
        "_pack": struct.pack,
    }
    return ns
