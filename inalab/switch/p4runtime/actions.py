"""P4Runtime ``Action`` messages <-> the switch's :class:`ActionCall`."""

from __future__ import annotations

from collections.abc import Collection

from p4.v1 import p4runtime_pb2

from inalab.switch.control import ActionCall
from inalab.switch.p4runtime import bytestrings
from inalab.switch.p4runtime.errors import invalid
from inalab.switch.p4runtime.p4info_index import P4InfoIndex


def to_call(
    index: P4InfoIndex, action: p4runtime_pb2.Action, allowed: Collection[int] | None, where: str
) -> ActionCall:
    """Validate ``action`` (id allowed here, every parameter once, widths) into an ActionCall."""
    info = index.action(action.action_id)
    if allowed is not None and action.action_id not in allowed:
        raise invalid(f"{where}: action {info.name!r} is not an action of this table")
    values: dict[int, int] = {}
    for p in action.params:
        param = info.param(p.param_id)
        if p.param_id in values:
            raise invalid(f"{where}: action {info.name!r} parameter {param.name!r} given twice")
        values[p.param_id] = bytestrings.decode(
            p.value, param.bitwidth, f"{where}: action {info.name!r} parameter {param.name!r}"
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
