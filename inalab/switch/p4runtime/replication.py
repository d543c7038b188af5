"""PacketReplicationEngineEntry: multicast groups and clone sessions.

A multicast group's replicas become one bmv2 PRE node per instance (rid) with
that instance's ports, as PI does for bmv2. As in PI, the 16-bit group space
is split: controllers own groups 1..32767, and clone session ``s`` (1..32767)
replicates through the reserved group ``32768 + s``, so a session may have any
number of replicas and their instances become the copies' egress_rid.
Reserved groups are invisible to multicast reads and writes.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from p4.v1 import p4runtime_pb2

from inalab.switch import control
from inalab.switch.control import MirrorSession
from inalab.switch.p4runtime.errors import P4RuntimeError, invalid, not_found, unimplemented
from inalab.switch.p4runtime.pipeline_state import PipelineState

Update = p4runtime_pb2.Update
FIRST_RESERVED_GROUP = 1 << 15  # groups of clone sessions: FIRST_RESERVED_GROUP + session
MAX_SESSION = (1 << 15) - 1


def _port(replica: p4runtime_pb2.Replica, where: str) -> int:
    kind = replica.WhichOneof("port_kind")
    if kind == "port":
        if not replica.port:
            raise invalid(f"{where}: empty replica port")
        return int.from_bytes(replica.port, "big")
    return int(replica.egress_port)


def _nodes_by_instance(replicas: list[p4runtime_pb2.Replica], where: str) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    seen: set[tuple[int, int]] = set()
    for r in replicas:
        port = _port(r, where)
        if (port, r.instance) in seen:
            raise invalid(f"{where}: replica (port {port}, instance {r.instance}) listed twice")
        if r.instance >= 1 << 16:
            raise invalid(f"{where}: instance {r.instance} does not fit in 16 bits")
        seen.add((port, r.instance))
        out.setdefault(r.instance, []).append(port)
    return out


def write_multicast(
    state: PipelineState, kind: int, msg: p4runtime_pb2.MulticastGroupEntry
) -> None:
    gid = msg.multicast_group_id
    where = f"multicast group {gid}"
    if not 0 < gid < FIRST_RESERVED_GROUP:
        raise invalid(f"{where}: controllers own multicast groups 1..{FIRST_RESERVED_GROUP - 1}")
    _write_group(state, kind, gid, list(msg.replicas), where)
    if kind == Update.DELETE:
        state.multicast_metadata.pop(gid, None)
    else:
        _keep_metadata(state, gid, msg.metadata)


def _write_group(
    state: PipelineState, kind: int, gid: int, replicas: list[p4runtime_pb2.Replica], where: str
) -> None:
    sw = state.switch
    groups = sw.mc_groups()
    if kind == Update.INSERT:
        if gid in groups:
            raise P4RuntimeError(grpc.StatusCode.ALREADY_EXISTS, f"{where} exists")
        nodes = _nodes_by_instance(replicas, where)
        sw.mc_group_create(gid)
        try:
            _attach(sw, gid, nodes)
        except control.ControlError:
            _detach(sw, gid, sw.mc_groups().get(gid, ()))
            sw.mc_group_delete(gid)
            raise
        return
    if gid not in groups:
        raise not_found(f"{where} does not exist")
    if kind == Update.MODIFY:
        nodes = _nodes_by_instance(replicas, where)
        _detach(sw, gid, groups[gid])
        _attach(sw, gid, nodes)
    elif kind == Update.DELETE:
        _detach(sw, gid, groups[gid])
        sw.mc_group_delete(gid)
    else:
        raise invalid("update type must be INSERT, MODIFY or DELETE")


def _keep_metadata(state: PipelineState, gid: int, metadata: bytes) -> None:
    if metadata:
        state.multicast_metadata[gid] = bytes(metadata)
    else:
        state.multicast_metadata.pop(gid, None)


def _attach(sw: control.SwitchControl, gid: int, nodes: dict[int, list[int]]) -> None:
    for rid, ports in sorted(nodes.items()):
        node = sw.mc_node_create(rid, ports)
        sw.mc_node_associate(gid, node)


def _detach(sw: control.SwitchControl, gid: int, nodes: tuple[control.McNode, ...]) -> None:
    for node in nodes:
        sw.mc_node_dissociate(gid, node.handle)
        sw.mc_node_delete(node.handle)


def write_clone_session(
    state: PipelineState, kind: int, msg: p4runtime_pb2.CloneSessionEntry
) -> None:
    sid = msg.session_id
    where = f"clone session {sid}"
    if not 0 < sid <= MAX_SESSION:
        raise invalid(f"{where}: session ids are 1..{MAX_SESSION}")
    if kind not in (Update.INSERT, Update.MODIFY, Update.DELETE):
        raise invalid("update type must be INSERT, MODIFY or DELETE")
    exists = sid in state.clone_sessions
    if kind == Update.INSERT and exists:
        raise P4RuntimeError(grpc.StatusCode.ALREADY_EXISTS, f"{where} exists")
    if kind != Update.INSERT and not exists:
        raise not_found(f"{where} does not exist")
    if kind != Update.DELETE and msg.class_of_service:
        raise unimplemented(f"{where}: class_of_service is not supported")
    sw = state.switch
    group = FIRST_RESERVED_GROUP + sid
    if kind == Update.DELETE:
        sw.mirroring_delete(sid)
        _write_group(state, Update.DELETE, group, [], where)
        del state.clone_sessions[sid]
        return
    _write_group(state, kind, group, list(msg.replicas), where)
    sw.mirroring_add(MirrorSession(sid, mc_group=group, truncate=msg.packet_length_bytes or None))
    stored = p4runtime_pb2.CloneSessionEntry()
    stored.CopyFrom(msg)
    state.clone_sessions[sid] = stored


def read(
    state: PipelineState, query: p4runtime_pb2.PacketReplicationEngineEntry
) -> Iterator[p4runtime_pb2.Entity]:
    kind = query.WhichOneof("type")
    if kind == "multicast_group_entry":
        gid = query.multicast_group_entry.multicast_group_id
        groups = state.switch.mc_groups()
        if gid and (gid not in groups or gid >= FIRST_RESERVED_GROUP):
            raise not_found(f"multicast group {gid} does not exist")
        for g, nodes in sorted(groups.items()):
            if (gid and g != gid) or g >= FIRST_RESERVED_GROUP:
                continue
            ent = p4runtime_pb2.Entity()
            out = ent.packet_replication_engine_entry.multicast_group_entry
            out.multicast_group_id = g
            out.metadata = state.multicast_metadata.get(g, b"")
            for node in nodes:
                for port in node.ports:
                    out.replicas.add(egress_port=port, instance=node.rid)
            yield ent
    elif kind == "clone_session_entry":
        sid = query.clone_session_entry.session_id
        if sid and sid not in state.clone_sessions:
            raise not_found(f"clone session {sid} does not exist")
        for s, stored in sorted(state.clone_sessions.items()):
            if sid and s != sid:
                continue
            ent = p4runtime_pb2.Entity()
            ent.packet_replication_engine_entry.clone_session_entry.CopyFrom(stored)
            yield ent
    else:
        raise invalid("packet_replication_engine_entry read needs a multicast or clone entry")
