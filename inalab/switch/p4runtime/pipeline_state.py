"""What the server keeps beside the switch for one installed pipeline.

The switch knows entries by its own handles; P4Runtime knows action-profile
members and groups by controller-chosen ids, and entries carry fields the
data plane never sees (controller metadata, idle timeouts). This state is
dropped whenever a new pipeline is committed, as the switch's own state is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from p4.v1 import p4runtime_pb2

from inalab.p4info.index import P4InfoIndex
from inalab.switch.control import SwitchControl


@dataclass(frozen=True)
class EntryExtras:
    """Per-entry fields the switch does not store."""

    controller_metadata: int = 0
    metadata: bytes = b""
    idle_timeout_ns: int = 0


@dataclass(frozen=True)
class OneShot:
    """Members (and the group, with a selector) created for a one-shot action set."""

    profile: str
    members: tuple[int, ...]
    group: int | None
    action_set: bytes  # the serialized ActionProfileActionSet, returned on read


@dataclass
class PipelineState:
    switch: SwitchControl
    index: P4InfoIndex
    config: p4runtime_pb2.ForwardingPipelineConfig
    extras: dict[tuple[str, int], EntryExtras] = field(default_factory=dict)
    oneshots: dict[tuple[str, int], OneShot] = field(default_factory=dict)
    # action profile id -> controller id -> switch handle
    members: dict[int, dict[int, int]] = field(default_factory=dict)
    groups: dict[int, dict[int, int]] = field(default_factory=dict)
    group_max_size: dict[tuple[int, int], int] = field(default_factory=dict)
    clone_sessions: dict[int, p4runtime_pb2.CloneSessionEntry] = field(default_factory=dict)
    multicast_metadata: dict[int, bytes] = field(default_factory=dict)  # group -> metadata

    def member_id_of(self, profile_id: int, handle: int) -> int | None:
        for mid, h in self.members.get(profile_id, {}).items():
            if h == handle:
                return mid
        return None

    def group_id_of(self, profile_id: int, handle: int) -> int | None:
        for gid, h in self.groups.get(profile_id, {}).items():
            if h == handle:
                return gid
        return None
