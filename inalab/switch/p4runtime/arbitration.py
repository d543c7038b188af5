"""Client arbitration on StreamChannel (spec "Client Arbitration and Controller Replication").

Per (device, role), the connected client with the highest election id is the
primary, provided that id is at least the highest the server has seen for
that (device, role); otherwise there is no primary until a client claims one.
Every change is announced to all clients of the (device, role): OK to the
primary, ALREADY_EXISTS to backups when a primary exists, NOT_FOUND when none.
Writes and pipeline changes are accepted only with the primary's election id.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field

import grpc
from google.rpc import code_pb2
from p4.v1 import p4runtime_pb2

from inalab.switch.p4runtime.errors import P4RuntimeError


def election_int(eid: p4runtime_pb2.Uint128) -> int:
    return (eid.high << 64) | eid.low


@dataclass(eq=False)
class StreamClient:
    """One StreamChannel connection; responses queue up for its sender."""

    peer: str
    outbox: queue.Queue[p4runtime_pb2.StreamMessageResponse | None] = field(
        default_factory=queue.Queue
    )
    device_id: int | None = None
    role: str = ""
    election_id: int | None = None

    def send(self, msg: p4runtime_pb2.StreamMessageResponse) -> None:
        self.outbox.put(msg)


class Arbitrator:
    def __init__(self, device_id: int) -> None:
        self.device_id = device_id
        self._lock = threading.Lock()
        self._clients: list[StreamClient] = []
        self._max_seen: dict[str, int] = {}

    def _primary(self, role: str) -> StreamClient | None:
        members = [c for c in self._clients if c.role == role and c.election_id is not None]
        if not members:
            return None
        top = max(members, key=lambda c: c.election_id or 0)
        if (top.election_id or 0) >= self._max_seen.get(role, 0):
            return top
        return None

    def arbitrate(
        self, client: StreamClient, update: p4runtime_pb2.MasterArbitrationUpdate
    ) -> None:
        """Handle an arbitration request; raises for a request that ends the stream."""
        if update.device_id != self.device_id:
            raise P4RuntimeError(
                grpc.StatusCode.NOT_FOUND,
                f"device id {update.device_id} is not this switch's ({self.device_id})",
            )
        role = update.role.name
        if update.role.HasField("config"):
            raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, "role configs are not supported")
        eid = election_int(update.election_id) if update.HasField("election_id") else None
        with self._lock:
            if client.device_id is not None and client.role != role:
                raise P4RuntimeError(
                    grpc.StatusCode.FAILED_PRECONDITION, "a stream cannot change its role"
                )
            if eid is not None:
                for other in self._clients:
                    if other is not client and other.role == role and other.election_id == eid:
                        raise P4RuntimeError(
                            grpc.StatusCode.INVALID_ARGUMENT,
                            f"election id {eid} is already used by another client of role {role!r}",
                        )
            before = self._primary(role)
            client.device_id = update.device_id
            client.role = role
            client.election_id = eid
            if client not in self._clients:
                self._clients.append(client)
            if eid is not None:
                self._max_seen[role] = max(self._max_seen.get(role, 0), eid)
            after = self._primary(role)
            if before is not after:
                self._announce(role, after, None)
            else:
                self._announce(role, after, client)

    def remove(self, client: StreamClient) -> None:
        with self._lock:
            if client not in self._clients:
                return
            before = self._primary(client.role)
            self._clients.remove(client)
            after = self._primary(client.role)
            if before is not after:
                self._announce(client.role, after, None)

    def _announce(self, role: str, primary: StreamClient | None, only: StreamClient | None) -> None:
        top = primary.election_id if primary is not None else self._max_seen.get(role, 0)
        for c in self._clients:
            if c.role != role or (only is not None and c is not only):
                continue
            msg = p4runtime_pb2.StreamMessageResponse()
            arb = msg.arbitration
            arb.device_id = self.device_id
            if role:
                arb.role.name = role
            if top is not None:
                arb.election_id.high = top >> 64
                arb.election_id.low = top & ((1 << 64) - 1)
            if c is primary:
                arb.status.code = code_pb2.OK
                arb.status.message = "primary"
            elif primary is not None:
                arb.status.code = code_pb2.ALREADY_EXISTS
                arb.status.message = "backup: a primary with a higher election id exists"
            else:
                arb.status.code = code_pb2.NOT_FOUND
                arb.status.message = "no primary"
            c.send(msg)

    def check_primary(self, role: str, election_id: p4runtime_pb2.Uint128 | None) -> None:
        """PERMISSION_DENIED unless ``election_id`` is the primary's for ``role``."""
        eid = election_int(election_id) if election_id is not None else 0
        with self._lock:
            primary = self._primary(role)
            if primary is None:
                raise P4RuntimeError(
                    grpc.StatusCode.PERMISSION_DENIED,
                    f"no primary client for role {role!r}: open a StreamChannel and arbitrate",
                )
            if primary.election_id != eid:
                raise P4RuntimeError(
                    grpc.StatusCode.PERMISSION_DENIED,
                    f"election id {eid} is not the primary's for role {role!r}",
                )

    def is_primary(self, client: StreamClient) -> bool:
        with self._lock:
            return client.device_id is not None and self._primary(client.role) is client

    def primaries(self) -> list[StreamClient]:
        """The primary of every role (receivers of packet-ins, digests, notifications)."""
        with self._lock:
            roles = {c.role for c in self._clients}
            return [p for r in sorted(roles) if (p := self._primary(r)) is not None]
