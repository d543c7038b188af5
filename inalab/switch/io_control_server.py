"""The runtime-control channel: line-based TCP on loopback (default 127.0.0.1:9090,
bmv2's thrift port; ``--thrift-port`` / ``--runtime-addr`` choose another).

Protocol: the client sends one command per line (UTF-8, simple_switch_CLI
syntax); the server answers each with one JSON line,
``{"ok": true, "output": "..."}`` or ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import json
import logging
import socketserver
import threading
from typing import TYPE_CHECKING

from inalab.switch.io_control_commands import run_command
from inalab.switch.io_errors import RuntimeCommandError

if TYPE_CHECKING:
    from inalab.switch.io_process import SwitchProcess

log = logging.getLogger("inalab.switch.runtime")
MAX_LINE = 1 << 16


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        try:
            self._serve()
        except OSError as exc:  # the client went away mid-command (reset, broken pipe)
            log.debug("runtime client %s: %s", self.client_address, exc)

    def _serve(self) -> None:
        while True:
            raw = self.rfile.readline(MAX_LINE + 1)
            if not raw:
                return
            if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                self._skip_line()
                self._reply({"ok": False, "error": f"command longer than {MAX_LINE} bytes"})
                continue
            try:
                line = raw.decode("utf-8").strip()
                with self.server.lock:
                    reply = {"ok": True, "output": run_command(self.server.process, line)}
            except UnicodeDecodeError:
                reply = {"ok": False, "error": "command is not UTF-8"}
            except RuntimeCommandError as exc:
                reply = {"ok": False, "error": str(exc)}
            except Exception as exc:  # an unexpected fault must not kill the channel
                log.exception("runtime command failed: %r", raw[:200])
                reply = {"ok": False, "error": f"internal error: {type(exc).__name__}: {exc}"}
            self._reply(reply)

    def _skip_line(self) -> None:
        """Discard the rest of an over-long line."""
        while True:
            rest = self.rfile.readline(MAX_LINE)
            if not rest or rest.endswith(b"\n"):
                return

    def _reply(self, reply: dict[str, object]) -> None:
        self.wfile.write(json.dumps(reply).encode() + b"\n")
        self.wfile.flush()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, process: SwitchProcess, addr: tuple[str, int]) -> None:
        self.process = process
        self.lock = threading.Lock()
        super().__init__(addr, _Handler)


class ControlServer:
    """Serves :func:`run_command` for one switch process in a background thread."""

    def __init__(self, process: SwitchProcess, addr: tuple[str, int]) -> None:
        self._server = _Server(process, addr)
        host, port = self._server.server_address[:2]
        self.address: tuple[str, int] = (str(host), int(port))
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            daemon=True,
            name="inalab-runtime",
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)
