"""Loss sweep: random loss on every worker's switch port (both directions,
seeded), 0 % to 35 %, for in-network aggregation and the PS fallback.

Question: with a per-round deadline, how much of the result stays exact, how
much ends partial (the PS closes a slot with fewer contributions) or missing
(zero-filled), and what does a round cost in time as loss grows?
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from inalab.scenarios.common import Outcome, RunOptions, fraction_list, positive_float, positive_int
from inalab.scenarios.jobs import JobResult, JobSpec, run_job
from inalab.scenarios.results import Progress, plot
from inalab.scenarios.testbed import Testbed
from inalab.scenarios.topos import make_topology, ps_name, worker_names

NAME = "loss"
DESCRIPTION = __doc__.splitlines()[0] if __doc__ else NAME
COLUMNS = [
    ("method", "method"),
    ("loss", "loss"),
    ("time_s", "time s"),
    ("exact_fraction", "exact"),
    ("partial_fraction", "partial"),
    ("missing_fraction", "missing"),
    ("matching_fraction", "= sum"),
    ("retransmissions", "retx"),
    ("goodput", "values/s/worker"),
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=positive_int, default=4)
    p.add_argument("--values", type=positive_int, help="float32 values (quick 10000, full 50000)")
    p.add_argument(
        "--losses", type=fraction_list, help="comma-separated loss rates 0..1 (default by --quick)"
    )
    p.add_argument(
        "--deadline", type=positive_float, help="seconds per round before giving up blocks"
    )
    p.add_argument("--methods", default="ina,ps", help="ina,ps")


def row(method: str, loss: float, r: JobResult) -> dict[str, Any]:
    return {
        "method": method,
        "loss": loss,
        "time_s": r.elapsed,
        "exact_fraction": r.exact_fraction,
        "partial_fraction": r.partial_fraction,
        "missing_fraction": r.missing / r.blocks if r.blocks else 0.0,
        "matching_fraction": r.matching_fraction,
        "retransmissions": r.retransmissions,
        "goodput": r.goodput,
        "blocks": r.blocks,
    }


def plots(rows: list[dict[str, Any]], meta: dict[str, Any], out_dir: Path) -> list[Path]:
    pngs = []
    methods = meta["methods"]
    for metric, label in (("exact_fraction", "fraction of blocks"), ("time_s", "round time (s)")):
        series = {
            (f"{m} exact" if metric == "exact_fraction" else m): (
                [r["loss"] * 100 for r in rows if r["method"] == m],
                [r[metric] for r in rows if r["method"] == m])
            for m in methods
        }  # fmt: skip
        for m in methods if metric == "exact_fraction" else ():
            series[f"{m} partial"] = (
                [r["loss"] * 100 for r in rows if r["method"] == m],
                [r["partial_fraction"] for r in rows if r["method"] == m],
            )
        pngs.append(plot(
            out_dir / f"{NAME}_{metric.split('_')[0]}.png", series,
            title=f"loss sweep: {meta['workers']} workers, {meta['values']} values, "
            f"deadline {meta['deadline']} s", xlabel="loss per worker port and direction (%)",
            ylabel=label,
        ))  # fmt: skip
    return pngs


def run(opts: RunOptions, args: argparse.Namespace) -> Outcome:
    losses = (
        args.losses
        if args.losses is not None
        else ([0.0, 0.1, 0.3] if opts.quick else [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35])
    )
    if any(not 0 <= x < 1 for x in losses):
        raise ValueError(f"--losses {losses}: each must be in [0, 1)")
    values = args.values if args.values is not None else (10_000 if opts.quick else 50_000)
    deadline = args.deadline if args.deadline is not None else (2.0 if opts.quick else 5.0)
    methods = [m for m in args.methods.split(",") if m]
    if not methods or any(m not in ("ina", "ps") for m in methods):
        raise ValueError(f"--methods {args.methods}: ina and/or ps")
    topo = make_topology(
        "single-rack", workers=args.workers, prefix=opts.prefix, grpc_base_port=opts.grpc_base
    )
    workers = worker_names(topo)
    ps = ps_name(topo)
    (switch,) = (s.name for s in topo.switches)
    ports = [topo.attachment(h)[1] for h in workers]
    rows: list[dict[str, Any]] = []
    progress = Progress(len(losses) * len(methods), NAME, opts.progress)
    with Testbed(
        topo, workdir=opts.out_dir / NAME, build_dir=opts.build_dir, log_dir=opts.log_dir,
        thrift_base_port=opts.thrift_base, kind=opts.kind, seed=opts.seed,
    ) as tb:  # fmt: skip
        for i, loss in enumerate(losses):
            for port in ports:
                tb.programmer.impair(switch, port, loss)
            for method in methods:
                job = tb.new_rack_job(workers, slots=64) if method == "ina" else 2000 + i
                spec = JobSpec(
                    job, workers, tb.ip(ps), values=values, ps_host=ps, seed=opts.seed,
                    via="switch" if method == "ina" else "ps",
                    loss_bound=0.9, deadline=deadline, timeout=deadline * 4 + 30,
                )  # fmt: skip
                rows.append(row(method, loss, run_job(tb.net, spec, tb.workdir)))
                progress.step(f"{method} loss {loss:.0%}")
    return Outcome(
        rows=rows,
        meta=(meta := {"workers": args.workers, "values": values, "deadline": deadline,
              "losses": losses, "methods": methods, "impairment": "switch port, both directions"}),
        columns=COLUMNS,
        plots=plots(rows, meta, opts.out_dir),
        ok=all(r["exact_fraction"] == 1.0 for r in rows if r["loss"] == 0),
    )  # fmt: skip
