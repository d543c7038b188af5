"""One P4Runtime client connection to one switch: channel, StreamChannel with
primary arbitration, pipeline push, batched writes with per-update errors, reads.

It speaks only the public P4Runtime 1.4 protocol, so it drives real
``simple_switch_grpc`` exactly as it drives ``inalab-switch``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence

import grpc
from google.rpc import code_pb2, status_pb2
from p4.config.v1 import p4info_pb2
from p4.v1 import p4runtime_pb2, p4runtime_pb2_grpc
from p4.v1.p4runtime_pb2 import (
    Entity,
    Update,
)

from inalab.controller.errors import SwitchError, WriteError

MAX_BATCH = 500  # updates per Write RPC
_STOP = object()


class SwitchConnection:
    """A primary client of one device. ``describe`` names an entity in error messages."""

    def __init__(
        self,
        name: str,
        address: str,
        device_id: int,
        election_id: tuple[int, int] = (0, 1),
        timeout: float = 10.0,
        describe: Callable[[Entity], str] | None = None,
    ) -> None:
        self.name = name
        self.address = address
        self.device_id = device_id
        self.election_id = election_id
        self.timeout = timeout
        self.describe = describe or (lambda e: e.WhichOneof("entity") or "entity")
        self._channel: grpc.Channel | None = None
        self._stub: p4runtime_pb2_grpc.P4RuntimeStub | None = None
        self._requests: queue.Queue[object] = queue.Queue()
        self._primary = threading.Event()
        self._ended = threading.Event()
        self._arbitration_error = ""
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def connect(self) -> None:
        """Open the channel and the stream, become primary (or raise SwitchError)."""
        self.close()
        self._channel = grpc.insecure_channel(self.address)
        try:
            grpc.channel_ready_future(self._channel).result(timeout=self.timeout)
        except grpc.FutureTimeoutError:
            self.close()
            raise SwitchError(self.name, f"no P4Runtime server at {self.address}") from None
        self._stub = p4runtime_pb2_grpc.P4RuntimeStub(self._channel)
        self._requests = queue.Queue()
        self._primary.clear()
        self._ended.clear()
        self._arbitration_error = ""
        req = p4runtime_pb2.StreamMessageRequest()
        arb = req.arbitration
        arb.device_id = self.device_id
        arb.election_id.high, arb.election_id.low = self.election_id
        self._requests.put(req)
        stream = self._stub.StreamChannel(self._request_iter())
        self._thread = threading.Thread(
            target=self._read_stream, args=(stream,), name=f"p4rt-{self.name}", daemon=True
        )
        self._thread.start()
        if not self._primary.wait(self.timeout):
            why = self._arbitration_error or "no arbitration answer"
            self.close()
            raise SwitchError(self.name, f"not primary at {self.address}: {why}")

    def _request_iter(self) -> Iterator[p4runtime_pb2.StreamMessageRequest]:
        while True:
            item = self._requests.get()
            if item is _STOP:
                return
            yield item

    def _read_stream(self, stream: Iterator[p4runtime_pb2.StreamMessageResponse]) -> None:
        try:
            for msg in stream:
                if msg.WhichOneof("update") == "arbitration":
                    if msg.arbitration.status.code == code_pb2.OK:
                        self._primary.set()
                    else:
                        self._primary.clear()
                        self._arbitration_error = msg.arbitration.status.message or "backup"
        except grpc.RpcError as e:
            self._arbitration_error = f"{e.code().name}: {e.details()}"
        finally:
            self._primary.clear()
            self._ended.set()

    @property
    def is_primary(self) -> bool:
        return self._primary.is_set() and not self._ended.is_set()

    def close(self) -> None:
        self._requests.put(_STOP)
        if self._channel is not None:
            self._channel.close()
        if self._thread is not None:
            self._thread.join(2.0)
        self._channel = self._stub = self._thread = None
        self._primary.clear()

    def __enter__(self) -> SwitchConnection:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rpc(self) -> p4runtime_pb2_grpc.P4RuntimeStub:
        if self._stub is None:
            raise SwitchError(self.name, "not connected")
        return self._stub

    def _fail(self, what: str, e: grpc.RpcError) -> SwitchError:
        return SwitchError(self.name, f"{what} failed: {e.code().name}: {e.details()}")

    # ------------------------------------------------------------------ pipeline
    def set_pipeline(self, p4info: p4info_pb2.P4Info, device_config: bytes, cookie: int) -> None:
        req = p4runtime_pb2.SetForwardingPipelineConfigRequest()
        req.device_id = self.device_id
        req.election_id.high, req.election_id.low = self.election_id
        req.action = p4runtime_pb2.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT
        req.config.p4info.CopyFrom(p4info)
        req.config.p4_device_config = device_config
        req.config.cookie.cookie = cookie
        try:
            self._rpc().SetForwardingPipelineConfig(req, timeout=60)
        except grpc.RpcError as e:
            raise self._fail("pipeline push", e) from None

    def pipeline_cookie(self) -> int | None:
        """The cookie of the installed pipeline, None when there is none."""
        req = p4runtime_pb2.GetForwardingPipelineConfigRequest()
        req.device_id = self.device_id
        req.response_type = p4runtime_pb2.GetForwardingPipelineConfigRequest.COOKIE_ONLY
        try:
            resp = self._rpc().GetForwardingPipelineConfig(req, timeout=self.timeout)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.FAILED_PRECONDITION:
                return None
            raise self._fail("pipeline query", e) from None
        return int(resp.config.cookie.cookie) if resp.config.HasField("cookie") else 0

    # ------------------------------------------------------------------ write / read
    def write(self, updates: Sequence[Update]) -> None:
        """Apply updates in batches; raises WriteError naming every refused entry
        (the others of the batch are applied: CONTINUE_ON_ERROR)."""
        failures: list[tuple[str, str]] = []
        for start in range(0, len(updates), MAX_BATCH):
            batch = updates[start : start + MAX_BATCH]
            req = p4runtime_pb2.WriteRequest()
            req.device_id = self.device_id
            req.election_id.high, req.election_id.low = self.election_id
            req.updates.extend(batch)
            try:
                self._rpc().Write(req, timeout=self.timeout * 3)
            except grpc.RpcError as e:
                failures += self._write_failures(batch, e)
        if failures:
            raise WriteError(self.name, failures)

    def _write_failures(self, batch: Sequence[Update], e: grpc.RpcError) -> list[tuple[str, str]]:
        details: list[p4runtime_pb2.Error] = []
        for key, value in e.trailing_metadata() or ():
            if key == "grpc-status-details-bin":
                status = status_pb2.Status()
                status.ParseFromString(value)
                for any_msg in status.details:
                    err = p4runtime_pb2.Error()
                    any_msg.Unpack(err)
                    details.append(err)
        if len(details) != len(batch):
            return [(f"{len(batch)} update(s)", f"{e.code().name}: {e.details()}")]
        out = []
        for upd, err in zip(batch, details, strict=True):
            if err.canonical_code != code_pb2.OK:
                kind = p4runtime_pb2.Update.Type.Name(upd.type)
                code = code_pb2.Code.Name(err.canonical_code)
                out.append((f"{kind} {self.describe(upd.entity)}", f"{code}: {err.message}"))
        return out

    def read(self, entities: Sequence[Entity]) -> Iterator[Entity]:
        req = p4runtime_pb2.ReadRequest()
        req.device_id = self.device_id
        req.entities.extend(entities)
        try:
            for resp in self._rpc().Read(req, timeout=self.timeout * 3):
                yield from resp.entities
        except grpc.RpcError as e:
            raise self._fail("read", e) from None
