"""A raw StreamChannel client for the error-path tests: arbitration, packets, digests."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import grpc
from p4.v1 import p4runtime_pb2, p4runtime_pb2_grpc


class Stream:
    def __init__(self, stub: p4runtime_pb2_grpc.P4RuntimeStub) -> None:
        self._out: queue.Queue[p4runtime_pb2.StreamMessageRequest | None] = queue.Queue()
        self.inbox: queue.Queue[p4runtime_pb2.StreamMessageResponse | grpc.RpcError | None] = (
            queue.Queue()
        )
        self._call = stub.StreamChannel(self._requests())
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _requests(self) -> Iterator[p4runtime_pb2.StreamMessageRequest]:
        while (msg := self._out.get()) is not None:
            yield msg

    def _receive(self) -> None:
        try:
            for msg in self._call:
                self.inbox.put(msg)
        except grpc.RpcError as e:
            self.inbox.put(e)
        self.inbox.put(None)

    def send(self, msg: p4runtime_pb2.StreamMessageRequest) -> None:
        self._out.put(msg)

    def arbitrate(self, device_id: int, election_low: int, role: str = "") -> None:
        req = p4runtime_pb2.StreamMessageRequest()
        req.arbitration.device_id = device_id
        req.arbitration.election_id.low = election_low
        if role:
            req.arbitration.role.name = role
        self.send(req)

    def next(
        self, timeout: float = 3.0
    ) -> p4runtime_pb2.StreamMessageResponse | grpc.RpcError | None:
        return self.inbox.get(timeout=timeout)

    def next_msg(self, timeout: float = 3.0) -> p4runtime_pb2.StreamMessageResponse:
        msg = self.next(timeout)
        assert isinstance(msg, p4runtime_pb2.StreamMessageResponse), msg
        return msg

    def close(self) -> None:
        self._out.put(None)

    def cancel(self) -> None:
        self._call.cancel()
