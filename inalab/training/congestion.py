"""Training under congestion: importance-aware dropping vs uniform (tail) drop.

Every switch port drains its egress at ``rate`` packets/s from a short queue,
slower than the workers produce results, so packets are dropped. Uniform: one
FIFO per port, a packet is dropped when it is full, whatever it carries.
Importance-aware: the P4 program maps each packet's DSCP (its block's
magnitude class, set by the worker) to one of 4 strict-priority queues of
``rate / 4`` each (the same total service), so the blocks with the largest
gradients get through first. After the round's deadline each worker gives up
what is still missing (zero-filled, within a 0.9 loss bound): the question is
what that does to the model's accuracy.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from inalab.training.errors import UsageError
from inalab.training.runs import run_on_hosts

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

    def switch_args(self, policy: str) -> tuple[str, ...]:
        if policy == "importance":
            return ("--queue-depth", str(self.depth), "--priority-queues", "4",
                    "--queue-rate", str(max(1, self.rate // 4)))  # fmt: skip
        if policy == "uniform":
            return ("--queue-depth", str(self.depth), "--queue-rate", str(self.rate))
        raise UsageError(f"policy {policy!r}: choose one of {POLICIES}")


def run_congestion(
    cfg: Any, cong: CongestionConfig, out: Path, *, grpc_port: int, thrift_port: int, seed: int = 0
) -> list[dict[str, Any]]:
    """One INA training per policy (``cfg``: an ExperimentConfig), each on a fresh network."""
    from inalab.scenarios.testbed import Testbed
    from inalab.training.experiment import PS, SWITCH, job_dict, run_spec, training_rack

    topo = training_rack(cfg.workers, grpc_port=grpc_port)
    hosts = tuple(h.name for h in topo.hosts if h.role == "worker")
    summaries = []
    for i, policy in enumerate(POLICIES):
        with Testbed(
            topo, workdir=out, build_dir=out / "build", log_dir=out / "logs" / policy,
            seed=seed, thrift_base_port=thrift_port, switch_args=cong.switch_args(policy),
        ) as tb:  # fmt: skip
            job_id = 30 + i
            tb.place_rack_job(job_id, hosts, slots=cfg.slots, base=0)
            job = job_dict(cfg, job_id, tb.ip(PS), 0.0, 0.0)
            job.update(loss_bound=cong.loss_bound, deadline=cong.deadline, ecn=False)
            job["timeout"] = max(cfg.job_timeout, 4 * cong.deadline + 10)
            spec = run_spec(
                cfg, hosts, f"congestion-{policy}", "ina", tb.ip(hosts[0]), 29600 + i, job=job
            )
            spec = replace(spec, labels={"policy": policy})
            print(f"run {spec.name} ...", file=sys.stderr, flush=True)
            s = run_on_hosts(tb.net, spec, out, cfg.run_timeout, cfg.target_accuracy)
            s["queue_drops"] = sum(tb.programmer.queue_drops(SWITCH).values())
            s["tail_drops"] = tb.programmer.tail_drops(SWITCH)
            print(
                f"run {spec.name}: accuracy {s['final_accuracy']:.3f}, blocks {s['blocks']}",
                file=sys.stderr, flush=True,
            )  # fmt: skip
            summaries.append(s)
    return summaries


def table(summaries: list[dict[str, Any]]) -> str:
    lines = [
        "| policy | final accuracy | time to target (s) | ms/iteration "
        "| blocks exact/partial/missing | missing share | tail drops |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        b = s["blocks"]
        total = max(1, b["exact"] + b["partial"] + b["missing"])
        tta = "never" if s["time_to_target"] is None else f"{s['time_to_target']:.1f}"
        lines.append(
            f"| {s['policy']} | {s['final_accuracy']:.3f} | {tta} "
            f"| {s['seconds_per_iteration'] * 1e3:.0f} | {b['exact']}/{b['partial']}/{b['missing']} "
            f"| {b['missing'] / total:.1%} | {s['tail_drops']} |"
        )
    return "\n".join(lines) + "\n"
