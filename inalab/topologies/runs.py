"""A record of every running network, so a crash can be cleaned up exactly.

:class:`~inalab.topologies.net.InaNetwork` writes a record
when it starts (the processes it started with their executables, the
interfaces it created in the root namespace) and removes it when it stops.
A record whose owner process is gone is a *leftover run*: ``inalab-clean``
kills its processes and deletes its interfaces, and nothing else, so it
never touches a network another user is running on the same machine.

Records are ``<run dir>/<owner pid>-<run id>.json``; the run directory is
``$INALAB_RUN_DIR``, default ``/run/inalab``.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from inalab.topologies.errors import TopologiesError

RUN_DIR_ENV = "INALAB_RUN_DIR"
DEFAULT_RUN_DIR = "/run/inalab"


def run_dir() -> Path:
    return Path(os.environ.get(RUN_DIR_ENV, DEFAULT_RUN_DIR))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_argv(pid: int) -> list[str] | None:
    """The command line of a live process, None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


@dataclass(frozen=True)
class RunProcess:
    """A process a run started: pid plus the executable it ran (to tell it from
    a later process that reuses the pid)."""

    pid: int
    executable: str
    role: str  # "switch s1", "host h1"

    def matches(self) -> bool:
        argv = process_argv(self.pid)
        return argv is not None and any(
            a == self.executable or Path(a).name == Path(self.executable).name for a in argv[:2]
        )


@dataclass(frozen=True)
class RunRecord:
    owner_pid: int
    topology: str
    started: float
    processes: tuple[RunProcess, ...] = ()
    interfaces: tuple[str, ...] = ()
    ports: tuple[int, ...] = ()
    files: tuple[str, ...] = field(default_factory=tuple)
    run_id: str = ""  # tells apart several networks of one owner process

    @property
    def path(self) -> Path:
        suffix = f"-{self.run_id}" if self.run_id else ""
        return run_dir() / f"{self.owner_pid}{suffix}.json"

    @property
    def leftover(self) -> bool:
        """The owner is gone (or the pid now belongs to a process that is not it)."""
        return not pid_alive(self.owner_pid)

    def save(self) -> None:
        try:
            run_dir().mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(asdict(self), indent=1))
            tmp.replace(self.path)
        except OSError as e:
            raise TopologiesError(
                f"cannot write run record {self.path}: {e.strerror or e}"
            ) from None

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: Path) -> RunRecord | None:
        """A record, or None if the file is unreadable (it is then removed)."""
        try:
            data = json.loads(path.read_text())
            procs = tuple(RunProcess(**p) for p in data.pop("processes", []))
            return cls(
                processes=procs,
                interfaces=tuple(data.pop("interfaces", [])),
                ports=tuple(data.pop("ports", [])),
                files=tuple(data.pop("files", [])),
                **data,
            )
        except (OSError, ValueError, TypeError):
            path.unlink(missing_ok=True)
            return None


_RUN_IDS = itertools.count(1)


def new_record(
    topology: str, interfaces: tuple[str, ...] = (), ports: tuple[int, ...] = ()
) -> RunRecord:
    """A record owned by this process, with a run id of its own."""
    return RunRecord(
        owner_pid=os.getpid(),
        topology=topology,
        started=time.time(),
        interfaces=interfaces,
        ports=ports,
        run_id=str(next(_RUN_IDS)),
    )


def all_runs() -> list[RunRecord]:
    d = run_dir()
    if not d.is_dir():
        return []
    runs = [RunRecord.load(p) for p in sorted(d.glob("*.json"))]
    return [r for r in runs if r is not None]
