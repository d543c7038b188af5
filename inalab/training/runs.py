"""Run one distributed training (N ranks) on the hosts of a running testbed and
summarize it: the processes, their JSON results, and the figures a table needs.

Each rank is ``python -m inalab.training.train`` on its Mininet host (its own
namespace; gloo's TCP and the INA UDP packets cross the emulated links and
the switch process). A run that fails (non-zero exit, timeout) raises
:class:`RunFailed` with every rank's stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from inalab.training.errors import TrainingError


class RunFailed(TrainingError):
    """A training run's process failed or did not finish in time."""


@dataclass(frozen=True)
class RunSpec:
    """One training run: which communication, how lossy, which job."""

    name: str
    comm: str  # "gloo" | "ina"
    hosts: tuple[str, ...]  # worker hosts in rank order
    master_ip: str
    master_port: int
    epochs: int
    hidden: int
    batch: int
    lr: float
    dataset: str = "digits"
    seed: int = 0
    job: dict[str, Any] | None = None  # JobConfig dict for comm "ina"
    loss: float = 0.0  # contribution loss injected (informative here; the caller injects it)
    max_bucket_values: int = 1 << 16
    pg_timeout: float = 120.0
    sync_steps: bool = False
    labels: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.comm not in ("gloo", "ina"):
            raise TrainingError(f"run {self.name}: comm {self.comm!r} is not gloo/ina")
        if self.comm == "ina" and self.job is None:
            raise TrainingError(f"run {self.name}: comm 'ina' needs a job")
        if not self.hosts:
            raise TrainingError(f"run {self.name}: no hosts")

    def command(self, rank: int, workdir: Path) -> list[str]:
        host = self.hosts[rank]
        cmd = [
            sys.executable, "-m", "inalab.training.train",
            "--rank", str(rank), "--world", str(len(self.hosts)),
            "--master", f"{self.master_ip}:{self.master_port}", "--comm", self.comm,
            "--dataset", self.dataset, "--hidden", str(self.hidden),
            "--epochs", str(self.epochs), "--batch", str(self.batch), "--lr", str(self.lr),
            "--seed", str(self.seed), "--max-bucket-values", str(self.max_bucket_values),
            "--pg-timeout", str(self.pg_timeout), "--iface", f"{host}-eth0",
            "--out", str(workdir / f"{self.name}.rank{rank}.json"),
            "--params-out", str(workdir / f"{self.name}.rank{rank}.npy"),
        ]  # fmt: skip
        if self.sync_steps:
            cmd.append("--sync-steps")
        if self.job is not None:
            cmd += ["--job", str(workdir / f"{self.name}.job.json")]
        return cmd


def run_on_hosts(
    net: Any, spec: RunSpec, workdir: Path, timeout: float, target: float = 0.9
) -> dict[str, Any]:
    """Start every rank on its Mininet host, wait, and return :func:`summarize`'s record."""
    workdir.mkdir(parents=True, exist_ok=True)
    if spec.job is not None:
        (workdir / f"{spec.name}.job.json").write_text(json.dumps(spec.job) + "\n")
    procs = [
        net.host(h).popen(
            spec.command(r, workdir), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for r, h in enumerate(spec.hosts)
    ]
    outs: list[tuple[str, str]] = []
    try:
        for p in procs:
            outs.append(p.communicate(timeout=timeout))
    except subprocess.TimeoutExpired:
        for p in procs:
            p.kill()
        errs = [p.communicate()[1] for p in procs]
        raise RunFailed(
            f"run {spec.name}: not finished after {timeout:g} s; stderr:\n"
            + "\n".join(f"  rank {r}: {e.strip()[-500:]}" for r, e in enumerate(errs))
        ) from None
    bad = [
        (r, p.returncode, e)
        for r, (p, (_, e)) in enumerate(zip(procs, outs, strict=True))
        if p.returncode
    ]
    if bad:
        raise RunFailed(
            f"run {spec.name}: "
            + "; ".join(f"rank {r} exit {rc}: {e.strip()[-800:]}" for r, rc, e in bad)
        )
    return summarize(spec, workdir, target)


def summarize(spec: RunSpec, workdir: Path, target: float = 0.9) -> dict[str, Any]:
    """Figures of a finished run from its ranks' JSON and parameter files."""
    ranks = [
        json.loads((workdir / f"{spec.name}.rank{r}.json").read_text())
        for r in range(len(spec.hosts))
    ]
    params = [np.load(workdir / f"{spec.name}.rank{r}.npy") for r in range(len(spec.hosts))]
    divergence = max(float(np.max(np.abs(p - params[0]))) for p in params)
    r0 = ranks[0]["epochs"]
    iters = sum(e["iterations"] for e in r0)
    tta = next((e["elapsed"] for e in r0 if e["test_accuracy"] >= target), None)
    blocks = {
        k: sum(e[f"hook_{k}"] for rk in ranks for e in rk["epochs"])
        for k in ("exact", "partial", "missing")
    }
    return {
        "name": spec.name,
        "comm": spec.comm,
        "loss": spec.loss,
        **spec.labels,
        "workers": len(spec.hosts),
        "parameters": ranks[0]["parameters"],
        "epochs": len(r0),
        "final_accuracy": r0[-1]["test_accuracy"],
        "accuracy_per_epoch": [e["test_accuracy"] for e in r0],
        "elapsed_per_epoch": [e["elapsed"] for e in r0],
        "target_accuracy": target,
        "time_to_target": tta,
        "seconds_per_iteration": sum(e["seconds"] for e in r0) / iters,
        "hook_bytes_per_iteration": sum(e["hook_bytes_sent"] for e in r0) / iters,
        "iface_bytes_per_iteration": sum(e["iface_tx_bytes"] for e in r0) / iters,
        "retransmissions": sum(e["hook_retransmissions"] for rk in ranks for e in rk["epochs"]),
        "blocks": blocks,
        "ranks_identical": len({rk["param_digest"] for rk in ranks}) == 1,
        "max_param_divergence": divergence,
    }
