"""Fixtures of the P4Runtime tests: a real switch core serving P4Runtime on a
free port (``rig``), a raw stub to it (``stub``), a StreamChannel holding
election id 1 (``primary``) and the test program pushed by it (``loaded``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from google.rpc import code_pb2
from p4.v1 import p4runtime_pb2_grpc

from inalab.switch.core import Switch
from inalab.switch.p4runtime.server import P4RuntimeServer, start_server

from .program import CPU_PORT, write_files
from .raw import DEVICE, Req, config, set_pipeline
from .streams import Stream


@dataclass
class Wire:
    """Frames the switch transmitted, as (port, bytes), with a way to wait for them."""

    frames: list[tuple[int, bytes]] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, port: int, data: bytes) -> None:
        with self.cond:
            self.frames.append((port, data))
            self.cond.notify_all()

    def wait(self, count: int, timeout: float = 3.0) -> list[tuple[int, bytes]]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.frames) >= count, timeout)
            return list(self.frames)


@dataclass
class Rig:
    switch: Switch
    server: P4RuntimeServer
    wire: Wire
    p4info_path: Path
    json_path: Path

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.server.port}"


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    switch = Switch(cpu_port=CPU_PORT)
    wire = Wire()
    switch.set_transmit_handler(wire)
    switch.start()
    server = start_server(
        switch, "127.0.0.1:0", device_id=1, cpu_port=CPU_PORT, request_log=tmp_path / "req.txt"
    )
    info, js = write_files(tmp_path)
    try:
        yield Rig(switch, server, wire, info, js)
    finally:
        server.stop(grace=0)
        switch.stop()


@pytest.fixture
def stub(rig: Rig) -> Iterator[p4runtime_pb2_grpc.P4RuntimeStub]:
    channel = grpc.insecure_channel(rig.addr)
    try:
        yield p4runtime_pb2_grpc.P4RuntimeStub(channel)
    finally:
        channel.close()


@pytest.fixture
def primary(stub: p4runtime_pb2_grpc.P4RuntimeStub) -> Iterator[Stream]:
    s = Stream(stub)
    s.arbitrate(DEVICE, 1)
    assert s.next_msg().arbitration.status.code == code_pb2.OK
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def loaded(
    stub: p4runtime_pb2_grpc.P4RuntimeStub, primary: Stream
) -> p4runtime_pb2_grpc.P4RuntimeStub:
    set_pipeline(stub, Req.VERIFY_AND_COMMIT, config())
    return stub
