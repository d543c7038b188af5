"""Multi-job sharing: jobs arrive one after another, share the switch's
aggregator memory as the controller's allocation policy decides, run their
allreduce and leave (their memory is freed for later arrivals). A job that
finds no memory is sent to the parameter server by the controller.

Question: under each policy, how many jobs get switch memory, how long does
each job take, when is everything done, and is every result exact?
"""

from __future__ import annotations

import argparse
import math
import threading
import time
from pathlib import Path
from typing import Any

from inalab.scenarios.common import Outcome, RunOptions, positive_int
from inalab.scenarios.errors import ScenarioError
from inalab.scenarios.jobs import JobResult, RunningJob, start_ps, stop_ps
from inalab.scenarios.results import Progress, plot
from inalab.scenarios.testbed import Testbed
from inalab.scenarios.topos import make_topology, ps_name, worker_names

NAME = "multi_job"
DESCRIPTION = "Multi-job sharing of aggregator memory under the controller's allocation policies"
# the workers are `inalab-worker --controller`: they fetch their config from
# the controller's HTTP API (over the testbed's management network) and
# heartbeat before each round, so fair-share can move them between regions;
# best-effort jobs share a hashed pool, collisions going to the PS
POLICIES = ("static", "first-fit", "fair-share", "best-effort")
COLUMNS = [
    ("policy", "policy"),
    ("jobs", "jobs"),
    ("in_switch", "in switch"),
    ("at_ps", "at PS"),
    ("mean_time_s", "mean job s"),
    ("makespan_s", "all done s"),
    ("correct", "vs numpy"),
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=positive_int, help="jobs (quick 3, full 6)")
    p.add_argument("--job-workers", type=positive_int, default=2, help="workers per job (2)")
    p.add_argument(
        "--values", type=positive_int, help="float32 values per job (quick 8000, full 30000)"
    )
    p.add_argument("--memory", type=positive_int, default=128, help="switch slots (INA_SLOTS, 128)")
    p.add_argument("--gap", type=float, help="seconds between arrivals (quick 0.05, full 0.3)")
    p.add_argument(
        "--rounds", type=positive_int,
        help="allreduce rounds per job (quick 3, full 5): the workers heartbeat before each, "
        "so moves happen between rounds",
    )  # fmt: skip
    p.add_argument("--policies", default=",".join(POLICIES), help=",".join(POLICIES))


def _run_policy(
    tb: Testbed,
    groups: list[tuple[str, ...]],
    values: int,
    gap: float,
    seed: int,
    base: int,
    rounds: int,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The job runs, and the shared PS's final counters."""
    ps = ps_name(tb.topo)
    url = tb.controller_url()
    ids = [base + i for i in range(len(groups))]
    server = start_ps(tb.net, ps, [(j, len(g)) for j, g in zip(ids, groups, strict=True)])
    out: list[dict[str, Any]] = [{} for _ in groups]
    t0 = time.monotonic()

    def job(i: int) -> None:
        time.sleep(max(0.0, t0 + i * gap - time.monotonic()))
        arrived = time.monotonic() - t0
        try:
            spec, summary = tb.controller_job(
                ids[i], groups[i], values, seed=seed + i, controller=url, rounds=rounds
            )
            running = RunningJob(tb.net, spec, tb.workdir, own_ps=False).start()
            try:
                r: JobResult = running.wait()
            finally:
                running.kill()
                tb.finish_job(ids[i])
            # where each round ran (a fair-share move can take a job from the PS to
            # the switch or back); "via" = the last round's
            vias = [str(x["via"]) for x in r.rounds if "via" in x] or [r.via]
            out[i] = {
                "job": ids[i], "arrived_s": arrived, "left_s": time.monotonic() - t0,
                "via": vias[-1], "vias": sorted(set(vias)), "via_registered": r.via,
                "slots": spec.slots, "time_s": r.elapsed,
                "goodput": r.goodput, "correct": r.correct, "state": summary.get("state"),
                "rounds": len(r.rounds) // spec.n,
                # configurations the workers ran under (a move = a new epoch)
                "epochs": sorted({int(x["epoch"]) for x in r.rounds if "epoch" in x}),
            }  # fmt: skip
        except ScenarioError as e:
            out[i] = {"job": ids[i], "arrived_s": arrived, "error": str(e), "correct": False}

    threads = [threading.Thread(target=job, args=(i,)) for i in range(len(groups))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        counters = stop_ps(server)
    return out, counters


def plots(rows: list[dict[str, Any]], meta: dict[str, Any], out_dir: Path) -> list[Path]:
    series = {
        r["policy"]: (
            [j["arrived_s"] for j in r["job_runs"] if "time_s" in j],
            [j["time_s"] for j in r["job_runs"] if "time_s" in j],
        )
        for r in rows
    }
    return [plot(
        out_dir / f"{NAME}.png", series,
        title=f"{meta['jobs']} jobs x {meta['workers_per_job']} workers, "
        f"{meta['memory_slots']} slots", xlabel="arrival (s)", ylabel="job allreduce time (s)",
    )]  # fmt: skip


def run(opts: RunOptions, args: argparse.Namespace) -> Outcome:
    n_jobs = args.jobs if args.jobs is not None else (3 if opts.quick else 6)
    per_job = args.job_workers
    values = args.values if args.values is not None else (8_000 if opts.quick else 30_000)
    gap = args.gap if args.gap is not None else (0.05 if opts.quick else 0.3)
    policies = [p for p in args.policies.split(",") if p]
    from inalab.controller.policies import POLICIES as KNOWN

    unknown = [p for p in policies if p not in KNOWN]
    if unknown or not policies:
        raise ScenarioError(
            f"--policies {args.policies!r}: "
            + (f"unknown {', '.join(unknown)} " if unknown else "no policy given ")
            + f"(one or more of {', '.join(sorted(KNOWN))})"
        )
    if not 0 <= gap < math.inf:
        raise ScenarioError(f"--gap {args.gap}: must be a finite number >= 0 seconds")
    rounds = args.rounds if args.rounds is not None else (3 if opts.quick else 5)
    if rounds < 1:
        raise ScenarioError("--rounds must be >= 1")
    if n_jobs * per_job > 32 or n_jobs < 1 or per_job < 1:
        raise ScenarioError("--jobs x --job-workers must be within 1..32 workers")
    topo = make_topology(
        "single-rack", workers=n_jobs * per_job, prefix=opts.prefix,
        grpc_base_port=opts.grpc_base,
    )  # fmt: skip
    workers = worker_names(topo)
    groups = [tuple(workers[i * per_job : (i + 1) * per_job]) for i in range(n_jobs)]
    rows: list[dict[str, Any]] = []
    progress = Progress(len(policies), NAME, opts.progress)
    for k, policy in enumerate(policies):
        with Testbed(
            topo, workdir=opts.out_dir / NAME / policy, build_dir=opts.build_dir / "multi_job",
            log_dir=opts.log_dir, thrift_base_port=opts.thrift_base, kind=opts.kind,
            seed=opts.seed, defines={"INA_SLOTS": args.memory}, control="controller",
            policy=policy, on_full="ps",
        ) as tb:  # fmt: skip
            jobs, ps_counters = _run_policy(
                tb, groups, values, gap, opts.seed, 100 * (k + 1), rounds
            )
        ok = [j for j in jobs if "error" not in j]
        rows.append({
            "policy": policy, "jobs": n_jobs,
            "in_switch": sum(j["via"] == "switch" for j in ok),
            "at_ps": sum(j["via"] == "ps" for j in ok),
            "mean_time_s": sum(j["time_s"] for j in ok) / len(ok) if ok else None,
            "makespan_s": max((j["left_s"] for j in ok), default=None),
            "correct": len(ok) == n_jobs and all(j["correct"] for j in ok),
            "job_runs": jobs, "ps_counters": ps_counters,
        })  # fmt: skip
        progress.step(policy)
    return Outcome(
        rows=rows,
        meta=(meta := {"jobs": n_jobs, "workers_per_job": per_job, "values": values,
              "memory_slots": args.memory, "gap_s": gap, "rounds": rounds, "policies": policies,
              "on_full": "ps"}),
        columns=COLUMNS,
        plots=plots(rows, meta, opts.out_dir),
        ok=all(r["correct"] for r in rows),
    )  # fmt: skip
