"""Congestion: importance-aware dropping vs plain tail drop on a slow egress.

Every switch port drains at a fixed packet rate, slower than the workers
produce results, so results are dropped. *Tail drop*: one FIFO per port at
rate R, depth D; whatever arrives at a full queue is dropped. *Importance*:
the P4 program classifies each packet by its DSCP (the block's gradient
magnitude class, set by the worker) into ``standard_metadata.priority``; the
switch runs 4 strict-priority queues per port (``--priority-queues 4``),
each at R/4 and depth D (bmv2's traffic manager shapes each priority queue
on its own), so a full low-importance queue drops only its own class and the
same total rate serves the important blocks first. *Early drop*
(``--thresholds`` adds this third policy): the tail-drop FIFO at R, depth D,
plus the P4 program's ingress early drop: a packet of class c is dropped before
it is queued when its queue already holds the class's threshold (LOW D/4, NORMAL
D/2, HIGH 3D/4, CRITICAL D), so the places and departure slots it would have
taken go to the more important classes. The gradient has layers of very
different magnitude. After the round's deadline a worker gives up what is
still missing (zero-filled).

Question: which share of the gradient mass (sum of |g| over the blocks that
arrived / sum of |g|) reaches the workers under each policy?
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from inalab.protocol.format import Importance
from inalab.scenarios.common import Outcome, RunOptions, positive_float, positive_int
from inalab.scenarios.jobs import JobResult, JobSpec, RunningJob
from inalab.scenarios.results import Progress, plot
from inalab.scenarios.testbed import Testbed
from inalab.scenarios.topos import make_topology, ps_name, worker_names

NAME = "congestion"
DESCRIPTION = "Congestion: importance-aware dropping vs plain tail drop (gradient mass delivered)"
POLICIES = ("tail-drop", "importance")
EARLY = "early-drop"
COLUMNS = [
    ("policy", "policy"),
    ("trial", "trial"),
    ("delivered_mass", "mass by deadline"),
    ("delivered_blocks", "blocks by deadline"),
    ("exact_fraction", "exact"),
    ("queue_drops", "queue drops"),
    ("time_s", "time s"),
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=positive_int, default=4)
    p.add_argument("--values", type=positive_int, default=6400, help="values (6400)")
    p.add_argument(
        "--slots",
        type=positive_int,
        default=512,
        help="window (512: every packet of the round may be in flight at once)",
    )
    p.add_argument("--queue-rate", type=int, default=100, help="packets/s per port (100)")
    p.add_argument("--queue-depth", type=int, default=16, help="packets per queue (16)")
    p.add_argument("--deadline", type=positive_float, default=1.5, help="seconds per round (1.5)")
    p.add_argument(
        "--dtype",
        choices=("float32", "int32"),
        default="int32",
        help="int32 (default): one packet per block; float32 adds the exponent packet",
    )
    p.add_argument(
        "--thresholds",
        action="store_true",
        help="also the early-drop policy: one FIFO with the program's per-class ingress early drop",
    )
    p.add_argument("--trials", type=positive_int, help="runs per policy (quick 1, full 3)")


def thresholds(depth: int) -> dict[int, tuple[int, int]]:
    """Drop LOW from depth/4 packets waiting, NORMAL from depth/2, HIGH from 3
    depth/4, CRITICAL only when full (ECN marks at the same depth: no early
    marking; the workers ignore ECN here anyway)."""
    q = max(1, depth // 4)
    return {
        int(Importance.LOW): (q, q),
        int(Importance.NORMAL): (2 * q, 2 * q),
        int(Importance.HIGH): (3 * q, 3 * q),
        int(Importance.CRITICAL): (depth, depth),
    }


def by_deadline(job: RunningJob, deadline: float) -> tuple[float, float]:
    """(gradient mass, blocks) whose result reached the workers by ``deadline``
    seconds into the round, as fractions, mean over ranks. int32: packet j is
    block j; float32: a block needs its exponent packet j and its values packet
    j + D, so the later of the two counts."""
    s = job.spec
    k = s.lanes
    blocks = -(-s.values // k)
    pad = blocks * k - s.values
    mass = np.pad(np.sum(np.abs(np.stack(job.xs).astype(np.float64)), axis=0), (0, pad))
    mass_b = mass.reshape(blocks, k).sum(axis=1)
    fracs = []
    for arr in job.arrivals():
        t = np.where(np.isnan(arr), np.inf, arr)
        when = t[:blocks] if s.dtype == "int32" else np.maximum(t[:blocks], t[-blocks:])
        got = when <= deadline
        fracs.append((float(mass_b[got].sum() / mass_b.sum()), float(np.mean(got))))
    return float(np.mean([f[0] for f in fracs])), float(np.mean([f[1] for f in fracs]))


def row(
    policy: str, trial: int, r: JobResult, drops: int, by: tuple[float, float]
) -> dict[str, Any]:
    return {
        "policy": policy,
        "trial": trial,
        "delivered_mass": by[0],
        "delivered_blocks": by[1],
        "final_mass": r.delivered_mass,
        "exact_fraction": r.exact_fraction,
        "queue_drops": drops,
        "time_s": r.elapsed,
        "correct_blocks": r.matching_fraction,
    }


def plots(rows: list[dict[str, Any]], meta: dict[str, Any], out_dir: Path) -> list[Path]:
    mass, blocks = meta["mean_delivered_mass"], meta["mean_delivered_blocks"]
    policies = list(mass)
    xs = list(range(len(policies)))
    return [plot(
        out_dir / f"{NAME}.png",
        {"gradient mass": (xs, [mass[p] for p in policies]),
         "blocks": (xs, [blocks[p] for p in policies])},
        title=f"congestion: {meta['queue_rate']} pkt/s per port, deadline {meta['deadline']} s",
        xlabel="drop policy", ylabel="fraction delivered (mean of trials)", bars=True,
        ylim=(0.0, 1.05), xticklabels=policies,
    )]  # fmt: skip


def run(opts: RunOptions, args: argparse.Namespace) -> Outcome:
    values, deadline = args.values, args.deadline
    trials = args.trials if args.trials is not None else (2 if opts.quick else 5)
    if args.queue_rate < 1 or args.queue_depth < 4:
        raise ValueError("--queue-rate must be >= 1 and --queue-depth >= 4")
    topo = make_topology(
        "single-rack", workers=args.workers, prefix=opts.prefix, grpc_base_port=opts.grpc_base
    )
    workers = worker_names(topo)
    ps = ps_name(topo)
    (switch,) = (s.name for s in topo.switches)
    rows: list[dict[str, Any]] = []
    policies = (*POLICIES, EARLY) if args.thresholds else POLICIES
    progress = Progress(trials * len(policies), NAME, opts.progress)
    for policy in policies:
        # same total service rate: one queue at R, or 4 strict-priority queues
        # (one per importance class, chosen by the P4 program) at R/4 each
        qargs: tuple[str, ...] = ("--queue-depth", str(args.queue_depth))
        if policy == "importance":
            qargs += ("--priority-queues", "4", "--queue-rate", str(max(1, args.queue_rate // 4)))
        else:
            qargs += ("--queue-rate", str(args.queue_rate))
        with Testbed(
            topo, workdir=opts.out_dir / NAME / policy, build_dir=opts.build_dir,
            log_dir=opts.log_dir, thrift_base_port=opts.thrift_base, kind=opts.kind,
            seed=opts.seed, switch_args=qargs,
        ) as tb:  # fmt: skip
            prog = tb.programmer
            if policy == EARLY:
                prog.queue_thresholds(switch, thresholds(args.queue_depth), args.queue_rate)
            for trial in range(trials):
                before = sum(prog.queue_drops(switch).values())
                tail_before = prog.tail_drops(switch)
                spec = JobSpec(
                    tb.new_rack_job(workers, slots=args.slots), workers, tb.ip(ps), values=values,
                    ps_host=ps, seed=opts.seed + trial, profile="layered", loss_bound=0.9,
                    dtype=args.dtype,
                    deadline=deadline, timeout=deadline * 4 + 30, extra={"ecn": False},
                    slots=args.slots, timed=True,
                )  # fmt: skip
                job = RunningJob(tb.net, spec, tb.workdir).start()
                try:
                    r = job.wait()
                finally:
                    job.kill()
                drops = sum(prog.queue_drops(switch).values()) - before
                drops += prog.tail_drops(switch) - tail_before
                rows.append(row(policy, trial, r, drops, by_deadline(job, deadline)))
                progress.step(f"{policy} {trial + 1}/{trials}")
    means = {
        p: sum(r["delivered_mass"] for r in rows if r["policy"] == p) / trials for p in policies
    }
    blocks = {
        p: sum(r["delivered_blocks"] for r in rows if r["policy"] == p) / trials for p in policies
    }
    return Outcome(
        rows=rows,
        meta=(meta := {"workers": args.workers, "values": values, "deadline": deadline,
              "queue_rate": args.queue_rate, "queue_depth": args.queue_depth,
              "thresholds": thresholds(args.queue_depth) if args.thresholds else None,
              "mean_delivered_mass": means,
              "mean_delivered_blocks": blocks, "trials": trials}),
        columns=COLUMNS,
        plots=plots(rows, meta, opts.out_dir),
        notes=["mean gradient mass delivered: " + ", ".join(
            f"{p} {means[p]:.3f}" for p in policies)],
    )  # fmt: skip
