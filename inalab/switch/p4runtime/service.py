"""The gRPC ``p4.v1.P4Runtime`` service of one switch.

Write errors follow the spec's batch reporting: when any update fails the RPC
status is UNKNOWN and its details (``grpc-status-details-bin``) hold one
``p4.v1.Error`` per update, OK for those applied. Errors of the whole request
(wrong device, not primary, no pipeline) are the RPC's own status code.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError, Message
from google.rpc import code_pb2, status_pb2
from p4.v1 import p4runtime_pb2, p4runtime_pb2_grpc

from inalab.switch.control import SwitchControl
from inalab.switch.p4runtime.arbitration import Arbitrator, StreamClient
from inalab.switch.p4runtime.device import Device
from inalab.switch.p4runtime.errors import P4RuntimeError, invalid
from inalab.switch.p4runtime.request_log import RequestLog
from inalab.switch.p4runtime.rollback import write_all_or_none
from inalab.switch.p4runtime.wire import RawWrite, read_write_request

API_VERSION = "1.4.1"
READ_CHUNK = 1000
_IDLE_TICK_S = 1.0  # the digest timer's wake-up when no list is pending

log = logging.getLogger(__name__)
R = TypeVar("R")


def _status_code(code: grpc.StatusCode) -> int:
    value = code.value[0]
    assert isinstance(value, int)
    return value


class P4RuntimeService(p4runtime_pb2_grpc.P4RuntimeServicer):
    def __init__(
        self, switch: SwitchControl, device_id: int, request_log: RequestLog | None = None
    ) -> None:
        self.arbitrator = Arbitrator(device_id)
        self.device = Device(switch, device_id, self._send_to_primaries)
        self.request_log = request_log
        self._streams: set[StreamClient] = set()
        self._streams_lock = threading.Lock()
        self._closed = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="p4rt-digest-timer", daemon=True)
        self._ticker.start()

    # plumbing ---------------------------------------------------------------------
    def close(self) -> None:
        self._closed.set()
        self.device.digests.wake.set()
        with self._streams_lock:
            for c in self._streams:
                c.outbox.put(None)
        self.device.detach()

    def _tick(self) -> None:
        engine = self.device.digests
        while not self._closed.is_set():
            engine.wake.clear()
            try:
                delay = engine.tick()
            except Exception:  # keep the timer alive whatever one tick hits
                log.exception("digest timer")
                delay = None
            engine.wake.wait(_IDLE_TICK_S if delay is None else delay)

    def _send_to_primaries(self, msg: p4runtime_pb2.StreamMessageResponse) -> None:
        for c in self.arbitrator.primaries():
            c.send(msg)

    def _check_device(self, device_id: int) -> None:
        if device_id != self.device.device_id:
            raise P4RuntimeError(
                grpc.StatusCode.NOT_FOUND,
                f"device id {device_id} is not this switch's ({self.device.device_id})",
            )

    def _guard(self, context: grpc.ServicerContext, fn: Callable[[], R]) -> R:
        try:
            return fn()
        except P4RuntimeError as e:
            context.abort(e.code, e.message)
        except Exception as e:
            log.exception("P4Runtime request failed")
            context.abort(grpc.StatusCode.INTERNAL, f"internal error: {type(e).__name__}: {e}")
        raise AssertionError("unreachable")

    def _log(self, method: str, request: Message) -> None:
        if self.request_log is not None:
            self.request_log.record(method, request)

    # RPCs -------------------------------------------------------------------------
    def Capabilities(
        self, request: p4runtime_pb2.CapabilitiesRequest, context: grpc.ServicerContext
    ) -> p4runtime_pb2.CapabilitiesResponse:
        return p4runtime_pb2.CapabilitiesResponse(p4runtime_api_version=API_VERSION)

    def SetForwardingPipelineConfig(
        self,
        request: p4runtime_pb2.SetForwardingPipelineConfigRequest,
        context: grpc.ServicerContext,
    ) -> p4runtime_pb2.SetForwardingPipelineConfigResponse:
        self._log("SetForwardingPipelineConfig", request)

        def run() -> p4runtime_pb2.SetForwardingPipelineConfigResponse:
            self._check_device(request.device_id)
            self.arbitrator.check_primary(request.role, request.election_id)
            self.device.set_pipeline(request.action, request.config)
            return p4runtime_pb2.SetForwardingPipelineConfigResponse()

        return self._guard(context, run)

    def GetForwardingPipelineConfig(
        self,
        request: p4runtime_pb2.GetForwardingPipelineConfigRequest,
        context: grpc.ServicerContext,
    ) -> p4runtime_pb2.GetForwardingPipelineConfigResponse:
        def run() -> p4runtime_pb2.GetForwardingPipelineConfigResponse:
            self._check_device(request.device_id)
            config = self.device.get_pipeline(request.response_type)
            return p4runtime_pb2.GetForwardingPipelineConfigResponse(config=config)

        return self._guard(context, run)

    def Write(
        self, request: p4runtime_pb2.WriteRequest | RawWrite, context: grpc.ServicerContext
    ) -> p4runtime_pb2.WriteResponse:
        """``request`` is a :class:`RawWrite` when it arrives through :func:`handlers`."""
        if self.request_log is not None:
            self._log("Write", request.full() if isinstance(request, RawWrite) else request)
        updates: list[tuple[int, bytes | p4runtime_pb2.Entity]] = (
            list(request.updates)
            if isinstance(request, RawWrite)
            else [(u.type, u.entity) for u in request.updates]
        )

        def run() -> p4runtime_pb2.WriteResponse:
            self._check_device(request.device_id)
            self.arbitrator.check_primary(request.role, request.election_id)
            atomicity = request.atomicity
            if atomicity == p4runtime_pb2.WriteRequest.DATAPLANE_ATOMIC:
                raise P4RuntimeError(
                    grpc.StatusCode.UNIMPLEMENTED,
                    "DATAPLANE_ATOMIC writes are not supported (use ROLLBACK_ON_ERROR)",
                )
            self.device.require_state()
            if atomicity == p4runtime_pb2.WriteRequest.ROLLBACK_ON_ERROR:
                failures = write_all_or_none(self.device, [(k, _entity(e)) for k, e in updates])
            elif atomicity == p4runtime_pb2.WriteRequest.CONTINUE_ON_ERROR:
                failures = self._write_each(updates)
            else:
                raise invalid(f"unknown atomicity {atomicity}")
            if failures:
                _set_batch_error(context, len(updates), failures)
            return p4runtime_pb2.WriteResponse()

        return self._guard(context, run)

    def _write_each(
        self, updates: list[tuple[int, bytes | p4runtime_pb2.Entity]]
    ) -> dict[int, P4RuntimeError]:
        """CONTINUE_ON_ERROR: every update is tried; returns the refusals by index."""
        failures: dict[int, P4RuntimeError] = {}
        for i, (kind, entity) in enumerate(updates):
            try:
                if isinstance(entity, bytes):
                    self.device.write_serialized(kind, entity)
                else:
                    self.device.write_entity(kind, entity)
            except P4RuntimeError as e:
                failures[i] = e
            except Exception as e:  # a fault below us: this update fails, the rest go on
                log.exception("P4Runtime update %d failed", i)
                failures[i] = P4RuntimeError(
                    grpc.StatusCode.INTERNAL, f"internal error: {type(e).__name__}: {e}"
                )
        return failures

    def Read(
        self, request: p4runtime_pb2.ReadRequest, context: grpc.ServicerContext
    ) -> Iterator[p4runtime_pb2.ReadResponse]:
        def run() -> list[p4runtime_pb2.Entity]:
            self._check_device(request.device_id)
            self.device.require_state()
            out: list[p4runtime_pb2.Entity] = []
            for entity in request.entities:
                out += self.device.read_entity(entity)
            return out

        entities = self._guard(context, run)
        for i in range(0, len(entities), READ_CHUNK):
            yield p4runtime_pb2.ReadResponse(entities=entities[i : i + READ_CHUNK])
        if not entities:
            yield p4runtime_pb2.ReadResponse()

    def StreamChannel(
        self,
        request_iterator: Iterator[p4runtime_pb2.StreamMessageRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[p4runtime_pb2.StreamMessageResponse]:
        client = StreamClient(peer=context.peer())
        failure: list[P4RuntimeError] = []
        with self._streams_lock:
            self._streams.add(client)
        if self._closed.is_set():
            client.outbox.put(None)

        def reader() -> None:
            try:
                for req in request_iterator:
                    self._on_stream_request(client, req)
            except P4RuntimeError as e:
                failure.append(e)
            except Exception:  # the client went away mid-read
                pass
            finally:
                client.outbox.put(None)

        context.add_callback(lambda: client.outbox.put(None))
        threading.Thread(target=reader, name=f"p4rt-stream {client.peer}", daemon=True).start()
        try:
            while True:
                msg = client.outbox.get()
                if msg is None:
                    break
                yield msg
        finally:
            self.arbitrator.remove(client)
            with self._streams_lock:
                self._streams.discard(client)
        if failure:
            context.abort(failure[0].code, failure[0].message)

    def _on_stream_request(
        self, client: StreamClient, req: p4runtime_pb2.StreamMessageRequest | Malformed
    ) -> None:
        if isinstance(req, Malformed):
            raise P4RuntimeError(grpc.StatusCode.INVALID_ARGUMENT, req.message)
        kind = req.WhichOneof("update")
        if kind == "arbitration":
            self.arbitrator.arbitrate(client, req.arbitration)
            return
        if client.device_id is None:
            raise P4RuntimeError(
                grpc.StatusCode.FAILED_PRECONDITION,
                "the first StreamChannel message must be an arbitration update",
            )
        if kind == "packet":
            try:
                if not self.arbitrator.is_primary(client):
                    raise P4RuntimeError(
                        grpc.StatusCode.PERMISSION_DENIED,
                        "only the primary client may send packets",
                    )
                try:
                    self.device.packet_out(req.packet)
                except P4RuntimeError:
                    raise
                except Exception as exc:  # a fault in the data plane: report, keep the stream
                    log.exception("PacketOut failed")
                    raise P4RuntimeError(
                        grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}: {exc}"
                    ) from None
            except P4RuntimeError as e:
                err = p4runtime_pb2.StreamMessageResponse()
                err.error.canonical_code = _status_code(e.code)
                err.error.message = e.message
                err.error.packet_out.packet_out.CopyFrom(req.packet)
                client.send(err)
        elif kind == "digest_ack":
            self.device.digests.on_ack(req.digest_ack)
        else:
            err = p4runtime_pb2.StreamMessageResponse()
            bad = invalid(f"unsupported stream message {kind!r}")
            err.error.canonical_code = _status_code(bad.code)
            err.error.message = bad.message
            client.send(err)


def _entity(entity: bytes | p4runtime_pb2.Entity) -> p4runtime_pb2.Entity:
    if isinstance(entity, p4runtime_pb2.Entity):
        return entity
    try:
        return p4runtime_pb2.Entity.FromString(entity)
    except DecodeError as e:
        raise invalid(f"malformed Entity: {e}") from None


def _set_batch_error(
    context: grpc.ServicerContext, count: int, failures: dict[int, P4RuntimeError]
) -> None:
    """UNKNOWN with one p4.v1.Error per update (OK for the applied ones) as details."""
    first = failures[min(failures)]
    message = f"{len(failures)} of {count} updates failed; first: {first.message}"
    status = status_pb2.Status(code=code_pb2.UNKNOWN, message=message)
    ok = any_pb2.Any()
    ok.Pack(p4runtime_pb2.Error(canonical_code=code_pb2.OK))
    for i in range(count):
        e = failures.get(i)
        if e is None:
            status.details.append(ok)
            continue
        detail = any_pb2.Any()
        detail.Pack(p4runtime_pb2.Error(canonical_code=_status_code(e.code), message=e.message))
        status.details.append(detail)
    context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
    context.set_code(grpc.StatusCode.UNKNOWN)
    context.set_details(message)


@dataclass(frozen=True)
class Malformed:
    """A request protobuf could not parse; the handler answers INVALID_ARGUMENT."""

    message: str


def _lenient(parse: Callable[[bytes], object], what: str) -> Callable[[bytes], object]:
    def deserialize(data: bytes) -> object:
        try:
            return parse(data)
        except DecodeError as e:
            return Malformed(f"malformed {what}: {e}")

    return deserialize


def _refuse_malformed(fn: Callable[[Any, grpc.ServicerContext], R]) -> Callable[..., R]:
    def handler(request: object, context: grpc.ServicerContext) -> R:
        if isinstance(request, Malformed):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.message)
        return fn(request, context)

    return handler


def _refuse_malformed_stream(
    fn: Callable[[Any, grpc.ServicerContext], Iterator[R]],
) -> Callable[..., Iterator[R]]:
    def handler(request: object, context: grpc.ServicerContext) -> Iterator[R]:
        if isinstance(request, Malformed):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.message)
        yield from fn(request, context)

    return handler


def handlers(service: P4RuntimeService) -> grpc.GenericRpcHandler:
    """The service's RPC handlers, as the generated stubs define them except that
    Write requests are read by :func:`~inalab.switch.p4runtime.wire.read_write_request`
    and a request protobuf cannot parse is INVALID_ARGUMENT (not gRPC's INTERNAL)."""
    pb = p4runtime_pb2

    def unary(fn: Callable[..., Any], req: Any, resp: Any) -> grpc.RpcMethodHandler:
        return grpc.unary_unary_rpc_method_handler(
            _refuse_malformed(fn),
            request_deserializer=_lenient(req.FromString, req.DESCRIPTOR.name),
            response_serializer=resp.SerializeToString,
        )

    methods = {
        "Write": grpc.unary_unary_rpc_method_handler(
            _refuse_malformed(service.Write),
            request_deserializer=_lenient(read_write_request, "WriteRequest"),
            response_serializer=pb.WriteResponse.SerializeToString,
        ),
        "Read": grpc.unary_stream_rpc_method_handler(
            _refuse_malformed_stream(service.Read),
            request_deserializer=_lenient(pb.ReadRequest.FromString, "ReadRequest"),
            response_serializer=pb.ReadResponse.SerializeToString,
        ),
        "SetForwardingPipelineConfig": unary(
            service.SetForwardingPipelineConfig,
            pb.SetForwardingPipelineConfigRequest,
            pb.SetForwardingPipelineConfigResponse,
        ),
        "GetForwardingPipelineConfig": unary(
            service.GetForwardingPipelineConfig,
            pb.GetForwardingPipelineConfigRequest,
            pb.GetForwardingPipelineConfigResponse,
        ),
        "StreamChannel": grpc.stream_stream_rpc_method_handler(
            service.StreamChannel,
            request_deserializer=_lenient(
                pb.StreamMessageRequest.FromString, "StreamMessageRequest"
            ),
            response_serializer=pb.StreamMessageResponse.SerializeToString,
        ),
        "Capabilities": unary(
            service.Capabilities, pb.CapabilitiesRequest, pb.CapabilitiesResponse
        ),
    }
    return grpc.method_handlers_generic_handler("p4.v1.P4Runtime", methods)
