"""A fast reader for the common Write: table entries with a direct action.

protobuf 3.20 (pinned for p4runtime-shell) parses in pure Python at ~130 us
per table-entry update, which alone would cap writes near 7,000 entries/s.
This reader walks the wire format of a WriteRequest and of simple
``TableEntry`` updates (table_id, match, a direct action, priority) into
plain tuples. Anything else (another entity, any other TableEntry field, a
repeated singular field, an odd wire type) raises :class:`Fallback` and that
part is parsed by protobuf as usual, so the two paths accept the same
requests. Field numbers are those of p4/v1/p4runtime.proto.
"""

from __future__ import annotations

from dataclasses import dataclass

from p4.v1 import p4runtime_pb2

# (field_id, kind, a, b): exact (value, b""), ternary (value, mask), lpm (value,
# prefix_len), range (low, high), optional (value, b"")
MatchSpec = tuple[int, str, bytes, "bytes | int"]


class Fallback(Exception):
    """Not a shape this reader handles: parse with protobuf instead."""


@dataclass
class RawWrite:
    """A WriteRequest whose updates stay serialized until applied."""

    device_id: int
    election_id: p4runtime_pb2.Uint128
    role: str
    atomicity: int
    updates: list[tuple[int, bytes]]  # (Update.type, serialized Entity)
    raw: bytes

    def full(self) -> p4runtime_pb2.WriteRequest:
        return p4runtime_pb2.WriteRequest.FromString(self.raw)


@dataclass
class DirectEntry:
    """A TableEntry holding only table_id, match, a direct action and priority."""

    table_id: int
    matches: list[MatchSpec]
    action_id: int
    params: list[tuple[int, bytes]]
    priority: int


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) of every varint or length-delimited field."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    end = len(data)
    try:
        while pos < end:
            key = data[pos]
            pos += 1
            if key >= 0x80:
                key &= 0x7F
                shift = 7
                while True:
                    b = data[pos]
                    pos += 1
                    key |= (b & 0x7F) << shift
                    if b < 0x80:
                        break
                    shift += 7
            wire = key & 7
            value = data[pos]
            pos += 1
            if value >= 0x80:
                value &= 0x7F
                shift = 7
                while True:
                    b = data[pos]
                    pos += 1
                    value |= (b & 0x7F) << shift
                    if b < 0x80:
                        break
                    shift += 7
                    if shift > 63:
                        raise Fallback
            if wire == 0:
                out.append((key >> 3, value))
            elif wire == 2:
                if pos + value > end:
                    raise Fallback
                out.append((key >> 3, data[pos : pos + value]))
                pos += value
            else:
                raise Fallback
    except IndexError:
        raise Fallback from None
    return out


def _int(v: int | bytes) -> int:
    if not isinstance(v, int):
        raise Fallback
    return v


def _bytes(v: int | bytes) -> bytes:
    if not isinstance(v, bytes):
        raise Fallback
    return v


def _int32(v: int | bytes) -> int:
    n = _int(v) & 0xFFFFFFFF
    return n - (1 << 32) if n >= 1 << 31 else n


def read_write_request(data: bytes) -> RawWrite | p4runtime_pb2.WriteRequest:
    """The request as a RawWrite, or protobuf's parse when it is not plain."""
    try:
        device_id = atomicity = 0
        role = ""
        election = p4runtime_pb2.Uint128()
        updates: list[tuple[int, bytes]] = []
        seen_election = False
        for num, v in _fields(data):
            if num == 1:
                device_id = _int(v)
            elif num == 3:
                if seen_election:
                    raise Fallback
                seen_election = True
                for n2, v2 in _fields(_bytes(v)):
                    if n2 == 1:
                        election.high = _int(v2)
                    elif n2 == 2:
                        election.low = _int(v2)
                    else:
                        raise Fallback
            elif num == 4:
                kind = 0
                entity: bytes | None = None
                for n2, v2 in _fields(_bytes(v)):
                    if n2 == 1:
                        kind = _int(v2)
                    elif n2 == 2 and entity is None:
                        entity = _bytes(v2)
                    else:
                        raise Fallback
                updates.append((kind, entity or b""))
            elif num == 5:
                atomicity = _int(v)
            elif num == 6:
                role = _bytes(v).decode()
            else:
                raise Fallback
        return RawWrite(device_id, election, role, atomicity, updates, data)
    except (Fallback, UnicodeDecodeError):
        return p4runtime_pb2.WriteRequest.FromString(data)


_MATCH_KINDS = {2: "exact", 3: "ternary", 4: "lpm", 6: "range", 7: "optional"}


def _match(data: bytes) -> MatchSpec:
    field_id = 0
    kind: str | None = None
    a: bytes = b""
    b: bytes | int = b""
    for num, v in _fields(data):
        if num == 1:
            field_id = _int(v)
            continue
        if kind is not None or num not in _MATCH_KINDS:
            raise Fallback  # a second kind (protobuf: last wins) or `other`
        kind = _MATCH_KINDS[num]
        b = 0 if kind == "lpm" else b""
        for n2, v2 in _fields(_bytes(v)):
            if n2 == 1:
                a = _bytes(v2)
            elif n2 == 2 and kind in ("ternary", "range"):
                b = _bytes(v2)
            elif n2 == 2 and kind == "lpm":
                b = _int32(v2)
            else:
                raise Fallback
    if kind is None:
        raise Fallback
    return (field_id, kind, a, b)


def read_direct_entry(entity: bytes) -> DirectEntry:
    """A table-entry Entity with a direct action; raises Fallback for anything else."""
    fields = _fields(entity)
    if len(fields) != 1 or fields[0][0] != 2:
        raise Fallback
    table_id = priority = action_id = 0
    matches: list[MatchSpec] = []
    params: list[tuple[int, bytes]] = []
    seen_action = False
    for num, v in _fields(_bytes(fields[0][1])):
        if num == 1:
            table_id = _int(v)
        elif num == 2:
            matches.append(_match(_bytes(v)))
        elif num == 3 and not seen_action:
            seen_action = True
            inner = _fields(_bytes(v))
            if len(inner) != 1 or inner[0][0] != 1:
                raise Fallback
            for n2, v2 in _fields(_bytes(inner[0][1])):
                if n2 == 1:
                    action_id = _int(v2)
                elif n2 == 4:
                    pid, value = 0, b""
                    for n3, v3 in _fields(_bytes(v2)):
                        if n3 == 2:
                            pid = _int(v3)
                        elif n3 == 3:
                            value = _bytes(v3)
                        else:
                            raise Fallback
                    params.append((pid, value))
                else:
                    raise Fallback
        elif num == 4:
            priority = _int32(v)
        else:
            raise Fallback
    if not seen_action:
        raise Fallback
    return DirectEntry(table_id, matches, action_id, params, priority)
