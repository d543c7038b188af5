"""p4c's STF test language: lines into commands.

As p4c's ``backends/bmv2/bmv2stf.py`` reads it: ``add TABLE [PRIO] KEY:VALUE..
ACTION(ARG:VAL, ..)``, ``setdefault TABLE ACTION(..)``, ``packet PORT HEX``,
``expect PORT [HEX] [$]`` with ``*`` nibble wildcards, PRE and mirroring
commands, registers and counters, ``wait``, ``#`` comments; and, from p4c's
STF grammar (``tools/stf/stf_parser.py``: ``REMOVE [ALL | entry]``), ``remove
all`` and ``remove TABLE [PRIO] KEY:VALUE..`` (the entry as ``add`` wrote it,
without the action).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inalab.stf.errors import StfError


@dataclass(frozen=True)
class Command:
    line: int
    verb: str
    args: str

    def __post_init__(self) -> None:
        if not self.verb:
            raise ValueError("empty STF verb")


@dataclass(frozen=True)
class AddCommand:
    table: str
    priority: int | None
    keys: tuple[tuple[str, str], ...]
    action: str
    params: tuple[tuple[str, str], ...]


def read_stf(text: str, name: str = "stf") -> list[Command]:
    out: list[Command] = []
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 1)
        out.append(Command(i, parts[0].lower(), parts[1].strip() if len(parts) > 1 else ""))
    return out


def parse_action(text: str, where: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    text = text.strip()
    m = re.fullmatch(r"([^\s(]+)\s*\((.*)\)\s*", text, re.S)
    if not m:
        if re.fullmatch(r"[^\s(]+", text):
            return text, ()
        raise StfError(where, f"bad action call '{text}'")
    params: list[tuple[str, str]] = []
    body = m.group(2).strip()
    if body:
        for part in body.split(","):
            k, sep, v = part.partition(":")
            if not sep:
                raise StfError(where, f"bad action argument '{part.strip()}' (want NAME:VALUE)")
            params.append((k.strip(), v.strip()))
    return m.group(1), tuple(params)


def parse_add(args: str, where: str) -> AddCommand:
    # drop a trailing "= handle" binding (p4c ignores it too)
    paren = args.find("(")
    eq = args.rfind("=")
    if eq > 0 and eq > args.rfind(")") and paren >= 0:
        args = args[:eq].strip()
    words = args.split(None, 1)
    if len(words) < 2:
        raise StfError(where, "add needs a table, keys and an action")
    table, rest = words[0], words[1]
    prio: int | None = None
    first = rest.split(None, 1)
    if re.fullmatch(r"[0-9]+", first[0]):
        prio = int(first[0])
        rest = first[1] if len(first) > 1 else ""
    keys: list[tuple[str, str]] = []
    action_text = ""
    while rest:
        rest = rest.strip()
        word, _, tail = rest.partition(" ")
        if "(" in word or (not tail and ":" not in word):
            action_text = rest
            break
        k, sep, v = word.partition(":")
        if not sep:
            raise StfError(where, f"bad key '{word}' (want NAME:VALUE)")
        keys.append((k, v))
        rest = tail
    if not action_text:
        raise StfError(where, "add has no action")
    action, params = parse_action(action_text, where)
    return AddCommand(table, prio, tuple(keys), action, params)


@dataclass(frozen=True)
class RemoveCommand:
    """``remove all`` (``table`` None) or one entry, named by its table, key and priority."""

    table: str | None
    priority: int | None = None
    keys: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.table is None and (self.keys or self.priority is not None):
            raise ValueError("'remove all' takes no key")


def parse_remove(args: str, where: str) -> RemoveCommand:
    words = args.split()
    if not words:
        raise StfError(where, "remove needs 'all' or a table and the entry's key")
    if len(words) == 1 and words[0].lower() == "all":
        return RemoveCommand(None)
    table, rest = words[0], words[1:]
    prio: int | None = None
    if rest and re.fullmatch(r"[0-9]+", rest[0]):
        prio = int(rest[0])
        rest = rest[1:]
    keys: list[tuple[str, str]] = []
    for word in rest:
        k, sep, v = word.partition(":")
        if not sep or not k or not v or "(" in word:
            raise StfError(where, f"bad key '{word}' in remove (want NAME:VALUE, no action)")
        keys.append((k, v))
    return RemoveCommand(table, prio, tuple(keys))


def parse_int(text: str, where: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        try:
            return int(text, 10)
        except ValueError:
            raise StfError(where, f"bad number '{text}'") from None


def packet_hex(text: str, where: str) -> str:
    h = "".join(text.split()).upper()
    if h.endswith("$"):
        h = h[:-1]
    if not re.fullmatch(r"[0-9A-F*]*", h):
        raise StfError(where, f"bad packet data '{text}'")
    return h
