"""Client side of the controller's HTTP API, for scenario scripts and workers, and
:class:`ManagedWorker`: an ``inalab.hosts`` worker that fetches its job
configuration from the controller and follows region moves (announce / drain /
switch) between rounds."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import numpy.typing as npt

from inalab.controller.errors import AdmissionError, ControllerError, JobError
from inalab.controller.requests import JobRequest
from inalab.hosts.config import JobConfig
from inalab.hosts.errors import ConfigError as HostConfigError
from inalab.hosts.transport import Transport
from inalab.hosts.worker import Worker


class ControllerClient:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: object = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
            try:
                return json.loads(raw)
            except ValueError:
                raise self._stranger(path, "its reply is not JSON") from None
        except urllib.error.HTTPError as e:
            try:
                reply = json.loads(e.read())
            except ValueError:
                reply = None
            if not isinstance(reply, dict) or not isinstance(reply.get("error"), str):
                # the controller answers every error with {"error": "..."}
                raise self._stranger(path, f"HTTP {e.code} {e.reason}") from None
            msg = reply["error"]
            if e.code == 409 and "refused" in msg:
                raise AdmissionError(msg) from None
            if e.code in (400, 404, 409):
                raise JobError(msg) from None
            raise ControllerError(f"controller {self.url}: {e.code} {msg}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise ControllerError(f"controller {self.url} unreachable: {reason}") from None

    def _stranger(self, path: str, what: str) -> ControllerError:
        return ControllerError(
            f"{self.url}{path}: {what}: this does not look like an inalab controller "
            "(is that the controller's URL?)"
        )

    def _shaped(self, path: str, reply: Any, kind: type[Any], keys: tuple[str, ...] = ()) -> Any:
        if not isinstance(reply, kind) or any(k not in reply for k in keys):
            raise self._stranger(path, f"unexpected reply {json.dumps(reply)[:80]}")
        return reply

    def register(self, request: JobRequest | dict[str, Any]) -> dict[str, Any]:
        body = request.to_dict() if isinstance(request, JobRequest) else request
        result: dict[str, Any] = self._call("POST", "/jobs", body)
        return result

    def jobs(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._shaped("/jobs", self._call("GET", "/jobs"), list)
        return result

    def job(self, job_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/jobs/{job_id}")
        return result

    def config(
        self, job_id: int, rank: int | None = None, host: str | None = None
    ) -> dict[str, Any]:
        q = [f"rank={rank}"] if rank is not None else []
        q += [f"host={host}"] if host is not None else []
        result: dict[str, Any] = self._call("GET", f"/jobs/{job_id}/config?{'&'.join(q)}")
        return result

    def heartbeat(
        self,
        job_id: int,
        rank: int | None = None,
        drained: int | None = None,
        round: int | None = None,
    ) -> dict[str, Any]:
        pairs = (("rank", rank), ("drained", drained), ("round", round))
        body = {k: v for k, v in pairs if v is not None}
        result: dict[str, Any] = self._call("POST", f"/jobs/{job_id}/heartbeat", body)
        return result

    def finish(self, job_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/jobs/{job_id}/finish", {})
        return result

    def status(self) -> dict[str, Any]:
        keys = ("policy", "memory_in_use", "capacity", "jobs", "switches")
        result: dict[str, Any] = self._shaped("/status", self._call("GET", "/status"), dict, keys)
        return result


class ManagedWorker:
    """Rank ``rank`` of job ``job_id``, configured by the controller.

    Before every round it heartbeats with the round number; ``drain`` / ``wait``
    -> it asks again shortly; ``run`` with a new epoch -> it rebuilds its worker
    from the new configuration first. ``transport`` builds the
    worker's transport from its config (None: UDP sockets, as ``inalab-worker``)."""

    def __init__(
        self,
        client: ControllerClient,
        job_id: int,
        rank: int,
        transport: Callable[[JobConfig], Transport] | None = None,
        *,
        poll: float = 0.02,
        wait_timeout: float = 30.0,
    ) -> None:
        self.client, self.job_id, self.rank = client, job_id, rank
        self.transport = transport
        self.poll, self.wait_timeout = poll, wait_timeout
        self.worker: Worker | None = None
        self.epoch = -1
        self.config: JobConfig | None = None
        self.moves = 0
        self.rounds = 0  # rounds completed = the round about to start

    def _load(self) -> None:
        reply = self.client.config(self.job_id, self.rank)
        try:
            cfg = JobConfig.from_dict(reply["config"])
        except HostConfigError as e:
            raise JobError(f"job {self.job_id}: controller sent a bad config: {e}") from None
        if self.worker is not None:
            self.worker.close()
            self.moves += 1
        self.config = cfg
        self.epoch = int(reply["epoch"])
        self.worker = Worker(cfg, self.transport(cfg) if self.transport else None)

    def _await_run(self) -> int:
        deadline = time.monotonic() + self.wait_timeout
        hb = self.client.heartbeat(self.job_id, self.rank, round=self.rounds)
        while hb["action"] != "run":
            if time.monotonic() > deadline:
                raise JobError(
                    f"job {self.job_id}: still '{hb['action']}' after {self.wait_timeout} s"
                )
            time.sleep(self.poll)
            hb = self.client.heartbeat(self.job_id, self.rank, round=self.rounds)
        return int(hb["epoch"])

    def allreduce(self, array: npt.NDArray, importance: int | None = None) -> npt.NDArray:
        epoch = self._await_run()
        if self.worker is None or epoch != self.epoch:
            self._load()
        assert self.worker is not None
        out = self.worker.allreduce(array, importance)
        self.rounds += 1
        return out

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def __enter__(self) -> ManagedWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
