"""Loading and validating a bmv2 JSON program into a flat field layout.

Every field of every header instance gets one slot in a per-packet list of
ints (``F``); header validity lives in a second list (``V``). Generated code
addresses fields by these precomputed slots, so a field access is one list
index at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from inalab.switch.errors import JsonError, at_path

SUPPORTED_MAJOR = 2
Json = dict[str, Any]


def at(obj: Any, key: str | int, path: str) -> Any:
    """``obj[key]`` or a JsonError naming ``path``."""
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError):
        raise JsonError(path, f"missing '{key}'") from None


@dataclass
class HeaderInfo:
    name: str
    id: int
    type_name: str
    metadata: bool
    base: int
    fields: list[tuple[str, int, bool]]  # (name, width (0 = varbit), signed)
    varbit_max: int = 0

    @property
    def nfields(self) -> int:
        return len(self.fields)

    def fixed_bits(self) -> int:
        return sum(w for _, w, _ in self.fields)


@dataclass
class Layout:
    headers: list[HeaderInfo] = field(default_factory=list)
    by_name: dict[str, HeaderInfo] = field(default_factory=dict)
    widths: list[int] = field(default_factory=list)
    signed: list[bool] = field(default_factory=list)
    stacks: dict[str, list[int]] = field(default_factory=dict)  # name -> header ids
    stack_ids: dict[str, int] = field(default_factory=dict)
    unions: dict[str, list[int]] = field(default_factory=dict)  # name -> member header ids
    union_stacks: dict[str, list[str]] = field(default_factory=dict)  # name -> union names
    union_of: dict[int, list[int]] = field(default_factory=dict)  # header id -> siblings
    union_member_names: dict[str, list[str]] = field(default_factory=dict)  # union -> members
    union_stack_ids: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    header_types: dict[str, Json] = field(default_factory=dict)
    aliases: dict[str, tuple[str, str]] = field(default_factory=dict)  # "a.b" -> (hdr, field)

    def header(self, name: str, path: str) -> HeaderInfo:
        h = self.by_name.get(name)
        if h is None:
            raise JsonError(path, f"unknown header instance '{name}'")
        return h

    def field_slot(self, hdr: str, fname: str, path: str) -> tuple[int, int, bool]:
        """(slot, width, signed) of ``hdr.fname``; width 0 means varbit."""
        if hdr not in self.by_name and f"{hdr}.{fname}" in self.aliases:
            hdr, fname = self.aliases[f"{hdr}.{fname}"]
        h = self.header(hdr, path)
        for i, (n, w, s) in enumerate(h.fields):
            if n == fname:
                return h.base + i, w, s
        raise JsonError(path, f"header '{hdr}' has no field '{fname}'")

    def field_index(self, h: HeaderInfo, fname: str, path: str) -> int:
        for i, (n, _, _) in enumerate(h.fields):
            if n == fname:
                return i
        raise JsonError(path, f"header '{h.name}' has no field '{fname}'")

    @property
    def nslots(self) -> int:
        return len(self.widths)


def parse_json(source: str | bytes | dict[str, object]) -> Json:
    if isinstance(source, dict):
        return source
    try:
        data = json.loads(source)
    except (ValueError, UnicodeDecodeError) as exc:
        raise JsonError("", f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise JsonError("", "top level is not a JSON object")
    return data


def check_version(j: Json) -> None:
    meta = j.get("__meta__")
    if meta is None:
        return  # very old p4c output has no __meta__; bmv2 accepts it
    ver = meta.get("version") if isinstance(meta, dict) else None
    if not isinstance(ver, list) or len(ver) < 1 or not all(isinstance(v, int) for v in ver):
        raise JsonError("__meta__.version", "expected [major, minor]")
    if ver[0] != SUPPORTED_MAJOR:
        raise JsonError(
            "__meta__.version",
            f"unsupported bmv2 JSON format {'.'.join(map(str, ver))} (need {SUPPORTED_MAJOR}.x)",
        )


def build_layout(j: Json) -> Layout:
    lay = Layout()
    for i, ht in enumerate(j.get("header_types", [])):
        lay.header_types[at(ht, "name", f"header_types[{i}]")] = ht
    slot = 0
    for i, h in enumerate(at(j, "headers", "")):
        p = at_path(f"headers[{i}]")
        tname = at(h, "header_type", p)
        ht = lay.header_types.get(tname)
        if ht is None:
            raise JsonError(p, f"unknown header type '{tname}'")
        fields: list[tuple[str, int, bool]] = []
        vmax = 0
        for k, f in enumerate(at(ht, "fields", f"header_types[{tname}]")):
            fp = f"header_types[{tname}].fields[{k}]"
            if not isinstance(f, list) or len(f) < 2:
                raise JsonError(fp, "expected [name, width, signed]")
            if f[1] == "*":
                vmax = -1  # fixed up below: max_length is the whole header, in bytes
                fields.append((f[0], 0, False))
            elif isinstance(f[1], int) and f[1] >= 0:
                fields.append((f[0], f[1], bool(f[2]) if len(f) > 2 else False))
            else:
                raise JsonError(fp, f"bad field width {f[1]!r}")
        if vmax < 0:
            vmax = int(ht.get("max_length", 0)) * 8 - sum(w for _, w, _ in fields)
        info = HeaderInfo(
            name=at(h, "name", p),
            id=at(h, "id", p),
            type_name=tname,
            metadata=bool(h.get("metadata", False)),
            base=slot,
            fields=fields,
            varbit_max=vmax,
        )
        if info.id != len(lay.headers):
            raise JsonError(p, f"header ids must be 0..n-1 in order (got {info.id})")
        lay.headers.append(info)
        lay.by_name[info.name] = info
        for _, w, s in fields:
            lay.widths.append(w)
            lay.signed.append(s)
        slot += len(fields)
    for i, s in enumerate(j.get("header_stacks", [])):
        p = at_path(f"header_stacks[{i}]")
        ids = list(at(s, "header_ids", p))
        for hid in ids:
            if not (0 <= hid < len(lay.headers)):
                raise JsonError(p, f"dangling header id {hid}")
        lay.stack_ids[at(s, "name", p)] = len(lay.stacks)
        lay.stacks[s["name"]] = ids
    utypes = {
        ut.get("name"): [m[0] for m in ut.get("headers", [])]
        for ut in j.get("header_union_types", []) or []
    }
    for i, u in enumerate(j.get("header_unions", [])):
        p = at_path(f"header_unions[{i}]")
        ids = list(at(u, "header_ids", p))
        lay.union_member_names[u.get("name")] = utypes.get(u.get("union_type"), [])
        lay.unions[at(u, "name", p)] = ids
        for hid in ids:
            lay.union_of[hid] = [x for x in ids if x != hid]
    union_names = {u["id"]: u["name"] for u in j.get("header_unions", [])}
    for i, us in enumerate(j.get("header_union_stacks", [])):
        p = f"header_union_stacks[{i}]"
        lay.union_stack_ids[at(us, "name", p)] = i
        lay.union_stacks[at(us, "name", p)] = [
            union_names[x] for x in at(us, "header_union_ids", p) if x in union_names
        ]
    for i, e in enumerate(j.get("errors", [])):
        if not isinstance(e, list) or len(e) != 2:
            raise JsonError(f"errors[{i}]", "expected [name, value]")
        lay.errors[e[0]] = e[1]
    for i, al in enumerate(j.get("field_aliases", []) or []):
        if (
            not isinstance(al, list)
            or len(al) != 2
            or not isinstance(al[0], str)
            or not isinstance(al[1], list)
            or len(al[1]) != 2
        ):
            raise JsonError(f"field_aliases[{i}]", "expected [alias, [header, field]]")
        lay.aliases[al[0]] = (al[1][0], al[1][1])
    if "standard_metadata" not in lay.by_name:
        raise JsonError("headers", "no 'standard_metadata' instance (not a v1model program?)")
    return lay


# --------------------------------------------------------------------------- top-level shape
_LISTS = (
    "actions", "pipelines", "parsers", "deparsers", "calculations", "register_arrays",
    "counter_arrays", "meter_arrays", "extern_instances", "parse_vsets", "checksums",
    "field_lists", "learn_lists", "header_types", "headers",
)  # fmt: skip
_REQUIRED = ("actions", "pipelines", "parsers", "deparsers")
_SIZED = {
    "register_arrays": ("size", "bitwidth"),
    "counter_arrays": ("size",),
    "meter_arrays": ("size",),
}


def _positive_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def check_top_level(j: Json) -> None:
    """The shape of the top-level arrays, before any code is generated: each a
    list of objects (the required ones not null), sizes and widths ints > 0."""
    for key in _LISTS:
        v = j.get(key)
        if v is None and key not in _REQUIRED:
            continue
        if v is not None and not isinstance(v, list):
            raise JsonError(key, f"expected a list, got {type(v).__name__}")
        if v is None and key in j:
            raise JsonError(key, "expected a list, got null")
        for i, item in enumerate(v or []):
            if not isinstance(item, dict):
                raise JsonError(f"{key}[{i}]", f"expected an object, got {type(item).__name__}")
            for attr in _SIZED.get(key, ()):
                if item.get("is_direct") and attr == "size":
                    continue  # a direct counter/meter is sized by its table
                if not _positive_int(item.get(attr)):
                    raise JsonError(
                        f"{key}[{i}].{attr}", f"expected an integer > 0, got {item.get(attr)!r}"
                    )
