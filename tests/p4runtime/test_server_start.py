"""start_server's contract with inalab-switch: bound port, clear start errors, stop."""

from __future__ import annotations

import grpc
import pytest
from p4.v1 import p4runtime_pb2, p4runtime_pb2_grpc

from inalab.switch.core import Switch
from inalab.switch.p4runtime.errors import ServerStartError
from inalab.switch.p4runtime.server import start_server

pytestmark = pytest.mark.integration


def test_port_zero_binds_a_free_port_and_stop_ends_serving() -> None:
    server = start_server(Switch(), "127.0.0.1:0")
    assert server.port > 0
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    stub = p4runtime_pb2_grpc.P4RuntimeStub(channel)
    assert stub.Capabilities(p4runtime_pb2.CapabilitiesRequest()).p4runtime_api_version == "1.4.1"
    server.stop(grace=0)
    assert server.wait_for_termination(timeout=1)
    with pytest.raises(grpc.RpcError) as info:
        stub.Capabilities(p4runtime_pb2.CapabilitiesRequest(), timeout=1)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    channel.close()


def test_address_in_use_and_malformed_addresses_are_clear_errors() -> None:
    first = start_server(Switch(), "127.0.0.1:0")
    try:
        with pytest.raises(ServerStartError, match=f"127.0.0.1:{first.port}"):
            start_server(Switch(), f"127.0.0.1:{first.port}")
        with pytest.raises(ServerStartError, match="host:port"):
            start_server(Switch(), "nonsense")
        assert issubclass(ServerStartError, RuntimeError)  # what inalab-switch catches
    finally:
        first.stop(grace=0)
