"""Single job allreduce: in-network aggregation vs the parameter-server
fallback vs a host-only ring allreduce, on the same rack and links.

Question: how long does one allreduce of N float32 values take, and what
goodput (values/s per worker) does each method reach, for growing N?
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from inalab.protocol import format as fmt
from inalab.scenarios.common import (
    Outcome,
    RunOptions,
    positive_float,
    positive_int,
    positive_int_list,
)
from inalab.scenarios.jobs import JobResult, JobSpec, run_job
from inalab.scenarios.results import Progress, plot
from inalab.scenarios.ring import run_ring_job
from inalab.scenarios.testbed import Testbed
from inalab.scenarios.topos import make_topology, ps_name, worker_names
from inalab.topologies.spec import LinkProfile

NAME = "allreduce"
DESCRIPTION = __doc__.splitlines()[0] if __doc__ else NAME
METHODS = ("ina", "ps", "ring")
COLUMNS = [
    ("method", "method"),
    ("values", "values"),
    ("time_s", "time s"),
    ("goodput", "values/s/worker"),
    ("line_fraction", "of line rate"),
    ("exact_fraction", "exact"),
    ("retransmissions", "retx"),
    ("correct", "vs numpy"),
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=positive_int, default=4)
    p.add_argument(
        "--sizes", type=positive_int_list, help="comma-separated value counts (default by --quick)"
    )
    p.add_argument("--bw", type=positive_float, default=100.0, help="host link rate, Mbit/s (100)")
    p.add_argument("--methods", default=",".join(METHODS), help="ina,ps,ring")
    p.add_argument(
        "--lanes", type=int, default=fmt.DEFAULT_LANES,
        help=f"values per INA packet, K (the program is compiled with it; {fmt.DEFAULT_LANES})",
    )  # fmt: skip


def line_rate(bw_mbit: float, lanes: int) -> float:
    """The most values per second a worker's link of ``bw_mbit`` can carry as INA
    packets of ``lanes`` values: each value is 4 of the frame's
    ``fmt.frame_bytes(lanes)`` bytes (Ethernet, IPv4, UDP and INA headers counted,
    as tc's htb counts them; no preamble or gap on a veth)."""
    return bw_mbit * 1e6 / 8 / fmt.frame_bytes(lanes) * lanes


def row(method: str, r: JobResult, bound: float) -> dict[str, Any]:
    return {
        "method": method,
        "values": r.values,
        "time_s": r.elapsed,
        "goodput": r.goodput,
        "line_rate": bound,
        "line_fraction": r.goodput / bound,
        "exact_fraction": r.exact_fraction,
        "retransmissions": r.retransmissions,
        "correct": r.correct,
        "max_error": r.max_error,
    }


def plots(rows: list[dict[str, Any]], meta: dict[str, Any], out_dir: Path) -> list[Path]:
    series = {
        m: ([r["values"] for r in rows if r["method"] == m],
            [r["goodput"] for r in rows if r["method"] == m])
        for m in meta["methods"]
    }  # fmt: skip
    return [plot(
        out_dir / f"{NAME}.png", series, title=f"allreduce, {meta['workers']} workers, "
        f"{meta['bw_mbit']:g} Mbit/s links", xlabel="float32 values (log)",
        ylabel="goodput (values/s/worker, log)", logx=True, logy=True,
    )]  # fmt: skip


def run(opts: RunOptions, args: argparse.Namespace) -> Outcome:
    sizes = (
        args.sizes
        if args.sizes is not None
        else ([20_000] if opts.quick else [10_000, 100_000, 500_000])
    )
    methods = [m for m in args.methods.split(",") if m]
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        what = f"unknown {', '.join(bad)}" if bad else "no method given"
        raise ValueError(
            f"--methods {args.methods!r}: {what} (one or more of {', '.join(METHODS)})"
        )
    fmt.check_lanes(args.lanes)
    bound = line_rate(args.bw, args.lanes)
    defines = {} if args.lanes == fmt.DEFAULT_LANES else {"INA_LANES": args.lanes}
    topo = make_topology(
        "single-rack", workers=args.workers, prefix=opts.prefix,
        grpc_base_port=opts.grpc_base, host_link=LinkProfile(bw_mbit=args.bw),
    )  # fmt: skip
    workers = worker_names(topo)
    ps = ps_name(topo)
    rows: list[dict[str, Any]] = []
    progress = Progress(len(sizes) * len(methods), NAME, opts.progress)
    with Testbed(
        topo, workdir=opts.out_dir / NAME, build_dir=opts.build_dir, log_dir=opts.log_dir,
        thrift_base_port=opts.thrift_base, kind=opts.kind, seed=opts.seed, defines=defines,
    ) as tb:  # fmt: skip
        ips = [tb.ip(h) for h in workers]
        for size in sizes:
            for method in methods:
                job = tb.new_rack_job(workers, slots=64) if method == "ina" else 1000 + size
                spec = JobSpec(
                    job % 65536, workers, tb.ip(ps), values=size,
                    via="ps" if method == "ps" else "switch", ps_host=ps, seed=opts.seed,
                    timeout=max(60.0, size / 2000), lanes=args.lanes,
                )  # fmt: skip
                if method == "ring":
                    r = run_ring_job(tb.net, spec, tb.workdir, ips)
                else:
                    r = run_job(tb.net, spec, tb.workdir)
                rows.append(row(method, r, bound))
                progress.step(f"{method} {size}")
    meta = {"workers": args.workers, "bw_mbit": args.bw, "line_rate": bound, "lanes": args.lanes,
            "sizes": sizes, "methods": methods, "topology": topo.name}  # fmt: skip
    return Outcome(
        rows=rows,
        meta=meta,
        columns=COLUMNS,
        plots=plots(rows, meta, opts.out_dir),
        ok=all(r["correct"] for r in rows),
    )  # fmt: skip
