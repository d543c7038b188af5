"""Start and stop the P4Runtime gRPC server of a switch.

server = start_server(switch, "0.0.0.0:9559", device_id=0, cpu_port=510,
                      request_log="logs/s1-p4runtime-requests.txt")
server.port            # the bound port ("127.0.0.1:0" picks a free one)
server.wait_for_termination()
server.stop()
"""

from __future__ import annotations

import os
from concurrent import futures

import grpc

from inalab.switch.control import SwitchControl
from inalab.switch.p4runtime.errors import ServerStartError
from inalab.switch.p4runtime.request_log import RequestLog
from inalab.switch.p4runtime.service import P4RuntimeService, handlers

MAX_WORKERS = 32
MAX_MESSAGE_BYTES = 256 * 1024 * 1024


class P4RuntimeServer:
    """A running server; ``port`` is the port actually bound."""

    def __init__(
        self,
        server: grpc.Server,
        service: P4RuntimeService,
        port: int,
        cpu_port: int | None,
        request_log: RequestLog | None,
    ) -> None:
        self._server = server
        self.service = service
        self.port = port
        self.cpu_port = cpu_port
        self._request_log = request_log

    def stop(self, grace: float | None = None) -> None:
        self.service.close()
        self._server.stop(grace).wait()
        if self._request_log is not None:
            self._request_log.close()

    def wait_for_termination(self, timeout: float | None = None) -> bool:
        """Block until the server stops (or ``timeout`` s pass); True if it stopped."""
        timed_out = self._server.wait_for_termination(timeout)
        return not timed_out


def start_server(
    switch: SwitchControl,
    address: str,
    *,
    device_id: int = 0,
    cpu_port: int | None = None,
    request_log: str | os.PathLike[str] | None = None,
) -> P4RuntimeServer:
    """Serve P4Runtime for ``switch`` on ``address`` ("host:port"); raises ServerStartError."""
    if ":" not in address:
        raise ServerStartError(f"gRPC address {address!r} must be host:port")
    log = RequestLog(request_log) if request_log else None
    service = P4RuntimeService(switch, device_id, log)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="p4rt"),
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
    )
    server.add_generic_rpc_handlers((handlers(service),))
    try:
        port = server.add_insecure_port(address)
    except RuntimeError as e:
        port = 0
        reason = str(e)
    else:
        reason = "address in use or invalid"
    if not port:
        service.close()
        if log is not None:
            log.close()
        raise ServerStartError(f"cannot serve P4Runtime on {address}: {reason}")
    server.start()
    return P4RuntimeServer(server, service, port, cpu_port, log)
