"""P4Runtime ``Action`` messages <-> the switch's :class:`ActionCall`."""

from __future__ import annotations

from collections.abc import Collection

from p4.v1 import p4runtime_pb2

from inalab.p4info.index import P4InfoIndex
from inalab.switch.control import ActionCall
from inalab.switch.p4runtime import bytestrings
from inalab.switch.p4runtime.errors import invalid, not_found


def to_call(
    index: P4InfoIndex, action: p4runtime_pb2.Action, allowed: Collection[int] | None, where: str
) -> ActionCall:
    """Validate ``action`` (id allowed here, every parameter once, widths) into an ActionCall."""
    params = [(p.param_id, p.value) for p in action.params]
    return call_from_parts(index, action.action_id, params, allowed, where)


def call_from_parts(
    index: P4InfoIndex,
    action_id: int,
    params: list[tuple[int, bytes]],
    allowed: Collection[int] | None,
    where: str,
) -> ActionCall:
    """:func:`to_call` on an action already taken apart into (param_id, value) pairs."""
    info = index.action(action_id)
    if allowed is not None and action_id not in allowed:
        raise invalid(f"{where}: action {info.name!r} is not an action of this table")
    values: dict[int, int] = {}
    for pid, raw in params:
        param = info.find_param(pid)
        if param is None:
            raise not_found(f"action {info.name!r} has no parameter id {pid}")
        if pid in values:
            raise invalid(f"{where}: action {info.name!r} parameter {param.name!r} given twice")
        values[pid] = bytestrings.decode(
            raw, param.bitwidth, f"{where}: action {info.name!r} parameter {param.name!r}"
        )
    if len(values) != len(info.params):
        missing = [p.name for p in info.params if p.id not in values]
        raise invalid(f"{where}: action {info.name!r} is missing parameters {missing}")
    return ActionCall(info.json_name, tuple(values[pid] for pid in info.json_order))


def from_call(index: P4InfoIndex, call: ActionCall) -> p4runtime_pb2.Action:
    info = index.action_by_json_name(call.action)
    msg = p4runtime_pb2.Action(action_id=info.id)
    by_id = dict(zip(info.json_order, call.params, strict=False))
    for param in info.params:
        if param.id in by_id:
            msg.params.add(param_id=param.id, value=bytestrings.encode(by_id[param.id]))
    return msg
