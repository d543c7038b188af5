"""``make run``: the default aggregation job end to end, then the Mininet CLI.

Builds (or takes) ``ina.json``, starts the single-rack topology (N workers and
a parameter server around one P4 switch), programs the switch, runs one
allreduce of float32 values through the switch, checks it against numpy and
prints a short table. On a terminal it then opens the ``mininet>`` prompt
with three more commands (``jobs``, ``agg``, ``stats``); otherwise it exits
(0 when the result was correct).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from inalab.scenarios.common import run_guarded
from inalab.scenarios.errors import ScenarioError
from inalab.scenarios.jobs import JobResult, run_job
from inalab.scenarios.results import format_table
from inalab.scenarios.testbed import Testbed
from inalab.scenarios.topos import make_topology, worker_names

PROG = "make run"
COLUMNS = [
    ("job_id", "job"),
    ("via", "via"),
    ("n_workers", "workers"),
    ("values", "values"),
    ("time_s", "time s"),
    ("goodput", "goodput values/s/worker"),
    ("blocks", "blocks"),
    ("exact", "exact"),
    ("partial", "partial"),
    ("missing", "missing"),
    ("retransmissions", "retx"),
    ("check", "vs numpy sum"),
]


def result_row(r: JobResult) -> dict[str, Any]:
    return {
        "job_id": r.job_id,
        "via": "switch (INA)" if r.via == "switch" else "PS",
        "n_workers": r.n_workers,
        "values": r.values,
        "time_s": r.elapsed,
        "goodput": r.goodput,
        "blocks": r.blocks,
        "exact": r.exact,
        "partial": r.partial,
        "missing": r.missing,
        "retransmissions": r.retransmissions,
        "check": "OK" if r.correct else f"WRONG (max error {r.max_error:.3g})",
    }


class Session:
    """The demo's testbed and the jobs run on it (for the CLI commands)."""

    def __init__(self, tb: Testbed, values: int, seed: int) -> None:
        self.tb = tb
        self.values = values
        self.seed = seed
        self.next_job = 1
        self.results: list[JobResult] = []

    def aggregate(self, hosts: Sequence[str], values: int | None = None) -> JobResult:
        """Run an allreduce among ``hosts``: the controller admits a job (switch
        memory, or the PS when there is none left), the workers run, the job
        leaves and its memory is freed."""
        job = self.next_job
        self.next_job += 1
        spec, _ = self.tb.controller_job(
            job, hosts, values or self.values, seed=self.seed + len(self.results)
        )
        try:
            r = run_job(self.tb.net, spec, self.tb.workdir)
        finally:
            self.tb.finish_job(job)
        self.results.append(r)
        return r

    def table(self) -> str:
        return format_table([result_row(r) for r in self.results], COLUMNS)


def _cli(session: Session) -> None:
    from mininet.cli import CLI

    class InaCLI(CLI):
        prompt = "mininet> "

        def do_jobs(self, line: str) -> None:
            """jobs: the aggregation jobs run so far."""
            print(session.table() if session.results else "no jobs yet")

        def do_agg(self, line: str) -> None:
            """agg [HOST...] [-n VALUES]: allreduce among the hosts (default: all workers)."""
            words = line.split()
            values = None
            if "-n" in words:
                i = words.index("-n")
                try:
                    values = int(words[i + 1])
                except (IndexError, ValueError):
                    print("usage: agg [HOST...] [-n VALUES]")
                    return
                del words[i : i + 2]
            hosts = words or list(worker_names(session.tb.topo))
            workers = set(worker_names(session.tb.topo))
            bad = [h for h in hosts if h not in workers]
            if bad or len(set(hosts)) != len(hosts):
                print(f"agg: not worker hosts (or repeated): {' '.join(bad) or ' '.join(hosts)}")
                return
            try:
                r = session.aggregate(hosts, values)
            except ScenarioError as e:
                print(f"agg: {e}")
                return
            print(format_table([result_row(r)], COLUMNS))

        def do_stats(self, line: str) -> None:
            """stats: the switch's aggregation events and drop counters."""
            for s in session.tb.topo.switches:
                prog = session.tb.programmer
                ev = {k: v for k, v in prog.events(s.name).items() if v}
                dr = {k: v for k, v in prog.drops(s.name).items() if v}
                print(f"{s.name} events: {ev or '-'}")
                print(f"{s.name} drops:  {dr or '-'}")

    InaCLI(session.tb.net.net)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m inalab.scenarios.demo",
        description="make run: one allreduce through the P4 switch, then the Mininet CLI",
    )
    p.add_argument("--workers", type=int, default=4, help="workers (default 4)")
    p.add_argument("--values", type=int, default=100_000, help="float32 values (default 1e5)")
    p.add_argument("--program", help="compiled ina.json (default: compile p4src/ina.p4)")
    p.add_argument("--build", default="build")
    p.add_argument("--logs", default="logs")
    p.add_argument("--pcaps", default="pcaps", help="pcap directory ('' for none)")
    p.add_argument("--results", default="results", help="job inputs/outputs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--policy",
        default="first-fit",
        help="controller allocation policy (static, first-fit, fair-share, best-effort)",
    )
    p.add_argument("--prefix", default="", help="prefix node names")
    p.add_argument("--grpc-base", type=int, default=50051)
    p.add_argument("--thrift-base", type=int, default=9090)
    p.add_argument("--cli", choices=("auto", "yes", "no"), default="auto",
                   help="open the mininet> prompt (auto: when stdin is a terminal)")  # fmt: skip
    args = p.parse_args(argv)

    def go() -> int:
        if args.workers < 1 or args.workers > 32:
            raise ScenarioError(f"--workers {args.workers}: 1..32")
        if args.values < 1:
            raise ScenarioError(f"--values {args.values}: must be >= 1")
        program = Path(args.program) if args.program else None
        if program is not None and program.is_dir():
            raise ScenarioError(f"--program {program}: is a directory (give the compiled ina.json)")
        if program is not None and not program.is_file():
            raise ScenarioError(f"--program {program}: no such file (run make build)")
        topo = make_topology(
            "single-rack", workers=args.workers, prefix=args.prefix, grpc_base_port=args.grpc_base
        )
        tb = Testbed(
            topo,
            workdir=Path(args.results) / "demo",
            build_dir=args.build,
            log_dir=args.logs,
            pcap_dir=args.pcaps or None,
            program=program,
            thrift_base_port=args.thrift_base,
            seed=args.seed,
            control="controller",
            policy=args.policy,
        )
        print(f"starting {topo.description} ({tb.kind or 'inalab-switch'}, "
              f"controller policy {args.policy})", flush=True)  # fmt: skip
        with tb:
            session = Session(tb, args.values, args.seed)
            print(f"allreduce: {args.workers} workers x {args.values} float32 values "
                  "through the switch", flush=True)  # fmt: skip
            r = session.aggregate(worker_names(topo))
            print(session.table())
            print(f"logs in {args.logs}/" + (f", pcaps in {args.pcaps}/" if args.pcaps else ""))
            interactive = args.cli == "yes" or (args.cli == "auto" and sys.stdin.isatty())
            if interactive:
                print("extra commands: jobs, agg [HOST...] [-n VALUES], stats; exit to stop")
                _cli(session)
        return 0 if r.correct else 1

    return run_guarded(PROG, go)


if __name__ == "__main__":
    sys.exit(main())
