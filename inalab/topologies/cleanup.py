"""``inalab-clean``: remove what crashed runs left behind, as ``mn -c`` does.

By default it cleans exactly the *leftover runs* (:mod:`inalab.topologies.runs`:
records whose owner process is gone): their switch processes, host shells
(which hold the hosts' network namespaces) and root-namespace interfaces,
plus orphaned switch processes (``inalab-switch``, ``simple_switch``,
``simple_switch_grpc`` whose parent is gone). Networks that are still running
are left alone. ``--all`` also stops every switch process and runs Mininet's
own ``mn -c`` (which removes every Mininet interface and namespace on the
machine, other users' included).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from inalab.topologies.errors import EnvironmentProblem, TopologiesError
from inalab.topologies.runs import RunProcess, RunRecord, all_runs, pid_alive, process_argv

SWITCH_NAMES = ("inalab-switch", "simple_switch", "simple_switch_grpc")
KILL_WAIT_S = 3.0


@dataclass
class CleanReport:
    killed: list[str] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def merge(self, other: CleanReport) -> None:
        self.killed += other.killed
        self.interfaces += other.interfaces
        self.records += other.records
        self.notes += other.notes

    def lines(self) -> list[str]:
        out = [f"killed {k}" for k in self.killed]
        out += [f"deleted interface {i}" for i in self.interfaces]
        out += [f"removed run record {r}" for r in self.records]
        return out + self.notes


def require_root(what: str) -> None:
    if os.geteuid() != 0:
        raise EnvironmentProblem(f"{what} needs root (network namespaces, interfaces): use sudo")


def interface_exists(name: str) -> bool:
    return Path(f"/sys/class/net/{name}").exists()


def _running(pid: int) -> bool:
    """Alive and not a zombie (a zombie child of ours is as good as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return pid_alive(pid)
    return state not in ("Z", "X")


def kill_pids(pids: Sequence[int]) -> list[int]:
    """SIGTERM, wait a little, SIGKILL what is left. Returns the pids signalled."""
    signalled = []
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
            signalled.append(pid)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + KILL_WAIT_S
    while time.monotonic() < deadline and any(_running(p) for p in signalled):
        time.sleep(0.05)
    for pid in signalled:
        if _running(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    return signalled


def delete_interfaces(names: Sequence[str]) -> list[str]:
    deleted = []
    for name in names:
        if interface_exists(name):
            subprocess.run(["ip", "link", "del", name], capture_output=True, check=False)
            if not interface_exists(name):
                deleted.append(name)
    return deleted


def clean_run(record: RunRecord, dry_run: bool = False) -> CleanReport:
    """Stop a run's processes, delete its interfaces, drop its record."""
    report = CleanReport()
    live: list[RunProcess] = [p for p in record.processes if p.matches()]
    if not dry_run:
        kill_pids([p.pid for p in live])
    report.killed += [f"{p.role} (pid {p.pid})" for p in live]
    present = [i for i in record.interfaces if interface_exists(i)]
    report.interfaces += present if dry_run else delete_interfaces(present)
    if not dry_run:
        for f in record.files:
            Path(f).unlink(missing_ok=True)
        record.remove()
    report.records.append(f"{record.topology} (owner pid {record.owner_pid})")
    return report


def switch_processes() -> list[tuple[int, int, list[str]]]:
    """(pid, parent pid, argv) of every switch process on the machine."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        argv = process_argv(int(entry.name))
        if not argv:
            continue
        names = [Path(a).name for a in argv[:2]]
        if any(n in SWITCH_NAMES for n in names):
            try:
                stat = (entry / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            found.append((int(entry.name), ppid, argv))
    return found


def clean(everything: bool = False, dry_run: bool = False) -> CleanReport:
    """Clean leftover runs and orphaned switches (``everything``: as ``mn -c`` too)."""
    require_root("inalab-clean")
    report = CleanReport()
    live_runs = []
    handled: set[int] = set()  # pids a record accounts for
    for record in all_runs():
        handled |= {p.pid for p in record.processes}
        if record.leftover:
            report.merge(clean_run(record, dry_run))
        else:
            live_runs.append(record)
    strays = [
        (pid, argv)
        for pid, ppid, argv in switch_processes()
        if pid != os.getpid() and pid not in handled and (everything or ppid == 1)
    ]
    if strays and not dry_run:
        kill_pids([pid for pid, _ in strays])
    report.killed += [
        f"{Path(argv[0]).name} (pid {pid}): {' '.join(argv)[:80]}" for pid, argv in strays
    ]
    if everything:
        for record in live_runs:
            report.merge(clean_run(record, dry_run))
        mn = shutil.which("mn")
        if mn is None:
            report.notes.append("mn not found: Mininet's own clean-up skipped")
        elif not dry_run:
            subprocess.run([mn, "-c"], capture_output=True, check=False)
            report.notes.append("ran mn -c")
    elif live_runs:
        report.notes += [
            f"left running: {r.topology} (owner pid {r.owner_pid}); --all stops it too"
            for r in live_runs
        ]
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="inalab-clean",
        description="Remove switch processes, host namespaces and interfaces left by crashed "
        "inalab networks (like mn -c).",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="also stop running inalab networks, every switch process, and run mn -c",
    )
    parser.add_argument("-n", "--dry-run", action="store_true", help="only say what would go")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        report = clean(everything=args.all, dry_run=args.dry_run)
    except TopologiesError as e:
        print(f"inalab-clean: error: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        lines = report.lines() or ["nothing to clean"]
        prefix = "would have: " if args.dry_run else ""
        for line in lines:
            print(prefix + line)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
