"""Header types, header/stack instances and the scalars header of the bmv2 JSON."""

from __future__ import annotations

from typing import Any

from .errors import CompileError, UnsupportedError
from .exprs import Val
from .typesys import (
    CURRENT_LOC,
    BitT,
    BoolT,
    EnumT,
    ErrorT,
    StackT,
    StructLikeT,
    Type,
    VarbitT,
    type_name,
    width_of,
)

Json = dict[str, Any]


class Instances:
    """Allocates header types, header instances, stacks and scalar fields."""

    def __init__(self) -> None:
        self.header_types: list[Json] = []
        self._ht_by_name: dict[str, Json] = {}
        self.headers: list[Json] = []
        self.header_stacks: list[Json] = []
        self.header_union_types: list[Json] = []
        self.header_unions: list[Json] = []
        self.scalars: list[list[Any]] = []
        self._scalar_names: set[str] = set()
        self._used_names: dict[str, int] = {}
        self.header_types.append({"name": "scalars_0", "id": 0, "fields": self.scalars})
        self.headers.append(
            {
                "name": "scalars",
                "id": 0,
                "header_type": "scalars_0",
                "metadata": True,
                "pi_omit": True,
            }
        )

    def fresh(self, base: str) -> str:
        n = self._used_names.get(base, 0)
        self._used_names[base] = n + 1
        return f"{base}_{n}" if n or base in ("tmp", "key") else base

    def local_name(self, base: str) -> str:
        n = self._used_names.get(base, 0)
        self._used_names[base] = n + 1
        return f"{base}_{n}"

    def header_type(self, t: StructLikeT, metadata: bool = False) -> str:
        name = t.name
        if name in self._ht_by_name:
            return name
        fields: list[list[Any]] = []
        total = 0
        for fname, ft in t.fields:
            if isinstance(ft, VarbitT):
                fields.append([fname, "*"])
                total += 0
                continue
            if isinstance(ft, BoolT):
                fields.append([fname, 1, False])
                total += 1
                continue
            if isinstance(ft, (BitT, EnumT, ErrorT)):
                w = width_of(ft)
                fields.append([fname, w, isinstance(ft, BitT) and ft.signed])
                total += w
                continue
            raise UnsupportedError(
                f"field {fname} of type {type_name(ft)} in header {t.name}", CURRENT_LOC.get()
            )
        if metadata and total % 8:
            fields.append(["_padding", 8 - total % 8, False])
        j: Json = {"name": name, "id": len(self.header_types), "fields": fields}
        mx = [ft.max_width for _, ft in t.fields if isinstance(ft, VarbitT)]
        if mx:
            j["max_length"] = (total + mx[0]) // 8
        self.header_types.append(j)
        self._ht_by_name[name] = j
        return name

    def header(self, name: str, t: StructLikeT, metadata: bool = False) -> Val:
        ht = self.header_type(t, metadata)
        hid = len(self.headers)
        self.headers.append(
            {"name": name, "id": hid, "header_type": ht, "metadata": metadata, "pi_omit": True}
        )
        return Val({"type": "header", "value": name}, t, "header", name=name)

    def stack(self, name: str, t: StackT) -> Val:
        members = {}
        ids = []
        for i in range(t.size):
            v = self.header(f"{name}[{i}]", t.elem)
            members[str(i)] = v
            ids.append(len(self.headers) - 1)
        self.header_stacks.append(
            {
                "name": name,
                "id": len(self.header_stacks),
                "header_type": t.elem.name,
                "size": t.size,
                "header_ids": ids,
            }
        )
        return Val({"type": "header_stack", "value": name}, t, "stack", name=name, members=members)

    def union(self, name: str, t: StructLikeT) -> Val:
        members = {}
        ids = []
        for fname, ft in t.fields:
            assert isinstance(ft, StructLikeT)
            v = self.header(f"{name}.{fname}", ft)
            members[fname] = v
            ids.append(len(self.headers) - 1)
        if not any(u["name"] == t.name for u in self.header_union_types):
            self.header_union_types.append(
                {
                    "name": t.name,
                    "id": len(self.header_union_types),
                    "headers": [[f, ft.name] for f, ft in t.fields if isinstance(ft, StructLikeT)],
                }
            )
        self.header_unions.append(
            {
                "name": name,
                "id": len(self.header_unions),
                "union_type": t.name,
                "header_ids": ids,
                "pi_omit": True,
            }
        )
        return Val({"type": "header_union", "value": name}, t, "union", name=name, members=members)

    def scalar(self, name: str, t: Type) -> Val:
        if name in self._scalar_names:
            raise CompileError(f"internal: duplicate scalar {name}", CURRENT_LOC.get())
        self._scalar_names.add(name)
        if isinstance(t, BoolT):
            self.scalars.append([name, 1, False])
        elif isinstance(t, VarbitT):
            raise UnsupportedError(f"varbit variable {name}", CURRENT_LOC.get())
        else:
            self.scalars.append([name, width_of(t), isinstance(t, BitT) and t.signed])
        return Val({"type": "field", "value": ["scalars", name]}, t, "field")

    def variable(self, name: str, t: Type, metadata_struct: bool = False) -> Val:
        """Storage for a variable of any type: scalars, header instances, stacks, flattened structs."""
        if isinstance(t, StructLikeT):
            if t.kind == "header":
                return self.header(name, t, metadata=False)
            if t.kind == "header_union":
                return self.union(name, t)
            members = {}
            for fname, ft in t.fields:
                members[fname] = self.variable(
                    f"{name}.{fname}" if metadata_struct else f"{name}_{fname}", ft
                )
            return Val({"type": "struct", "value": name}, t, "struct", name=name, members=members)
        if isinstance(t, StackT):
            return self.stack(name, t)
        return self.scalar(name, t)

    def finish(self) -> None:
        total = sum(f[1] for f in self.scalars)
        if total % 8:
            self.scalars.append(["_padding_0", 8 - total % 8, False])
