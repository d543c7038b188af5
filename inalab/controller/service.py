"""The controller as a service: an HTTP+JSON API for workers and scenario scripts
on loopback or the management network, and a background loop that keeps the
switches connected, reclaims jobs and samples telemetry.

    POST   /jobs                       register (body: JobRequest)      -> 201 job
    GET    /jobs                       every job
    GET    /jobs/<id>                  one job
    GET    /jobs/<id>/config?rank=R    (or ?host=NAME) the worker's JobConfig + epoch
    POST   /jobs/<id>/heartbeat        {"rank": R, "round": N}          -> action, epoch
    POST   /jobs/<id>/finish           (or DELETE /jobs/<id>)
    GET    /status                     telemetry per switch and job

Errors: 400 bad request, 404 unknown job, 409 refused (duplicate, no memory),
502 a switch refused; body ``{"error": "..."}``.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from inalab.controller.errors import (
    AdmissionError,
    ConfigError,
    ControllerError,
    JobError,
    SwitchError,
)
from inalab.controller.jobs import JobManager
from inalab.controller.requests import JobRequest
from inalab.controller.telemetry import Telemetry


def _status_of(e: ControllerError) -> HTTPStatus:
    if isinstance(e, AdmissionError):
        return HTTPStatus.CONFLICT
    if isinstance(e, JobError):
        msg = str(e)
        if msg.startswith("no job"):
            return HTTPStatus.NOT_FOUND
        if "already registered" in msg:
            return HTTPStatus.CONFLICT
        return HTTPStatus.BAD_REQUEST
    if isinstance(e, SwitchError):
        return HTTPStatus.BAD_GATEWAY
    return HTTPStatus.BAD_REQUEST


class ControllerService:
    """The manager behind an HTTP server, plus the periodic loop."""

    def __init__(
        self,
        manager: JobManager,
        listen: tuple[str, int] = ("127.0.0.1", 0),
        *,
        tick: float = 0.2,
        telemetry_file: str | Path | None = None,
        telemetry_interval: float = 1.0,
    ) -> None:
        self.manager = manager
        self.telemetry = Telemetry(manager)
        self.tick_seconds = tick
        self.telemetry_file = Path(telemetry_file) if telemetry_file else None
        self.telemetry_interval = telemetry_interval
        self.switch_errors: dict[str, str] = {}
        self._stop = threading.Event()
        handler = type("Handler", (_Handler,), {"service": self})
        try:
            self.httpd = ThreadingHTTPServer(listen, handler)
        except OSError as e:
            raise ConfigError(f"cannot listen on {listen[0]}:{listen[1]}: {e.strerror}") from None
        self.httpd.daemon_threads = True
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ControllerService:
        for target, name in ((self.httpd.serve_forever, "ctl-http"), (self._loop, "ctl-loop")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def _loop(self) -> None:
        next_sample = 0.0
        while not self._stop.wait(self.tick_seconds):
            try:
                self.switch_errors = self.manager.fabric.ensure_connected()
                self.manager.tick()
                if self.telemetry_file is not None:
                    now = self.manager.clock()
                    if now >= next_sample:
                        next_sample = now + self.telemetry_interval
                        self.telemetry.append(self.telemetry_file)
            except ControllerError as e:  # a switch went away mid-tick: next tick retries
                self.switch_errors["_loop"] = str(e)

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for t in self._threads:
            t.join(5)
        self.manager.fabric.close()

    def serve_forever(self) -> None:
        self.start()
        try:
            while not self._stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()


class _Handler(BaseHTTPRequestHandler):
    service: ControllerService
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: HTTPStatus, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b"{}"
        try:
            return json.loads(raw or b"{}")
        except ValueError as e:
            raise JobError(f"request body is not JSON: {e}") from None

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        m = self.service.manager
        try:
            status, body = self._route(method, parts, query, m)
        except ControllerError as e:
            status, body = _status_of(e), {"error": str(e)}
        except Exception as e:  # never a traceback to the client
            status, body = HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"internal error: {e!r}"}
        self._send(status, body)

    def _route(
        self, method: str, parts: list[str], query: dict[str, str], m: JobManager
    ) -> tuple[HTTPStatus, object]:
        ok = HTTPStatus.OK
        if parts == ["status"] and method == "GET":
            return ok, self.service.telemetry.snapshot() | {
                "switch_errors": self.service.switch_errors
            }
        if parts == ["jobs"]:
            if method == "GET":
                return ok, m.status()
            if method == "POST":
                return HTTPStatus.CREATED, m.register(JobRequest.from_dict(self._body()))
        if len(parts) >= 2 and parts[0] == "jobs":
            try:
                job_id = int(parts[1])
            except ValueError:
                raise JobError(f"job id {parts[1]!r} is not a number") from None
            rest = parts[2:]
            if rest == [] and method == "GET":
                for job in m.status():
                    if job["job_id"] == job_id:
                        return ok, job
                raise JobError(f"no job {job_id} (never registered, finished or reclaimed)")
            if (rest == [] and method == "DELETE") or (rest == ["finish"] and method == "POST"):
                return ok, m.finish(job_id)
            if rest == ["config"] and method == "GET":
                rank = _int_arg(query, "rank")
                return ok, m.member_config(job_id, rank, query.get("host"))
            if rest == ["heartbeat"] and method == "POST":
                body = self._body()
                if not isinstance(body, dict):
                    raise JobError("heartbeat body must be a JSON object")
                args = {k: body.get(k) for k in ("rank", "drained", "round")}
                for name, v in args.items():
                    if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
                        raise JobError(f"heartbeat {name} must be an integer")
                return ok, m.heartbeat(job_id, args["rank"], args["drained"], args["round"])
        raise JobError(f"no such endpoint: {method} /{'/'.join(parts)}")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")


def _int_arg(query: dict[str, str], name: str) -> int | None:
    if name not in query:
        return None
    try:
        return int(query[name])
    except ValueError:
        raise JobError(f"{name}={query[name]!r} is not a number") from None
