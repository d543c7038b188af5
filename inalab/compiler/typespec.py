"""P4Info type specs (``P4DataTypeSpec``) of P4 types, as p4c's control-plane
``TypeSpecConverter`` builds them: ``bit<W>`` -> ``bitstring.bit``, ``int<W>`` ->
``bitstring.int``, ``varbit<W>`` -> ``bitstring.varbit``, ``bool`` -> ``bool``, named
structs/headers/enums/serializable enums/``error`` by name with their definition added once
to the P4Info's ``type_info``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from p4.config.v1 import p4info_pb2, p4types_pb2

from .typesys import BitT, BoolT, EnumT, ErrorT, StructLikeT, Type, VarbitT, width_of


def bitstring(spec: Any, t: BitT | VarbitT) -> None:
    """A ``P4BitstringLikeTypeSpec`` (a data type spec's ``bitstring`` or a header member)."""
    if isinstance(t, VarbitT):
        spec.varbit.max_bitwidth = t.max_width
    elif t.signed:
        spec.int.bitwidth = t.width
    else:
        spec.bit.bitwidth = t.width


def type_spec(
    spec: p4types_pb2.P4DataTypeSpec,
    t: Type,
    info: p4info_pb2.P4Info,
    errors: Sequence[str] = (),
) -> None:
    """Fill ``spec`` for ``t``; named types get their definition in ``info.type_info``."""
    ti = info.type_info
    if isinstance(t, (BitT, VarbitT)):
        bitstring(spec.bitstring, t)
    elif isinstance(t, BoolT):
        spec.bool.SetInParent()
    elif isinstance(t, ErrorT):
        spec.error.SetInParent()
        if not ti.HasField("error"):
            ti.error.members.extend(errors)
    elif isinstance(t, EnumT) and t.underlying is not None:
        spec.serializable_enum.name = t.name
        if t.name not in ti.serializable_enums:
            se = ti.serializable_enums[t.name]
            w = t.underlying.width
            se.underlying_type.bitwidth = w
            for m, v in zip(t.members, t.values, strict=True):
                member = se.members.add()
                member.name = m
                member.value = (v % (1 << w)).to_bytes(max((w + 7) // 8, 1), "big")
    elif isinstance(t, EnumT):
        spec.enum.name = t.name
        if t.name not in ti.enums:
            ti.enums[t.name].members.extend(
                p4types_pb2.P4EnumTypeSpec.Member(name=m) for m in t.members
            )
    elif isinstance(t, StructLikeT) and t.kind == "header":
        spec.header.name = t.name
        if t.name not in ti.headers:
            h = ti.headers[t.name]
            for fname, ft in t.fields:
                member = h.members.add()
                member.name = fname
                if isinstance(ft, (BitT, VarbitT)):
                    bitstring(member.type_spec, ft)
                else:  # p4c flattens headers to bit<W> fields
                    member.type_spec.bit.bitwidth = width_of(ft)
    elif isinstance(t, StructLikeT) and t.kind == "struct":
        spec.struct.name = t.name
        if t.name not in ti.structs:
            st = ti.structs[t.name]
            for fname, ft in t.fields:
                member = st.members.add()
                member.name = fname
                type_spec(member.type_spec, ft, info, errors)
    else:
        spec.bitstring.bit.bitwidth = width_of(t)
