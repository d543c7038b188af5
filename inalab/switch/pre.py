"""Packet replication engine: multicast groups -> nodes (rid, ports); clone sessions."""

from __future__ import annotations

from collections.abc import Sequence

from inalab.switch.control import (
    DuplicateEntryError,
    EntryNotFoundError,
    InvalidRequestError,
    McNode,
    MirrorSession,
)


class Replication:
    def __init__(self) -> None:
        self.groups: dict[int, list[int]] = {}
        self.nodes: dict[int, McNode] = {}
        self.sessions: dict[int, MirrorSession] = {}
        self._next_node = 0

    def group_create(self, group: int) -> None:
        if not 0 <= group < (1 << 16):
            raise InvalidRequestError(f"multicast group {group} out of range")
        if group in self.groups:
            raise DuplicateEntryError(f"multicast group {group} exists")
        self.groups[group] = []

    def group_delete(self, group: int) -> None:
        if group not in self.groups:
            raise EntryNotFoundError(f"no multicast group {group}")
        del self.groups[group]

    def node_create(self, rid: int, ports: Sequence[int]) -> int:
        h = self._next_node
        self.nodes[h] = McNode(h, rid, tuple(sorted(set(ports))))
        self._next_node += 1
        return h

    def node(self, h: int) -> McNode:
        n = self.nodes.get(h)
        if n is None:
            raise EntryNotFoundError(f"no multicast node {h}")
        return n

    def node_update(self, h: int, ports: Sequence[int]) -> None:
        n = self.node(h)
        self.nodes[h] = McNode(h, n.rid, tuple(sorted(set(ports))))

    def node_delete(self, h: int) -> None:
        self.node(h)
        for g in self.groups.values():
            if h in g:
                g.remove(h)
        del self.nodes[h]

    def associate(self, group: int, h: int) -> None:
        self.node(h)
        if group not in self.groups:
            raise EntryNotFoundError(f"no multicast group {group}")
        if h in self.groups[group]:
            raise DuplicateEntryError(f"node {h} already in group {group}")
        self.groups[group].append(h)

    def dissociate(self, group: int, h: int) -> None:
        if group not in self.groups or h not in self.groups[group]:
            raise EntryNotFoundError(f"node {h} not in group {group}")
        self.groups[group].remove(h)

    def replicas(self, group: int) -> list[tuple[int, int]]:
        """(rid, port) copies of a group, in node order then port order (as bmv2)."""
        out: list[tuple[int, int]] = []
        for h in self.groups.get(group, []):
            n = self.nodes[h]
            out.extend((n.rid, port) for port in n.ports)
        return out

    def snapshot(self) -> dict[int, tuple[McNode, ...]]:
        return {g: tuple(self.nodes[h] for h in hs) for g, hs in self.groups.items()}

    def mirroring_add(self, s: MirrorSession) -> None:
        if s.port is None and s.mc_group is None:
            raise InvalidRequestError(f"clone session {s.session}: needs a port or a group")
        self.sessions[s.session] = s

    def mirroring_delete(self, session: int) -> None:
        if session not in self.sessions:
            raise EntryNotFoundError(f"no clone session {session}")
        del self.sessions[session]

    def mirroring_get(self, session: int) -> MirrorSession:
        s = self.sessions.get(session)
        if s is None:
            raise EntryNotFoundError(f"no clone session {session}")
        return s
