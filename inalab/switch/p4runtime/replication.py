"""PacketReplicationEngineEntry: multicast groups and clone sessions.

A multicast group's replicas become one bmv2 PRE node per instance (rid) with
that instance's ports, as PI does for bmv2. A clone session with one replica
is a bmv2 mirroring session to that port.
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
_MAX_PORT = (1 << 32) - 1


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
    if gid == 0:
        raise invalid("multicast group id 0 is reserved")
    sw = state.switch
    groups = sw.mc_groups()
    if kind == Update.INSERT:
        if gid in groups:
            raise P4RuntimeError(grpc.StatusCode.ALREADY_EXISTS, f"{where} exists")
        nodes = _nodes_by_instance(list(msg.replicas), where)
        sw.mc_group_create(gid)
        try:
            _attach(sw, gid, nodes)
        except control.ControlError:
            _detach(sw, gid, sw.mc_groups().get(gid, ()))
            sw.mc_group_delete(gid)
            raise
        _keep_metadata(state, gid, msg.metadata)
        return
    if gid not in groups:
        raise not_found(f"{where} does not exist")
    if kind == Update.MODIFY:
        nodes = _nodes_by_instance(list(msg.replicas), where)
        _detach(sw, gid, groups[gid])
        _attach(sw, gid, nodes)
        _keep_metadata(state, gid, msg.metadata)
    elif kind == Update.DELETE:
        _detach(sw, gid, groups[gid])
        sw.mc_group_delete(gid)
        state.multicast_metadata.pop(gid, None)
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
    if sid == 0:
        raise invalid("clone session id 0 is reserved")
    exists = sid in state.clone_sessions
    sw = state.switch
    if kind == Update.DELETE:
        if not exists:
            raise not_found(f"{where} does not exist")
        sw.mirroring_delete(sid)
        del state.clone_sessions[sid]
        return
    if kind == Update.INSERT and exists:
        raise P4RuntimeError(grpc.StatusCode.ALREADY_EXISTS, f"{where} exists")
    if kind == Update.MODIFY and not exists:
        raise not_found(f"{where} does not exist")
    if kind not in (Update.INSERT, Update.MODIFY):
        raise invalid("update type must be INSERT, MODIFY or DELETE")
    if len(msg.replicas) != 1:
        raise unimplemented(
            f"{where}: exactly one replica is supported ({len(msg.replicas)} given)"
        )
    port = _port(msg.replicas[0], where)
    if port > _MAX_PORT:
        raise invalid(f"{where}: port {port} out of range")
    truncate = msg.packet_length_bytes or None
    sw.mirroring_add(MirrorSession(sid, port=port, truncate=truncate))
    stored = p4runtime_pb2.CloneSessionEntry()
    stored.CopyFrom(msg)
    state.clone_sessions[sid] = stored


def read(
    state: PipelineState, query: p4runtime_pb2.PacketReplicationEngineEntry
) -> Iterator[p4runtime_pb2.Entity]:
    kind = query.WhichOneof("type")
    if kind == "multicast_group_entry":
        gid = query.multicast_group_entry.multicast_group_id
        for g, nodes in sorted(state.switch.mc_groups().items()):
            if gid and g != gid:
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
        for s, stored in sorted(state.clone_sessions.items()):
            if sid and s != sid:
                continue
            ent = p4runtime_pb2.Entity()
            ent.packet_replication_engine_entry.clone_session_entry.CopyFrom(stored)
            yield ent
    else:
        raise invalid("packet_replication_engine_entry read needs a multicast or clone entry")
