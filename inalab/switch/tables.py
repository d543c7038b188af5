"""Match-action tables: match units (exact dict, LPM buckets, priority list) and entries."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from inalab.switch.control import (
    ActionCall,
    ActionSpec,
    DuplicateEntryError,
    EntryNotFoundError,
    ExactKey,
    GroupRef,
    InvalidRequestError,
    LpmKey,
    MatchKey,
    MemberRef,
    OptionalKey,
    RangeKey,
    ReadOnlyError,
    TableEntry,
    TableFullError,
    TernaryKey,
    ValidKey,
)
from inalab.switch.stateful import _Meter

ActionFn = Callable[[Any, tuple[int, ...]], None]
CONST_PRIORITY_BASE = 1 << 24


@dataclass(frozen=True)
class ActionInfo:
    name: str
    id: int
    fn: ActionFn
    widths: tuple[int, ...]

    def check(self, params: Sequence[int]) -> tuple[int, ...]:
        if len(params) != len(self.widths):
            raise InvalidRequestError(
                f"action '{self.name}' takes {len(self.widths)} parameters, got {len(params)}"
            )
        for i, (v, w) in enumerate(zip(params, self.widths, strict=True)):
            if not 0 <= v < (1 << w):
                raise InvalidRequestError(
                    f"action '{self.name}' parameter {i}: {v} does not fit in {w} bits"
                )
        return tuple(params)


@dataclass(frozen=True)
class KeySpec:
    name: str
    match_type: str
    width: int

    def __post_init__(self) -> None:
        if self.width < 1:
            raise ValueError(f"key '{self.name}': width must be >= 1")


@dataclass
class Entry:
    handle: int
    keys: tuple[MatchKey, ...]
    action: ActionSpec
    priority: int | None
    rank: int
    is_const: bool = False
    fn: ActionFn | None = None
    data: tuple[int, ...] = ()
    action_name: str = ""
    packets: int = 0
    bytes_: int = 0
    timeout_ms: int | None = None
    last_hit: float = field(default_factory=time.monotonic)
    meter: _Meter = field(default_factory=_Meter)
    # precomputed matching data
    match: tuple[Any, ...] = ()


def _norm_key(k: MatchKey, spec: KeySpec) -> tuple[Any, ...]:
    """Key as (value, mask) or (low, high) for the priority matcher; validates widths."""
    full = (1 << spec.width) - 1
    mt = spec.match_type

    def fits(v: int, what: str) -> int:
        if not 0 <= v <= full:
            raise InvalidRequestError(
                f"key '{spec.name}': {what} {v:#x} wider than {spec.width} bits"
            )
        return v

    if mt == "exact" and isinstance(k, ExactKey):
        return ("m", fits(k.value, "value"), full)
    if mt == "valid" and isinstance(k, ValidKey):
        return ("m", int(k.valid), 1)
    if mt == "valid" and isinstance(k, ExactKey):
        return ("m", 1 if k.value else 0, 1)
    if mt == "lpm" and isinstance(k, LpmKey):
        if not 0 <= k.prefix_len <= spec.width:
            raise InvalidRequestError(
                f"key '{spec.name}': prefix length {k.prefix_len} out of range"
            )
        m = full ^ ((1 << (spec.width - k.prefix_len)) - 1)
        return ("m", fits(k.value, "value") & m, m)
    if mt == "ternary" and isinstance(k, TernaryKey):
        m = fits(k.mask, "mask")
        return ("m", fits(k.value, "value") & m, m)
    if mt == "range" and isinstance(k, RangeKey):
        return ("r", fits(k.low, "low"), fits(k.high, "high"))
    if mt == "optional" and isinstance(k, OptionalKey):
        if k.value is None:
            return ("m", 0, 0)
        return ("m", fits(k.value, "value"), full)
    raise InvalidRequestError(f"key '{spec.name}' is {mt}, got {type(k).__name__}")


class Table:
    """One bmv2 table with its entries and default action."""

    def __init__(
        self,
        name: str,
        keys: list[KeySpec],
        actions: dict[str, ActionInfo],
        max_size: int,
        kind: str,
        profile: Any | None,
        with_counters: bool,
        direct_meter: Any | None,
        support_timeout: bool,
    ) -> None:
        self.name = name
        self.keys = keys
        self.actions = actions
        self.max_size = max_size
        self.kind = kind  # simple / indirect / indirect_ws
        self.profile = profile
        self.with_counters = with_counters
        self.direct_meter = direct_meter
        self.support_timeout = support_timeout
        mts = {k.match_type for k in keys}
        if mts & {"ternary", "range", "optional"}:
            self.mode = "prio"
        elif "lpm" in mts:
            self.mode = "lpm"
        else:
            self.mode = "exact"
        self.lpm_index = next((i for i, k in enumerate(keys) if k.match_type == "lpm"), -1)
        # single-key exact/LPM tables use the bare int as the key (no tuple per lookup)
        self.single = len(keys) == 1 and self.mode != "prio"
        self.entries: dict[int, Entry] = {}
        self.exact: dict[tuple[int, ...], Entry] = {}
        self.lpm: dict[int, dict[tuple[int, ...], Entry]] = {}
        self.lpm_order: list[tuple[int, int, dict[tuple[int, ...], Entry]]] = []
        self.prio: list[Entry] = []
        self.next_handle = 0
        self.default_name = ""
        self.default_fn: ActionFn | None = None
        self.default_data: tuple[int, ...] = ()
        self.default_const = False
        self.initial_default: ActionCall | None = None
        self.has_const_entries = False

    # ------------------------------------------------------------------ lookup
    def lookup(self, k: Any) -> Entry | None:
        if self.mode == "exact":
            return self.exact.get(k)
        if self.single:
            for _plen, m, bucket in self.lpm_order:
                e = bucket.get(k & m)
                if e is not None:
                    return e
            return None
        if self.mode == "lpm":
            li = self.lpm_index
            kv = k[li]
            for _plen, m, bucket in self.lpm_order:
                kk = (*k[:li], kv & m, *k[li + 1 :])
                e = bucket.get(kk)
                if e is not None:
                    return e
            return None
        for e in self.prio:
            for v, (kind, a, b) in zip(k, e.match, strict=True):
                if kind == "m":
                    if v & b != a:
                        break
                elif not a <= v <= b:
                    break
            else:
                return e
        return None

    # ------------------------------------------------------------------ entries
    def _exact_key(self, match: tuple[Any, ...]) -> Any:
        if self.single:
            return match[0][1]
        return tuple(m[1] for m in match)

    def resolve_action(self, spec: ActionSpec) -> tuple[ActionFn | None, tuple[int, ...], str]:
        if isinstance(spec, ActionCall):
            if self.profile is not None:
                raise InvalidRequestError(f"table '{self.name}' takes members/groups, not actions")
            a = self.actions.get(spec.action)
            if a is None:
                raise InvalidRequestError(
                    f"action '{spec.action}' is not an action of table '{self.name}'"
                )
            return a.fn, a.check(spec.params), a.name
        if self.profile is None:
            raise InvalidRequestError(f"table '{self.name}' has no action profile")
        if isinstance(spec, MemberRef):
            self.profile.member(spec.member)
        elif isinstance(spec, GroupRef) and spec.group not in self.profile.groups:
            raise EntryNotFoundError(f"{self.profile.name}: no group {spec.group}")
        return None, (), ""

    def add(
        self,
        keys: Sequence[MatchKey],
        action: ActionSpec,
        priority: int | None,
        is_const: bool = False,
        rank: int | None = None,
    ) -> int:
        if len(keys) != len(self.keys):
            raise InvalidRequestError(
                f"table '{self.name}' needs {len(self.keys)} keys, got {len(keys)}"
            )
        if self.has_const_entries and not is_const:
            raise ReadOnlyError(f"table '{self.name}' has const entries")
        if len(self.entries) >= self.max_size:
            raise TableFullError(f"table '{self.name}' is full ({self.max_size} entries)")
        match = tuple(_norm_key(k, s) for k, s in zip(keys, self.keys, strict=True))
        fn, data, aname = self.resolve_action(action)
        prio = priority if self.mode == "prio" else None
        if rank is None:
            rank = -(priority or 0)
        h = self.next_handle
        e = Entry(h, tuple(keys), action, prio, rank, is_const, fn, data, aname, match=match)
        if self.mode == "exact":
            kk = self._exact_key(match)
            if kk in self.exact:
                raise DuplicateEntryError(f"table '{self.name}': entry with this key exists")
            self.exact[kk] = e
        elif self.mode == "lpm":
            plen = bin(match[self.lpm_index][2]).count("1")
            bucket = self.lpm.get(plen)
            kk = self._exact_key(match)
            if bucket is not None and kk in bucket:
                raise DuplicateEntryError(f"table '{self.name}': entry with this key exists")
            if bucket is None:
                bucket = self.lpm[plen] = {}
                self.lpm_order = sorted(
                    ((pl, self._lpm_mask(pl), b) for pl, b in self.lpm.items()),
                    key=lambda t: -t[0],
                )
            bucket[kk] = e
        else:
            for o in self.prio:
                if o.match == match and o.rank == rank:
                    raise DuplicateEntryError(
                        f"table '{self.name}': entry with this key and priority exists"
                    )
            self.prio.append(e)
            self.prio.sort(key=lambda x: (x.rank, x.handle))
        self.entries[h] = e
        self.next_handle += 1
        return h

    def _lpm_mask(self, plen: int) -> int:
        w = self.keys[self.lpm_index].width
        return ((1 << w) - 1) ^ ((1 << (w - plen)) - 1)

    def get(self, handle: int) -> Entry:
        e = self.entries.get(handle)
        if e is None:
            raise EntryNotFoundError(f"table '{self.name}': no entry with handle {handle}")
        return e

    def modify(self, handle: int, action: ActionSpec) -> None:
        e = self.get(handle)
        if e.is_const:
            raise ReadOnlyError(f"table '{self.name}': entry {handle} is const")
        fn, data, aname = self.resolve_action(action)
        e.action, e.fn, e.data, e.action_name = action, fn, data, aname

    def delete(self, handle: int) -> None:
        e = self.get(handle)
        if e.is_const:
            raise ReadOnlyError(f"table '{self.name}': entry {handle} is const")
        self._remove(e)

    def _remove(self, e: Entry) -> None:
        del self.entries[e.handle]
        if self.mode == "exact":
            del self.exact[self._exact_key(e.match)]
        elif self.mode == "lpm":
            plen = bin(e.match[self.lpm_index][2]).count("1")
            del self.lpm[plen][self._exact_key(e.match)]
        else:
            self.prio.remove(e)

    def clear(self) -> None:
        for e in list(self.entries.values()):
            if not e.is_const:
                self._remove(e)

    def find(self, keys: Sequence[MatchKey], priority: int | None) -> int | None:
        try:
            match = tuple(_norm_key(k, s) for k, s in zip(keys, self.keys, strict=True))
        except InvalidRequestError:
            return None
        for e in self.entries.values():
            if e.match == match and (self.mode != "prio" or (e.priority or 0) == (priority or 0)):
                return e.handle
        return None

    def snapshot(self) -> list[TableEntry]:
        return [
            TableEntry(e.handle, e.keys, e.action, e.priority, e.is_const, e.timeout_ms)
            for e in sorted(self.entries.values(), key=lambda x: x.handle)
        ]

    # ------------------------------------------------------------------ default
    def set_default(self, call: ActionCall, force: bool = False) -> None:
        if self.default_const and not force:
            raise ReadOnlyError(f"table '{self.name}': default action is const")
        a = self.actions.get(call.action)
        if a is None:
            raise InvalidRequestError(
                f"action '{call.action}' is not an action of table '{self.name}'"
            )
        self.default_data = a.check(call.params)
        self.default_fn = a.fn
        self.default_name = a.name
