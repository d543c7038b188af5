"""Action profile members and groups, named by controller-chosen ids."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from p4.v1 import p4runtime_pb2

from inalab.p4info.model import ActionProfileInfo
from inalab.switch import control
from inalab.switch.p4runtime import actions
from inalab.switch.p4runtime.errors import P4RuntimeError, invalid, not_found, unimplemented
from inalab.switch.p4runtime.pipeline_state import PipelineState

Update = p4runtime_pb2.Update


def _allowed_actions(state: PipelineState, profile: ActionProfileInfo) -> set[int]:
    allowed: set[int] = set()
    for tid in profile.table_ids:
        if tid in state.index.tables:
            allowed |= state.index.tables[tid].action_ids
    return allowed


def write_member(state: PipelineState, kind: int, msg: p4runtime_pb2.ActionProfileMember) -> None:
    profile = state.index.action_profile(msg.action_profile_id)
    members = state.members.setdefault(profile.id, {})
    where = f"action profile {profile.name!r} member {msg.member_id}"
    sw = state.switch
    if kind == Update.INSERT:
        if msg.member_id in members:
            raise P4RuntimeError(grpc.StatusCode.ALREADY_EXISTS, f"{where} exists")
        call = actions.to_call(state.index, msg.action, _allowed_actions(state, profile), where)
        if profile.size and len(members) >= profile.size:
            raise P4RuntimeError(
                grpc.StatusCode.RESOURCE_EXHAUSTED, f"{where}: profile holds {profile.size} members"
            )
        members[msg.member_id] = sw.act_prof_add_member(profile.name, call)
        return
    if msg.member_id not in members:
        raise not_found(f"{where} does not exist")
    handle = members[msg.member_id]
    if kind == Update.MODIFY:
        call = actions.to_call(state.index, msg.action, _allowed_actions(state, profile), where)
        sw.act_prof_modify_member(profile.name, handle, call)
    elif kind == Update.DELETE:
        sw.act_prof_delete_member(profile.name, handle)
        del members[msg.member_id]
    else:
        raise invalid("update type must be INSERT, MODIFY or DELETE")


def write_group(state: PipelineState, kind: int, msg: p4runtime_pb2.ActionProfileGroup) -> None:
    profile = state.index.action_profile(msg.action_profile_id)
    where = f"action profile {profile.name!r} group {msg.group_id}"
    if not profile.with_selector:
        raise invalid(f"{where}: profile has no selector, it takes no groups")
    groups = state.groups.setdefault(profile.id, {})
    members = state.members.get(profile.id, {})
    sw = state.switch
    wanted: list[int] = []
    if kind in (Update.INSERT, Update.MODIFY):
        for m in msg.members:
            if m.member_id not in members:
                raise not_found(f"{where}: no member {m.member_id}")
            if m.weight not in (0, 1):
                raise unimplemented(f"{where}: member weights other than 1")
            wanted.append(members[m.member_id])
        if len(set(wanted)) != len(wanted):
            raise invalid(f"{where}: a member is listed twice")
        max_size = msg.max_size or profile.max_group_size
        if max_size and len(wanted) > max_size:
            raise P4RuntimeError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"{where}: {len(wanted)} members > max {max_size}",
            )
        if profile.max_group_size and msg.max_size > profile.max_group_size:
            raise invalid(f"{where}: max_size exceeds the profile's {profile.max_group_size}")
    if kind == Update.INSERT:
        if msg.group_id in groups:
            raise P4RuntimeError(grpc.StatusCode.ALREADY_EXISTS, f"{where} exists")
        handle = sw.act_prof_create_group(profile.name)
        try:
            for m in wanted:
                sw.act_prof_add_member_to_group(profile.name, m, handle)
        except control.ControlError:
            sw.act_prof_delete_group(profile.name, handle)
            raise
        groups[msg.group_id] = handle
        state.group_max_size[(profile.id, msg.group_id)] = msg.max_size
        return
    if msg.group_id not in groups:
        raise not_found(f"{where} does not exist")
    handle = groups[msg.group_id]
    if kind == Update.MODIFY:
        current = set(sw.act_prof_groups(profile.name).get(handle, ()))
        for m in current - set(wanted):
            sw.act_prof_remove_member_from_group(profile.name, m, handle)
        for m in wanted:
            if m not in current:
                sw.act_prof_add_member_to_group(profile.name, m, handle)
        state.group_max_size[(profile.id, msg.group_id)] = msg.max_size
    elif kind == Update.DELETE:
        sw.act_prof_delete_group(profile.name, handle)
        del groups[msg.group_id]
        state.group_max_size.pop((profile.id, msg.group_id), None)
    else:
        raise invalid("update type must be INSERT, MODIFY or DELETE")


def _profiles(state: PipelineState, profile_id: int) -> list[ActionProfileInfo]:
    if profile_id == 0:
        return sorted(state.index.action_profiles.values(), key=lambda p: p.id)
    return [state.index.action_profile(profile_id)]


def read_members(
    state: PipelineState, query: p4runtime_pb2.ActionProfileMember
) -> Iterator[p4runtime_pb2.Entity]:
    for profile in _profiles(state, query.action_profile_id):
        calls = state.switch.act_prof_members(profile.name)
        for mid, handle in sorted(state.members.get(profile.id, {}).items()):
            if query.member_id and mid != query.member_id:
                continue
            if handle not in calls:
                continue
            ent = p4runtime_pb2.Entity()
            out = ent.action_profile_member
            out.action_profile_id = profile.id
            out.member_id = mid
            out.action.CopyFrom(actions.from_call(state.index, calls[handle]))
            yield ent


def read_groups(
    state: PipelineState, query: p4runtime_pb2.ActionProfileGroup
) -> Iterator[p4runtime_pb2.Entity]:
    for profile in _profiles(state, query.action_profile_id):
        if not profile.with_selector:
            continue
        groups = state.switch.act_prof_groups(profile.name)
        for gid, handle in sorted(state.groups.get(profile.id, {}).items()):
            if query.group_id and gid != query.group_id:
                continue
            ent = p4runtime_pb2.Entity()
            out = ent.action_profile_group
            out.action_profile_id = profile.id
            out.group_id = gid
            out.max_size = state.group_max_size.get((profile.id, gid), 0)
            for m in groups.get(handle, ()):
                mid = state.member_id_of(profile.id, m)
                if mid is not None:
                    out.members.add(member_id=mid, weight=1)
            yield ent
