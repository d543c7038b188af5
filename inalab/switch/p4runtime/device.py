"""The P4Runtime device: one switch, its pipeline, and entity dispatch.

This is the transport-free half of the server: gRPC handlers in
:mod:`.service` call :meth:`Device.write_update`, :meth:`Device.read_entity`
and :meth:`Device.set_pipeline` under the device lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import grpc
from google.protobuf.message import DecodeError
from p4.config.v1 import p4info_pb2
from p4.v1 import p4runtime_pb2

from inalab.p4info.index import P4InfoIndex
from inalab.switch import control
from inalab.switch.control import SwitchControl
from inalab.switch.errors import SwitchError
from inalab.switch.p4runtime import (
    action_profiles,
    externs,
    packet_io,
    reconcile,
    replication,
    table_entries,
    wire,
)
from inalab.switch.p4runtime.device_config import decode_device_config
from inalab.switch.p4runtime.digests import DigestEngine
from inalab.switch.p4runtime.errors import (
    P4INFO_ERRORS,
    P4RuntimeError,
    from_control_error,
    invalid,
    unimplemented,
)
from inalab.switch.p4runtime.pipeline_state import PipelineState

Action = p4runtime_pb2.SetForwardingPipelineConfigRequest
Update = p4runtime_pb2.Update

_WRITERS: dict[str, Callable[[PipelineState, int, object], None]] = {
    "table_entry": table_entries.write,
    "action_profile_member": action_profiles.write_member,
    "action_profile_group": action_profiles.write_group,
    "counter_entry": externs.write_counter,
    "direct_counter_entry": externs.write_direct_counter,
    "meter_entry": externs.write_meter,
    "direct_meter_entry": externs.write_direct_meter,
    "register_entry": externs.write_register,
    "value_set_entry": externs.write_value_set,
}

_READERS: dict[str, Callable[[PipelineState, object], Iterator[p4runtime_pb2.Entity]]] = {
    "table_entry": table_entries.read,
    "action_profile_member": action_profiles.read_members,
    "action_profile_group": action_profiles.read_groups,
    "counter_entry": externs.read_counter,
    "direct_counter_entry": externs.read_direct_counter,
    "meter_entry": externs.read_meter,
    "direct_meter_entry": externs.read_direct_meter,
    "register_entry": externs.read_register,
    "value_set_entry": externs.read_value_set,
    "packet_replication_engine_entry": replication.read,
}


def _verify(
    config: p4runtime_pb2.ForwardingPipelineConfig,
) -> tuple[P4InfoIndex, dict[str, object]]:
    program = decode_device_config(bytes(config.p4_device_config))
    return P4InfoIndex.build(config.p4info, program, errors=P4INFO_ERRORS), program


class Device:
    """A switch seen through P4Runtime: pipeline config, entities, packet I/O."""

    def __init__(
        self,
        switch: SwitchControl,
        device_id: int,
        send_to_primaries: Callable[[p4runtime_pb2.StreamMessageResponse], None],
    ) -> None:
        self.switch = switch
        self.device_id = device_id
        self.lock = threading.RLock()
        self.state: PipelineState | None = None
        self.saved: p4runtime_pb2.ForwardingPipelineConfig | None = None
        self._send = send_to_primaries
        self.digests = DigestEngine(send_to_primaries)
        switch.set_packet_in_handler(self._on_packet_in)
        switch.set_digest_handler(self.digests.on_digest)
        switch.set_idle_timeout_handler(self._on_idle_timeout)

    def detach(self) -> None:
        self.switch.set_packet_in_handler(None)
        self.switch.set_digest_handler(None)
        self.switch.set_idle_timeout_handler(None)

    # pipeline --------------------------------------------------------------------
    def require_state(self) -> PipelineState:
        if self.state is None:
            raise P4RuntimeError(
                grpc.StatusCode.FAILED_PRECONDITION, "no forwarding pipeline config has been set"
            )
        return self.state

    def set_pipeline(self, action: int, config: p4runtime_pb2.ForwardingPipelineConfig) -> None:
        with self.lock:
            if action == Action.VERIFY:
                self._verify_realizable(config)
            elif action == Action.VERIFY_AND_SAVE:
                self._verify_realizable(config)
                self.saved = p4runtime_pb2.ForwardingPipelineConfig()
                self.saved.CopyFrom(config)
            elif action == Action.VERIFY_AND_COMMIT:
                self._commit(config, reconcile_old=False)
            elif action == Action.COMMIT:
                if self.saved is None:
                    raise P4RuntimeError(
                        grpc.StatusCode.FAILED_PRECONDITION,
                        "COMMIT without a config saved by VERIFY_AND_SAVE",
                    )
                saved, self.saved = self.saved, None
                self._commit(saved, reconcile_old=False)
            elif action == Action.RECONCILE_AND_COMMIT:
                self._commit(config, reconcile_old=True)
            else:
                raise invalid("SetForwardingPipelineConfig needs an action")

    def _verify_realizable(self, config: p4runtime_pb2.ForwardingPipelineConfig) -> None:
        """VERIFY: the P4Info indexes against the JSON, and the JSON loads into a scratch
        switch of the same class (the running one is untouched)."""
        _, program = _verify(config)
        try:
            scratch = type(self.switch)()
        except TypeError:  # a switch class that needs arguments: JSON-level checks only
            return
        try:
            scratch.load_program(program)
        except SwitchError as e:
            raise invalid(f"the switch would refuse the device config: {e}") from None

    def _commit(self, config: p4runtime_pb2.ForwardingPipelineConfig, reconcile_old: bool) -> None:
        index, program = _verify(config)
        snapshot = None
        if reconcile_old and self.state is not None:
            digests = list(self.digests.read(p4runtime_pb2.DigestEntry()))
            snapshot = reconcile.snapshot(self.state, digests)
        try:
            self.switch.load_program(program)
        except SwitchError as e:
            raise invalid(f"the switch refused the device config: {e}") from None
        except control.ControlError as e:
            raise from_control_error(e) from None
        stored = p4runtime_pb2.ForwardingPipelineConfig()
        stored.CopyFrom(config)
        self.state = PipelineState(self.switch, index, stored)
        self.digests.reset(index)
        if snapshot is not None:
            reconcile.restore(self.state, snapshot, self.write_update)

    def get_pipeline(self, response_type: int) -> p4runtime_pb2.ForwardingPipelineConfig:
        req = p4runtime_pb2.GetForwardingPipelineConfigRequest
        with self.lock:
            state = self.require_state()
            out = p4runtime_pb2.ForwardingPipelineConfig()
            if state.config.HasField("cookie"):
                out.cookie.CopyFrom(state.config.cookie)
            if response_type in (req.ALL, req.P4INFO_AND_COOKIE):
                out.p4info.CopyFrom(state.config.p4info)
            if response_type in (req.ALL, req.DEVICE_CONFIG_AND_COOKIE):
                out.p4_device_config = state.config.p4_device_config
            if response_type not in (
                req.ALL,
                req.P4INFO_AND_COOKIE,
                req.DEVICE_CONFIG_AND_COOKIE,
                req.COOKIE_ONLY,
            ):
                raise invalid(f"unknown response_type {response_type}")
            return out

    def p4info(self) -> p4info_pb2.P4Info | None:
        with self.lock:
            return self.state.config.p4info if self.state else None

    # entities ----------------------------------------------------------------------
    def write_update(self, update: p4runtime_pb2.Update) -> None:
        """Apply one update; raises P4RuntimeError (state unchanged) on refusal."""
        self.write_entity(update.type, update.entity)

    def write_serialized(self, kind: int, entity: bytes) -> None:
        """Apply one update whose Entity is still serialized (see :mod:`.wire`)."""
        try:
            direct = wire.read_direct_entry(entity)
        except wire.Fallback:
            try:
                parsed = p4runtime_pb2.Entity.FromString(entity)
            except DecodeError as e:
                raise invalid(f"malformed Entity: {e}") from None
            self.write_entity(kind, parsed)
            return
        with self.lock:
            state = self.require_state()
            if kind not in (Update.INSERT, Update.MODIFY, Update.DELETE):
                raise invalid("update type must be INSERT, MODIFY or DELETE")
            try:
                table_entries.write_direct(state, kind, direct)
            except control.ControlError as e:
                raise from_control_error(e) from None

    def write_entity(self, kind: int, entity: p4runtime_pb2.Entity) -> None:
        with self.lock:
            state = self.require_state()
            if kind not in (Update.INSERT, Update.MODIFY, Update.DELETE):
                raise invalid("update type must be INSERT, MODIFY or DELETE")
            which = entity.WhichOneof("entity")
            try:
                if which in _WRITERS:
                    _WRITERS[which](state, kind, getattr(entity, which))
                elif which == "packet_replication_engine_entry":
                    pre = entity.packet_replication_engine_entry
                    sub = pre.WhichOneof("type")
                    if sub == "multicast_group_entry":
                        replication.write_multicast(state, kind, pre.multicast_group_entry)
                    elif sub == "clone_session_entry":
                        replication.write_clone_session(state, kind, pre.clone_session_entry)
                    else:
                        raise invalid("empty packet_replication_engine_entry")
                elif which == "digest_entry":
                    self.digests.write(state.index, kind, entity.digest_entry)
                elif which == "extern_entry":
                    raise unimplemented("extern entries (no architecture externs on v1model)")
                else:
                    raise invalid("update has no entity")
            except control.ControlError as e:
                raise from_control_error(e) from None

    def read_entity(self, entity: p4runtime_pb2.Entity) -> list[p4runtime_pb2.Entity]:
        with self.lock:
            state = self.require_state()
            kind = entity.WhichOneof("entity")
            try:
                if kind in _READERS:
                    return list(_READERS[kind](state, getattr(entity, kind)))
                if kind == "digest_entry":
                    return list(self.digests.read(entity.digest_entry))
                if kind == "extern_entry":
                    raise unimplemented("extern entries (no architecture externs on v1model)")
                raise invalid("read request entity has no type")
            except control.ControlError as e:
                raise from_control_error(e) from None

    # packets and notifications ------------------------------------------------------
    def packet_out(self, msg: p4runtime_pb2.PacketOut) -> None:
        with self.lock:
            state = self.require_state()
            frame = packet_io.frame_packet_out(state.index.packet_out, msg)
        try:
            self.switch.packet_out(frame)
        except control.ControlError as e:  # e.g. a switch started without a CPU port
            raise from_control_error(e) from None

    def _on_packet_in(self, frame: bytes) -> None:
        state = self.state
        if state is None:
            return
        try:
            msg = packet_io.packet_in_message(state.index.packet_in, frame)
        except P4RuntimeError:
            return  # a frame too short for the packet_in header: nothing to deliver
        self._send(msg)

    def _on_idle_timeout(self, table_name: str, handles: tuple[int, ...]) -> None:
        with self.lock:
            state = self.state
            if state is None:
                return
            try:
                table = state.index.table(table_name)
            except P4RuntimeError:
                return
            wanted = set(handles)
            msg = p4runtime_pb2.StreamMessageResponse()
            note = msg.idle_timeout_notification
            query = p4runtime_pb2.TableEntry(table_id=table.id)
            for e in state.switch.table_entries(table.name):
                if e.handle in wanted:
                    note.table_entry.append(
                        table_entries.entry_entity(state, table, e, query).table_entry
                    )
        if len(note.table_entry):
            note.timestamp = time.time_ns()
            self._send(msg)
