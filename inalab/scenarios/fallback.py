"""PS fallback when aggregator memory runs out.

Several jobs (disjoint groups of workers in one rack) arrive together; the
switch has aggregator memory for only some of them (a static allocation of
fixed-size regions, in arrival order, as a first-fit allocator would give).
A job without a region falls back to the parameter server: the same workers
and protocol, with the PS host aggregating in software.

Question: as the memory shrinks from "every job fits" to "none fits", how do
the jobs' times change, and do they all stay exact?

ATP-style variant (the last row, mode "best-effort"): every job shares one
small region in best-effort mode; a block whose hashed cell another block holds
goes to the PS (a collision), whose result the switch routes back to the
workers. The same question: do all jobs end exact?
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from inalab.protocol.constants import JobMode
from inalab.scenarios.common import Outcome, RunOptions, nonnegative_int, positive_int
from inalab.scenarios.errors import ScenarioError
from inalab.scenarios.jobs import JobResult, JobSpec, run_jobs, start_ps, stop_ps
from inalab.scenarios.results import Progress, plot
from inalab.scenarios.testbed import Testbed
from inalab.scenarios.topos import make_topology, ps_name, worker_names

NAME = "fallback"
DESCRIPTION = "PS fallback when aggregator memory runs out (jobs without a region go to the PS)"
COLUMNS = [
    ("mode", "mode"),
    ("regions", "regions"),
    ("in_switch", "jobs in switch"),
    ("at_ps", "jobs at PS"),
    ("ina_time_s", "INA job time s"),
    ("ps_time_s", "PS job time s"),
    ("makespan_s", "all done s"),
    ("correct", "vs numpy"),
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=positive_int, help="concurrent jobs (quick 2, full 4)")
    p.add_argument("--job-workers", type=positive_int, default=2, help="workers per job (2)")
    p.add_argument(
        "--values", type=positive_int, help="float32 values per job (quick 10000, full 50000)"
    )
    p.add_argument("--slots", type=positive_int, default=64, help="slots per region (64)")
    p.add_argument(
        "--be-cells", type=nonnegative_int, default=8,
        help="cells of the region all jobs share in the best-effort row (8; 0: no such row)",
    )  # fmt: skip


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def plots(rows: list[dict[str, Any]], meta: dict[str, Any], out_dir: Path) -> list[Path]:
    def pts(key: str) -> tuple[list[float], list[float]]:
        got = [(r["regions"], r[key]) for r in rows
               if r[key] is not None and r.get("mode", "dedicated") == "dedicated"]  # fmt: skip
        return [x for x, _ in got], [y for _, y in got]

    return [plot(
        out_dir / f"{NAME}.png",
        {"INA jobs (mean)": pts("ina_time_s"), "PS jobs (mean)": pts("ps_time_s"),
         "all done": pts("makespan_s")},
        title=f"{meta['jobs']} jobs x {meta['workers_per_job']} workers, "
        f"{meta['values']} values each", xlabel="jobs that get a switch region",
        ylabel="seconds",
    )]  # fmt: skip


def _row(
    mode: str, regions: int, results: list[JobResult], ps_counters: dict[str, Any] | None
) -> dict[str, Any]:
    ina = [r.elapsed for r in results if r.via == "switch"]
    at_ps = [r.elapsed for r in results if r.via == "ps"]
    return {
        "mode": mode, "regions": regions, "in_switch": len(ina), "at_ps": len(at_ps),
        "ina_time_s": _mean(ina), "ps_time_s": _mean(at_ps),
        "makespan_s": max(r.elapsed for r in results),
        "correct": all(r.correct for r in results),
        "ps_counters": ps_counters,
        "jobs": [{"job": r.job_id, "via": r.via, "time_s": r.elapsed,
                  "goodput": r.goodput, "correct": r.correct} for r in results],
    }  # fmt: skip


def _best_effort(
    tb: Testbed,
    groups: list[tuple[str, ...]],
    ps: str,
    values: int,
    args: argparse.Namespace,
    opts: RunOptions,
) -> dict[str, Any]:
    """Every job in best-effort mode on one shared region of ``args.be_cells``
    cells (zeroed), the PS taking the collisions."""
    if args.be_cells > tb.slots:
        raise ScenarioError(f"--be-cells {args.be_cells}: the program has {tb.slots} slots")
    specs = []
    for j, group in enumerate(groups):
        job = 5000 + j
        tb.place_rack_job(
            job, group, slots=args.be_cells, base=0, mode=JobMode.BEST_EFFORT, zero=j == 0
        )
        specs.append(JobSpec(
            job, group, tb.ip(ps), values=values, ps_host=ps, seed=opts.seed + j,
            via="switch", slots=args.slots,
        ))  # fmt: skip
    server = start_ps(tb.net, ps, [(s.job_id, s.n) for s in specs])
    try:
        results = run_jobs(tb.net, specs, tb.workdir)
    finally:
        counters = stop_ps(server)
    return _row("best-effort", args.be_cells, results, counters)


def run(opts: RunOptions, args: argparse.Namespace) -> Outcome:
    n_jobs = args.jobs if args.jobs is not None else (2 if opts.quick else 4)
    per_job = args.job_workers
    values = args.values if args.values is not None else (10_000 if opts.quick else 50_000)
    if n_jobs < 1 or per_job < 1 or n_jobs * per_job > 32:
        raise ScenarioError("--jobs x --job-workers must be within 1..32 workers")
    if args.be_cells < 0:
        raise ScenarioError("--be-cells must be >= 0")
    topo = make_topology(
        "single-rack", workers=n_jobs * per_job, prefix=opts.prefix,
        grpc_base_port=opts.grpc_base,
    )  # fmt: skip
    workers = worker_names(topo)
    groups = [workers[i * per_job : (i + 1) * per_job] for i in range(n_jobs)]
    ps = ps_name(topo)
    budgets = list(range(n_jobs, -1, -1))  # regions available: all jobs fit .. none
    rows: list[dict[str, Any]] = []
    progress = Progress(len(budgets) + (1 if args.be_cells else 0), NAME, opts.progress)
    with Testbed(
        topo, workdir=opts.out_dir / NAME, build_dir=opts.build_dir, log_dir=opts.log_dir,
        thrift_base_port=opts.thrift_base, kind=opts.kind, seed=opts.seed,
    ) as tb:  # fmt: skip
        for k, budget in enumerate(budgets):
            specs = []
            for j, group in enumerate(groups):
                in_switch = j < budget
                job = tb.new_rack_job(group, slots=args.slots) if in_switch else 4000 + k * 64 + j
                specs.append(JobSpec(
                    job, group, tb.ip(ps), values=values, ps_host=ps, seed=opts.seed + j,
                    via="switch" if in_switch else "ps", slots=args.slots,
                ))  # fmt: skip
            ps_jobs = [(s.job_id, s.n) for s in specs if s.via == "ps"]
            server = start_ps(tb.net, ps, ps_jobs) if ps_jobs else None
            try:
                results = run_jobs(tb.net, specs, tb.workdir)
            finally:
                if server is not None:
                    stop_ps(server)
            rows.append(_row("dedicated", budget, results, None))
            progress.step(f"{budget} regions")
        if args.be_cells:
            rows.append(_best_effort(tb, groups, ps, values, args, opts))
            progress.step("best-effort")
    return Outcome(
        rows=rows,
        meta=(meta := {"jobs": n_jobs, "workers_per_job": per_job, "values": values,
              "slots_per_region": args.slots, "allocation": "static, first come first served",
              "best_effort_cells": args.be_cells}),
        columns=COLUMNS,
        plots=plots(rows, meta, opts.out_dir),
        ok=all(r["correct"] for r in rows),
    )  # fmt: skip
