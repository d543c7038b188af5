"""The training scenarios in Mininet: gloo vs the inalab hook, and loss tolerance.

    python -m inalab.training.experiment --preset small --out results/training

One single-rack network (:func:`training_rack`, the switch running
``p4src/ina.p4``) serves every run; each INA run gets its own job id and its
own region of aggregator slots, so runs never share switch state.

1. ``gloo``: DDP with gloo's allreduce over the emulated links (TCP through
   the switch's L3 forwarding).
2. ``ina-loss0``: the same training with the gradients aggregated in the switch.
3. ``ina-lossP`` for each loss P: the P4 drop simulator drops INA contributions
   of that job with probability P (every worker link, uplink direction); the
   job's loss bound tolerates P (:func:`loss_bound`) and its deadline is a
   multiple of the lossless run's iteration time.
4. ``--part congestion``: importance-aware vs uniform drop on slow egress
   queues (:mod:`inalab.training.congestion`).

Results: ``<out>/<run>.rank<r>.json`` per rank, ``summary.json``,
``table.md`` and ``accuracy.png`` (test accuracy against wall time).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from inalab.protocol import format as fmt
from inalab.topologies.builders import gateway_mac, host_ip, host_mac
from inalab.topologies.errors import TopologiesError
from inalab.topologies.spec import HostSpec, Link, LinkProfile, SwitchSpec, Topology
from inalab.training.congestion import CongestionConfig, run_congestion
from inalab.training.congestion import table as congestion_table
from inalab.training.errors import TrainingError, UsageError
from inalab.training.runs import RunFailed, RunSpec, run_on_hosts, summarize

PREFIX = "tr"  # node names trh1.., trs1, trps: apart from the other scenarios' networks
GRPC_PORT, THRIFT_PORT = 50151, 9190  # away from the defaults other networks use


@dataclass(frozen=True)
class ExperimentConfig:
    workers: int = 4
    epochs: int = 10
    hidden: int = 64
    batch: int = 32
    lr: float = 0.05
    dataset: str = "digits"
    seed: int = 0
    slots: int = 64
    losses: tuple[float, ...] = (0.0, 0.1, 0.2, 0.35)
    deadline_factor: float = 8.0  # deadline = factor x the lossless run's mean iteration time
    min_deadline: float = 3.0
    job_timeout: float = 30.0  # per allreduce round: a dead peer is reported after this
    rto: float = 0.05
    target_accuracy: float = 0.9
    run_timeout: float = 1200.0  # a whole run
    with_gloo: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= 8:
            raise UsageError(f"workers {self.workers} out of 1..8")
        if not self.losses or any(not 0.0 <= p < 1.0 for p in self.losses):
            raise UsageError(f"losses {self.losses}: each in [0, 1)")
        if self.losses[0] != 0.0:
            raise UsageError("losses must start with 0.0 (the lossless reference)")
        if self.slots * len(self.losses) > 1024:
            raise UsageError("slots x runs exceeds the program's 1024 aggregator slots")
        for name in ("epochs", "hidden", "batch", "slots"):
            if getattr(self, name) < 1:
                raise UsageError(f"{name} must be >= 1")
        if not 0.0 < self.target_accuracy <= 1.0:
            raise UsageError("target_accuracy out of (0, 1]")


PRESETS = {
    "full": ExperimentConfig(),
    "small": ExperimentConfig(
        workers=2,
        epochs=2,
        hidden=16,
        losses=(0.0, 0.2),
        target_accuracy=0.5,
        job_timeout=20.0,
        run_timeout=400.0,
    ),
}


def job_dict(
    cfg: ExperimentConfig, job_id: int, server: str, loss: float, deadline: float
) -> dict[str, Any]:
    d: dict[str, Any] = {
        "job_id": job_id,
        "rank": 0,
        "n_workers": cfg.workers,
        "server": f"{server}:{fmt.INA_UDP_PORT}",
        "via": "switch",
        "slots": cfg.slots,
        "timeout": cfg.job_timeout,
        "rto": cfg.rto,
        "paths": 2,
        "multicast_group": job_id,
    }
    if loss > 0:
        d["loss_bound"] = loss_bound(loss)
        d["deadline"] = deadline
    return d


def loss_bound(loss: float) -> float:
    """The job's loss bound for a contribution loss rate: 0.9 whatever the rate.

    Through the switch a worker that gives a block up zero-fills it locally and
    moves on (the P4 program has no flush), so a peer that still waits for that
    block (its contribution was lost) can only finish by giving it up too: its
    budget must not run out first, or it waits until the job's timeout. The
    bound only caps what a worker may give up after the deadline; the deadline
    decides how much retransmission recovers first. (With a bound of twice the
    rate, 4 workers sharing 2 cores stranded a slow rank at 10% loss: its peers
    had given up the slots it still needed.)"""
    return 0.9 if loss > 0 else 0.0


def run_spec(
    cfg: ExperimentConfig,
    hosts: tuple[str, ...],
    name: str,
    comm: str,
    master: str,
    port: int,
    *,
    job: dict[str, Any] | None = None,
    loss: float = 0.0,
) -> RunSpec:
    lossy = job is not None and job.get("loss_bound", 0.0) > 0
    return RunSpec(
        name=name, comm=comm, hosts=hosts, master_ip=master, master_port=port,
        epochs=cfg.epochs, hidden=cfg.hidden, batch=cfg.batch, lr=cfg.lr, dataset=cfg.dataset,
        seed=cfg.seed, job=job, loss=loss, sync_steps=lossy,
    )  # fmt: skip


def training_rack(workers: int, *, grpc_port: int = GRPC_PORT, prefix: str = PREFIX) -> Topology:
    """``single_rack`` with names of its own (``<prefix>h1..``, ``<prefix>s1``,
    ``<prefix>ps``) and its own ports, so it can run beside other networks."""
    sw = f"{prefix}s1"
    switch = SwitchSpec(sw, 0, grpc_port, "ina", router_mac=gateway_mac(1))
    hosts = [
        HostSpec(f"{prefix}h{i}", host_ip(1, i), host_mac(1, i), "worker", i - 1)
        for i in range(1, workers + 1)
    ]
    hosts.append(HostSpec(f"{prefix}ps", host_ip(1, 100), host_mac(1, 100), "ps"))
    links = [Link.between(h.name, sw, LinkProfile(), port_b=i) for i, h in enumerate(hosts, 1)]
    return Topology("training-rack", tuple(hosts), (switch,), tuple(links), "training rack")


def run_experiment(
    cfg: ExperimentConfig,
    out: Path,
    *,
    seed: int = 0,
    grpc_port: int = GRPC_PORT,
    thrift_port: int = THRIFT_PORT,
) -> list[dict[str, Any]]:
    """Build the network, run every training, return the runs' summaries (also written)."""
    from inalab.scenarios.testbed import Testbed

    out.mkdir(parents=True, exist_ok=True)
    topo = training_rack(cfg.workers, grpc_port=grpc_port)
    hosts = tuple(h.name for h in topo.hosts if h.role == "worker")
    summaries: list[dict[str, Any]] = []
    with Testbed(
        topo, workdir=out, build_dir=out / "build", log_dir=out / "logs", seed=seed,
        thrift_base_port=thrift_port,
    ) as tb:  # fmt: skip
        master = tb.ip(hosts[0])
        server = tb.ip(topo.switches[0].name.replace("s1", "ps"))
        port = 29500

        def one(spec: RunSpec) -> dict[str, Any]:
            print(f"run {spec.name} ...", file=sys.stderr, flush=True)
            s = run_on_hosts(tb.net, spec, out, cfg.run_timeout, cfg.target_accuracy)
            print(
                f"run {spec.name}: accuracy {s['final_accuracy']:.3f}, "
                f"{s['seconds_per_iteration'] * 1e3:.0f} ms/iteration",
                file=sys.stderr, flush=True,
            )  # fmt: skip
            summaries.append(s)
            return s

        if cfg.with_gloo:
            port += 1
            one(run_spec(cfg, hosts, "gloo", "gloo", master, port))
        deadline = cfg.min_deadline
        for i, loss in enumerate(cfg.losses):
            job_id = 10 + i
            tb.place_rack_job(job_id, hosts, slots=cfg.slots, base=i * cfg.slots)
            if loss > 0:
                tb.programmer.drop_simulator(topo.switches[0].name, loss, job=job_id)
            port += 1
            job = job_dict(cfg, job_id, server, loss, deadline)
            name = f"ina-loss{round(loss * 100)}"
            spec = run_spec(cfg, hosts, name, "ina", master, port, job=job, loss=loss)
            if loss > 0:
                try:
                    one(spec)
                except RunFailed as e:  # recorded in the table; the next loss rate still runs
                    print(f"run {name}: FAILED: {e}", file=sys.stderr, flush=True)
                    summaries.append(failed_run(spec, str(e)))
                continue
            s = one(spec)
            if loss == 0:
                per_round = _round_seconds(out, "ina-loss0", cfg.workers)
                deadline = max(cfg.min_deadline, cfg.deadline_factor * per_round)
                s["deadline_for_lossy_runs"] = deadline
    write_report(summaries, cfg, out)
    return summaries


def failed_run(spec: RunSpec, error: str) -> dict[str, Any]:
    """The summary row of a run that failed: which, why (the first rank's error)."""
    lines = [ln for ln in error.splitlines() if ln.startswith("error:")]
    first = next((ln for ln in lines if "did not complete" in ln), lines[0] if lines else error)
    return {"name": spec.name, "comm": spec.comm, "loss": spec.loss, "failed": first[:400]}


def summaries_from_files(cfg: ExperimentConfig, out: Path) -> list[dict[str, Any]]:
    """Summaries of the runs whose every rank left its result in ``out`` (re-report)."""
    hosts = tuple(h.name for h in training_rack(cfg.workers).hosts if h.role == "worker")
    names = (["gloo"] if cfg.with_gloo else []) + [f"ina-loss{round(p * 100)}" for p in cfg.losses]
    rows = []
    for name, loss in zip(names, ([0.0] if cfg.with_gloo else []) + list(cfg.losses), strict=True):
        spec = run_spec(cfg, hosts, name, "gloo" if name == "gloo" else "ina", "", 1, loss=loss,
                        job={} if name != "gloo" else None)  # fmt: skip
        if all((out / f"{name}.rank{r}.json").exists() for r in range(cfg.workers)):
            rows.append(summarize(spec, out, cfg.target_accuracy))
        else:
            rows.append(failed_run(spec, "no result (the run failed or did not run)"))
    return rows


def _round_seconds(out: Path, name: str, workers: int) -> float:
    """Mean seconds of one hook allreduce round in a finished run (rank 0)."""
    ep = json.loads((out / f"{name}.rank0.json").read_text())["epochs"]
    iters = sum(e["iterations"] for e in ep)
    return sum(e["seconds"] for e in ep) / max(iters, 1)


def table(summaries: list[dict[str, Any]]) -> str:
    ref = next((s for s in summaries if s["name"] == "ina-loss0"), None)
    lines = [
        "| run | loss | final accuracy | Δ vs lossless | time to target (s) | ms/iteration "
        "| KB sent/iteration/worker | blocks exact/partial/missing | ranks identical |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        if "failed" in s:
            lines.append(f"| {s['name']} | {s['loss']:.0%} | failed: {s['failed']} |||||||")
            continue
        delta = s["final_accuracy"] - ref["final_accuracy"] if ref else math.nan
        tta = "never" if s["time_to_target"] is None else f"{s['time_to_target']:.1f}"
        sent = s["hook_bytes_per_iteration"] or s["iface_bytes_per_iteration"]
        b = s["blocks"]
        same = "yes" if s["ranks_identical"] else f"no (max Δ {s['max_param_divergence']:.2g})"
        lines.append(
            f"| {s['name']} | {s['loss']:.0%} | {s['final_accuracy']:.3f} | {delta:+.3f} | {tta} "
            f"| {s['seconds_per_iteration'] * 1e3:.0f} | {sent / 1024:.1f} "
            f"| {b['exact']}/{b['partial']}/{b['missing']} | "
            f"{same} |"
        )
    return "\n".join(lines) + "\n"


def write_report(summaries: list[dict[str, Any]], cfg: ExperimentConfig, out: Path) -> None:
    (out / "summary.json").write_text(
        json.dumps({"config": asdict(cfg), "runs": summaries}, indent=1) + "\n"
    )
    target = f"target accuracy {cfg.target_accuracy:.0%}"
    (out / "table.md").write_text(f"Training experiment ({target}).\n\n" + table(summaries))
    plot(summaries, out / "accuracy.png")


def plot(summaries: list[dict[str, Any]], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise TrainingError("the plot needs matplotlib: pip install 'inalab[dev]'") from None
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for s in summaries:
        if "failed" in s:
            continue
        ax.plot(s["elapsed_per_epoch"], s["accuracy_per_epoch"], marker="o", label=s["name"])
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"DDP on digits, {summaries[0]['workers']} workers")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m inalab.training.experiment", description=__doc__.split("\n")[0]
    )
    p.add_argument("--preset", choices=sorted(PRESETS), default="small")
    p.add_argument("--part", choices=("loss", "congestion", "all"), default="loss")
    p.add_argument("--out", type=Path, default=Path("results/training"))
    p.add_argument("--workers", type=int)
    p.add_argument("--epochs", type=int)
    p.add_argument("--hidden", type=int)
    p.add_argument("--losses", help="comma-separated, starting with 0 (e.g. 0,0.1,0.2,0.35)")
    p.add_argument("--no-gloo", action="store_true")
    p.add_argument("--queue-rate", type=int, help="congestion: packets/s per port")
    p.add_argument("--deadline", type=float, help="congestion: seconds per round")
    p.add_argument(
        "--report-only", action="store_true", help="re-make the loss report from --out's files"
    )
    p.add_argument("--grpc-port", type=int, default=GRPC_PORT)
    p.add_argument("--thrift-port", type=int, default=THRIFT_PORT)
    a = p.parse_args(argv)
    prog = p.prog
    try:
        for flag, port in (("--grpc-port", a.grpc_port), ("--thrift-port", a.thrift_port)):
            if not 1024 <= port < 65536:
                raise UsageError(f"{flag} {port}: must be in 1024..65535")
        if a.out.exists() and not a.out.is_dir():
            raise UsageError(f"--out {a.out}: not a directory")
        if a.report_only and not any(a.out.glob("*.rank*.json")):
            raise UsageError(f"--out {a.out}: no run results (NAME.rankN.json) to report")
        cfg = PRESETS[a.preset]
        over: dict[str, Any] = {}
        if a.workers is not None:
            over["workers"] = a.workers
        if a.epochs is not None:
            over["epochs"] = a.epochs
        if a.hidden is not None:
            over["hidden"] = a.hidden
        if a.losses:
            try:
                over["losses"] = tuple(float(x) for x in a.losses.split(","))
            except ValueError:
                raise UsageError(f"--losses {a.losses!r}: not a list of numbers") from None
        if a.no_gloo:
            over["with_gloo"] = False
        cfg = replace(cfg, **over)
        cong = CongestionConfig()
        if a.queue_rate is not None:
            cong = replace(cong, rate=a.queue_rate)
        if a.deadline is not None:
            cong = replace(cong, deadline=a.deadline)
        ports = {"grpc_port": a.grpc_port, "thrift_port": a.thrift_port}
        if a.report_only:
            summaries = summaries_from_files(cfg, a.out)
            write_report(summaries, cfg, a.out)
            print(table(summaries), end="")
        elif a.part in ("loss", "all"):
            summaries = run_experiment(cfg, a.out, **ports)
            print(table(summaries), end="")
        if a.part in ("congestion", "all"):
            a.out.mkdir(parents=True, exist_ok=True)
            rows = run_congestion(cfg, cong, a.out, **ports)
            (a.out / "congestion.json").write_text(
                json.dumps({"config": asdict(cfg), "congestion": asdict(cong), "runs": rows},
                           indent=1) + "\n"
            )  # fmt: skip
            text = congestion_table(rows)
            (a.out / "congestion.md").write_text(
                f"Congestion: {cong.rate} packets/s per port, queues of {cong.depth}, "
                f"deadline {cong.deadline:g} s.\n\n" + text
            )
            print(text, end="")
    except RunFailed as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except UsageError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except (TrainingError, TopologiesError) as e:  # TopologiesError: not root, no Mininet
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        print(f"{prog}: error: {where}{e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
