"""Two-level aggregation across racks (multi-rack topology).

Each top-of-rack switch aggregates its rack's workers (LEAF mode) and sends
one partial aggregate per slot up to the core switch, which aggregates the
racks and sends the result down; each ToR multicasts it to its workers. The
same job is also run through the parameter server behind the core switch.

Question: does the two-level aggregate stay exact across racks, what does it
cost in time against the PS, and how much traffic does the core see?
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from inalab.scenarios.common import Outcome, RunOptions, positive_int, positive_int_list
from inalab.scenarios.jobs import JobResult, JobSpec, run_job
from inalab.scenarios.results import Progress, plot
from inalab.scenarios.testbed import Testbed
from inalab.scenarios.topos import make_topology, ps_name, worker_names

NAME = "two_level"
DESCRIPTION = "Two-level aggregation across racks: ToRs aggregate racks, the core aggregates ToRs"
COLUMNS = [
    ("method", "method"),
    ("racks", "racks"),
    ("workers", "workers"),
    ("time_s", "time s"),
    ("goodput", "values/s/worker"),
    ("exact_fraction", "exact"),
    ("core_contributions", "core contributions"),
    ("correct", "vs numpy"),
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--racks", type=positive_int_list, help="comma-separated rack counts (quick 2, full 2,3,4)"
    )
    p.add_argument("--per-rack", type=positive_int, default=2, help="workers per rack (2)")
    p.add_argument("--values", type=positive_int, help="float32 values (quick 10000, full 50000)")


def row(method: str, racks: int, r: JobResult, core: int) -> dict[str, Any]:
    return {
        "method": method,
        "racks": racks,
        "workers": r.n_workers,
        "time_s": r.elapsed,
        "goodput": r.goodput,
        "exact_fraction": r.exact_fraction,
        "core_contributions": core,
        "correct": r.correct,
        "packets_per_worker": r.rounds[0]["packets"] if r.rounds else 0,
    }


def plots(rows: list[dict[str, Any]], meta: dict[str, Any], out_dir: Path) -> list[Path]:
    series = {
        m: ([r["racks"] for r in rows if r["method"] == m],
            [r["time_s"] for r in rows if r["method"] == m])
        for m in ("two-level INA", "PS")
    }  # fmt: skip
    return [plot(
        out_dir / f"{NAME}.png", series,
        title=f"multi-rack, {meta['per_rack']} workers per rack, {meta['values']} values",
        xlabel="racks", ylabel="allreduce time (s)",
    )]  # fmt: skip


def run(opts: RunOptions, args: argparse.Namespace) -> Outcome:
    racks_list = args.racks if args.racks is not None else ([2] if opts.quick else [2, 3, 4])
    values = args.values if args.values is not None else (10_000 if opts.quick else 50_000)
    rows: list[dict[str, Any]] = []
    progress = Progress(2 * len(racks_list), NAME, opts.progress)
    for racks in racks_list:
        topo = make_topology(
            "multi-rack", workers=racks * args.per_rack, racks=racks, prefix=opts.prefix,
            grpc_base_port=opts.grpc_base,
        )  # fmt: skip
        workers = worker_names(topo)
        ps = ps_name(topo)
        core = next(s.name for s in topo.switches if s.tier == 1)
        with Testbed(
            topo, workdir=opts.out_dir / NAME / f"racks{racks}", build_dir=opts.build_dir,
            log_dir=opts.log_dir, thrift_base_port=opts.thrift_base, kind=opts.kind,
            seed=opts.seed,
        ) as tb:  # fmt: skip
            server = tb.place_two_level_job(1, workers, slots=64)
            for method in ("two-level INA", "PS"):
                before = tb.programmer.events(core)
                spec = JobSpec(
                    1 if method != "PS" else 2, workers, server if method != "PS" else tb.ip(ps),
                    values=values, ps_host=ps, seed=opts.seed,
                    via="switch" if method != "PS" else "ps",
                )  # fmt: skip
                r = run_job(tb.net, spec, tb.workdir)
                after = tb.programmer.events(core)
                absorbed = sum(after[k] - before[k] for k in ("absorbed", "completed"))
                rows.append(row(method, racks, r, absorbed))
                progress.step(f"{method} {racks} racks")
    return Outcome(
        rows=rows,
        meta=(meta := {"per_rack": args.per_rack, "values": values, "racks": racks_list,
              "topology": "multi-rack (ToRs + core, PS on the core)"}),
        columns=COLUMNS,
        plots=plots(rows, meta, opts.out_dir),
        ok=all(r["correct"] for r in rows),
    )  # fmt: skip
