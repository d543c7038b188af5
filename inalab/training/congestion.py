"""Training under congestion: importance-aware dropping vs uniform (tail) drop.

Every switch port drains its egress at ``rate`` packets/s from a queue of
``depth`` packets, slower than the workers produce results, so packets are
dropped. Uniform: tail drop, a packet is dropped when the queue is full,
whatever it carries. Importance-aware: the same queue, and the P4 program's
ingress early drop (``queue_admission``) drops a packet by its class (the DSCP
its worker set from the block's gradient magnitude) before it is queued, from
a lower queue depth on: LOW from depth/4 packets waiting, NORMAL depth/2, HIGH
3 depth/4, CRITICAL only when full; the places and departure slots left go to
the blocks with the largest gradients. (The same thresholds in egress, as
before, freed nothing: an egress drop has already taken its place and slot.) After the
round's deadline each worker gives up what is still missing (zero-filled,
within a 0.9 loss bound): the question is what that does to the accuracy.

(4 strict-priority queues of ``rate / 4`` each, the other way to give
importance its due, lost far more blocks in a trial: most blocks are of one
or two classes, whose queues then get a quarter of the port.)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from inalab.protocol.format import Importance
from inalab.training.errors import UsageError
from inalab.training.runs import RunFailed, run_on_hosts

POLICIES = ("uniform", "importance")


@dataclass(frozen=True)
class CongestionConfig:
    rate: int = 1500  # packets/s per port (all queues of the port together)
    depth: int = 16  # packets per queue
    deadline: float = 0.4  # seconds per allreduce round before blocks are given up
    loss_bound: float = 0.9

    def __post_init__(self) -> None:
        if self.rate < 4 or self.depth < 4:
            raise UsageError("congestion: rate must be >= 4 packets/s and depth >= 4")
        if not self.deadline > 0 or not 0 < self.loss_bound < 1:
            raise UsageError("congestion: deadline > 0 and loss_bound in (0, 1)")

    def switch_args(self) -> tuple[str, ...]:
        return ("--queue-depth", str(self.depth), "--queue-rate", str(self.rate))

    def thresholds(self) -> dict[int, tuple[int, int]]:
        """Per class (ECN-mark depth, drop depth); marks at the drop depth (no early ECN)."""
        q = max(1, self.depth // 4)
        return {
            int(Importance.LOW): (q, q),
            int(Importance.NORMAL): (2 * q, 2 * q),
            int(Importance.HIGH): (3 * q, 3 * q),
            int(Importance.CRITICAL): (self.depth, self.depth),
        }


def run_congestion(
    cfg: Any,
    cong: CongestionConfig,
    out: Path,
    *,
    grpc_port: int,
    thrift_port: int,
    seed: int = 0,
    prefix: str = "cg",
) -> list[dict[str, Any]]:
    """One INA training per policy (``cfg``: an ExperimentConfig), each on a fresh network."""
    from inalab.scenarios.testbed import Testbed
    from inalab.training.experiment import failed_run, job_dict, run_spec, training_rack

    topo = training_rack(cfg.workers, grpc_port=grpc_port, prefix=prefix)
    switch, ps = f"{prefix}s1", f"{prefix}ps"
    hosts = tuple(h.name for h in topo.hosts if h.role == "worker")
    summaries = []
    for i, policy in enumerate(POLICIES):
        with Testbed(
            topo, workdir=out, build_dir=out / "build", log_dir=out / "logs" / policy,
            seed=seed, thrift_base_port=thrift_port, switch_args=cong.switch_args(),
        ) as tb:  # fmt: skip
            job_id = 30 + i
            if policy == "importance":
                tb.programmer.queue_thresholds(switch, cong.thresholds(), rate_pps=cong.rate)
            tb.place_rack_job(job_id, hosts, slots=cfg.slots, base=0)
            job = job_dict(cfg, job_id, tb.ip(ps), 0.0, 0.0)
            job.update(loss_bound=cong.loss_bound, deadline=cong.deadline, ecn=False)
            job["timeout"] = max(cfg.job_timeout, 4 * cong.deadline + 10)
            spec = run_spec(
                cfg, hosts, f"congestion-{policy}", "ina", tb.ip(hosts[0]), 29600 + i, job=job
            )
            spec = replace(spec, labels={"policy": policy})
            print(f"run {spec.name} ...", file=sys.stderr, flush=True)
            try:
                s = run_on_hosts(tb.net, spec, out, cfg.run_timeout, cfg.target_accuracy)
            except RunFailed as e:  # a table row; the other policy still runs
                print(f"run {spec.name}: FAILED: {e}", file=sys.stderr, flush=True)
                summaries.append({**failed_run(spec, str(e)), "policy": policy})
                continue
            s["queue_drops"] = sum(tb.programmer.queue_drops(switch).values())
            s["tail_drops"] = tb.programmer.tail_drops(switch)
            print(
                f"run {spec.name}: accuracy {s['final_accuracy']:.3f}, blocks {s['blocks']}",
                file=sys.stderr, flush=True,
            )  # fmt: skip
            summaries.append(s)
    return summaries


def table(summaries: list[dict[str, Any]]) -> str:
    lines = [
        "| policy | final accuracy | time to target (s) | ms/iteration "
        "| blocks exact/partial/missing | missing share | tail drops | class drops |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        if "failed" in s:
            lines.append(f"| {s['policy']} | failed: {s['failed']} ||||||")
            continue
        b = s["blocks"]
        total = max(1, b["exact"] + b["partial"] + b["missing"])
        tta = "never" if s["time_to_target"] is None else f"{s['time_to_target']:.1f}"
        lines.append(
            f"| {s['policy']} | {s['final_accuracy']:.3f} | {tta} "
            f"| {s['seconds_per_iteration'] * 1e3:.0f} | {b['exact']}/{b['partial']}/{b['missing']} "
            f"| {b['missing'] / total:.1%} | {s['tail_drops']} | {s['queue_drops']} |"
        )
    return "\n".join(lines) + "\n"
