"""Parser ``select`` cases -> bmv2 transitions (hexstr value/mask, default), as p4c emits them.

A case is a keyset per select key: a value, ``value &&& mask``, ``default``/``_`` or a range
``lo .. hi``. bmv2 transitions only know value/mask pairs, so a range is replaced, as p4c's
midend pass ReplaceSelectRange does, by the masked keysets that cover exactly the range
(prefix blocks, lowest values first); a tuple case with ranges becomes the cross product of
its components, first key varying slowest, in place of the original case (first match still
wins). A signed (``int<W>``) range that crosses zero is split into its negative and
non-negative parts, each matched on the two's-complement bits. An empty range (``lo > hi``)
matches nothing: p4c drops the case (with a warning), so do we.

Transition values and masks are the concatenation of the byte-padded keys (bmv2 JSON
format); a case whose mask is all zeros is a ``default`` transition and a case of only exact
values has no mask (p4c's ``combine``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class KeyMatch:
    """One component of a select case over a key of ``width`` bits: the key matches when
    ``key & mask == value``. ``exact`` marks a plain value (all mask bits set): a case of
    only exact components has no mask in the JSON."""

    value: int
    mask: int
    width: int
    exact: bool = False

    def __post_init__(self) -> None:
        if self.width <= 0:
            raise ValueError(f"select key width must be positive, not {self.width}")
        full = (1 << self.width) - 1
        if not 0 <= self.mask <= full:
            raise ValueError(f"mask {self.mask:#x} does not fit in {self.width} bits")
        if not 0 <= self.value <= full or self.value & ~self.mask:
            raise ValueError(f"value {self.value:#x} has bits outside mask {self.mask:#x}")
        if self.exact and self.mask != full:
            raise ValueError("an exact key match needs a full mask")

    @classmethod
    def exactly(cls, value: int, width: int) -> KeyMatch:
        full = (1 << width) - 1
        return cls(value & full, full, width, exact=True)

    @classmethod
    def masked(cls, value: int, mask: int, width: int) -> KeyMatch:
        full = (1 << width) - 1
        return cls(value & mask & full, mask & full, width)

    @classmethod
    def anything(cls, width: int) -> KeyMatch:
        return cls(0, 0, width)


def signed_value(bits: int, width: int) -> int:
    """The two's-complement reading of the low ``width`` bits of ``bits``."""
    bits &= (1 << width) - 1
    return bits - (1 << width) if bits >> (width - 1) else bits


def range_to_masks(lo: int, hi: int, width: int, signed: bool = False) -> list[KeyMatch]:
    """The masked keysets that match exactly the keys in ``lo .. hi`` (both ends included).

    ``lo``/``hi`` are the range's values: non-negative for ``bit<W>``, possibly negative
    for ``int<W>`` (``signed``). An empty range gives no keyset."""
    if width <= 0:
        raise ValueError(f"select key width must be positive, not {width}")
    low_end, high_end = (
        (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    )
    for v in (lo, hi):
        if not low_end <= v <= high_end:
            kind = f"int<{width}>" if signed else f"bit<{width}>"
            raise ValueError(f"range bound {v} does not fit in {kind}")
    if hi < lo:
        return []
    if lo < 0 <= hi:
        return _blocks(lo, -1, width) + _blocks(0, hi, width)
    return _blocks(lo, hi, width)


def _blocks(lo: int, hi: int, width: int) -> list[KeyMatch]:
    """Aligned power-of-two blocks covering lo..hi (same sign), from the low end up: each
    block is the largest one that starts at the current value, is aligned to its size and
    does not pass ``hi``."""
    full = (1 << width) - 1
    if lo < 0:  # negative part: the same bits as unsigned values
        lo, hi = lo + (1 << width), hi + (1 << width)
    out: list[KeyMatch] = []
    cur = lo
    while cur <= hi:
        # alignment of cur (0 is aligned to everything), then shrink to what is left
        size = (cur & -cur) if cur else 1 << ((hi + 1).bit_length() - 1)
        while size > hi - cur + 1:
            size >>= 1
        # a block of one value is a plain value (p4c's midend prints it without a mask)
        out.append(KeyMatch(cur, full & ~(size - 1), width, exact=size == 1))
        cur += size
    return out


def cross_product(components: Sequence[Sequence[KeyMatch]]) -> list[tuple[KeyMatch, ...]]:
    """All combinations of the components' keysets, the first component varying slowest
    (the order p4c gives the expanded cases). Any empty component gives no case."""
    return list(itertools.product(*components))


def transition_value(case: Sequence[KeyMatch]) -> tuple[str, str | None] | None:
    """The bmv2 ``value`` and ``mask`` hex strings of one expanded case; ``None`` when the
    case matches every key (a ``default`` transition). The mask is ``None`` when every
    component is an exact value."""
    value = mask = 0
    nbytes = 0
    for m in case:
        nb = (m.width + 7) // 8
        value = (value << (8 * nb)) | m.value
        mask = (mask << (8 * nb)) | m.mask
        nbytes += nb
    if mask == 0:
        return None
    digits = nbytes * 2
    value_hex = "0x" + format(value, f"0{digits}x")
    if all(m.exact for m in case):
        return value_hex, None
    return value_hex, "0x" + format(mask, f"0{digits}x")
