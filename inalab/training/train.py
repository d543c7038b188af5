"""One rank of a DDP training run: gloo allreduce or the inalab hook for the gradients.

    python -m inalab.training.train --rank 0 --world 2 --master 10.0.1.1:29500 \\
        --comm ina --job job.json --epochs 5 --out rank0.json

Every rank builds the same model from the seed, trains on its shard of the
dataset and evaluates the full test set after each epoch. The result (JSON) has
per epoch: iterations, seconds per iteration, bytes sent (by the hook, and by
the interface when ``--iface`` is given), blocks exact/partial/missing, train
loss and test accuracy; and a digest of the final parameters (identical on
every rank when the run was exact). Exit codes: 0 done, 1 the run failed (a
peer died, a timeout), 2 bad arguments or configuration (one line on stderr).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from inalab.hosts.config import JobConfig, parse_address
from inalab.hosts.errors import ConfigError
from inalab.training import data as datasets
from inalab.training.deps import require_torch
from inalab.training.errors import PeerFailureError, TrainingError, UsageError

COMMS = ("gloo", "ina")


@dataclass(frozen=True)
class TrainConfig:
    """One rank's run. ``job`` (a JobConfig JSON file) is required with ``comm='ina'``."""

    rank: int
    world: int
    master: str  # host:port of the gloo TCP store (rank 0 listens there)
    comm: str = "gloo"
    job: str | None = None
    dataset: str = "digits"
    hidden: int = 64
    epochs: int = 5
    batch: int = 32
    lr: float = 0.05
    momentum: float = 0.9
    seed: int = 0
    max_bucket_values: int = 1 << 16
    pg_timeout: float = 60.0  # gloo process group timeout (s)
    iface: str | None = None  # count this interface's tx bytes per epoch
    sync_steps: bool = False  # gloo barrier before each step: ranks start each round together
    die_after: int = 0  # test aid: this rank exits abruptly after that many steps (0: never)

    def __post_init__(self) -> None:
        if self.world < 1 or not 0 <= self.rank < self.world:
            raise UsageError(f"rank {self.rank} / world {self.world}: need 0 <= rank < world")
        try:
            parse_address(self.master, 29500)
        except ConfigError as e:
            raise UsageError(f"--master: {e}") from None
        if self.comm not in COMMS:
            raise UsageError(f"comm {self.comm!r}: choose one of {COMMS}")
        if self.comm == "ina" and not self.job:
            raise UsageError("comm 'ina' needs a job config file (--job)")
        if self.dataset not in datasets.DATASETS:
            raise UsageError(f"dataset {self.dataset!r}: choose one of {datasets.DATASETS}")
        for name in ("hidden", "epochs", "batch", "max_bucket_values"):
            if getattr(self, name) < 1:
                raise UsageError(f"{name} {getattr(self, name)} must be >= 1")
        if not self.lr > 0 or not 0 <= self.momentum < 1 or not self.pg_timeout > 0:
            raise UsageError("lr must be > 0, momentum in [0, 1), pg_timeout > 0")
        if self.die_after < 0:
            raise UsageError("die_after must be >= 0")


def _tx_bytes(iface: str | None) -> int:
    if not iface:
        return 0
    try:
        return int(Path(f"/sys/class/net/{iface}/statistics/tx_bytes").read_text())
    except OSError as e:
        raise UsageError(f"--iface {iface}: cannot read its counters: {e.strerror}") from None


def param_vector(model: Any) -> np.ndarray:
    """All parameters, flattened into one float32 array (rank-comparable)."""
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


def run(cfg: TrainConfig, params_out: Path | None = None) -> dict[str, Any]:
    """Train; return the result record. Raises :class:`TrainingError`."""
    torch = require_torch()
    import torch.distributed as dist

    from inalab.training.model import mlp

    job: JobConfig | None = None
    if cfg.comm == "ina":
        assert cfg.job is not None
        try:
            job = JobConfig.from_json(cfg.job, rank=cfg.rank)
        except ConfigError as e:
            raise UsageError(str(e)) from None
        if job.n_workers != cfg.world:
            raise UsageError(f"{cfg.job}: n_workers {job.n_workers} != --world {cfg.world}")
    split = datasets.load(cfg.dataset, seed=cfg.seed)
    x_np, y_np = split.shard(cfg.rank, cfg.world)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    x_test, y_test = torch.from_numpy(split.x_test), torch.from_numpy(split.y_test)
    torch.set_num_threads(1)

    if cfg.iface:
        os.environ.setdefault("GLOO_SOCKET_IFNAME", cfg.iface)
    host, port = parse_address(cfg.master, 29500)
    try:
        dist.init_process_group(
            "gloo",
            init_method=f"tcp://{host}:{port}",
            rank=cfg.rank,
            world_size=cfg.world,
            timeout=datetime.timedelta(seconds=cfg.pg_timeout),
        )
    except (RuntimeError, ValueError) as e:
        raise TrainingError(f"gloo process group via {cfg.master}: {e}") from None
    worker = None
    try:
        model = mlp(split.features, cfg.hidden, split.classes, cfg.seed)
        hook = None
        if job is not None:
            from inalab.hosts.worker import Worker
            from inalab.training.hook import InaCommHook

            worker = Worker(job)
            hook = InaCommHook(worker, cfg.world, cfg.max_bucket_values)
            hook.check_model(model)
            ddp = torch.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=hook.bucket_cap_mb)
            hook.register(ddp)
        else:
            ddp = torch.nn.parallel.DistributedDataParallel(
                model, bucket_cap_mb=cfg.max_bucket_values * 4 / (1024 * 1024)
            )
        opt = torch.optim.SGD(ddp.parameters(), lr=cfg.lr, momentum=cfg.momentum)
        loss_fn = torch.nn.CrossEntropyLoss()
        gen = torch.Generator().manual_seed(cfg.seed + 1)  # same batch order on every rank
        epochs: list[dict[str, Any]] = []
        t_start = time.monotonic()
        steps = 0
        for epoch in range(1, cfg.epochs + 1):
            order = torch.randperm(len(x), generator=gen)
            tx0 = _tx_bytes(cfg.iface)
            t0 = time.monotonic()
            loss_sum, iters = 0.0, 0
            traffic = {
                "bytes_sent": 0,
                "retransmissions": 0,
                "exact": 0,
                "partial": 0,
                "missing": 0,
            }
            for i in range(0, len(x), cfg.batch):
                idx = order[i : i + cfg.batch]
                if cfg.sync_steps:
                    try:
                        dist.barrier()
                    except RuntimeError as e:
                        raise PeerFailureError(f"step barrier: {e}") from None
                opt.zero_grad()
                loss = loss_fn(ddp(x[idx]), y[idx])
                try:
                    loss.backward()
                except RuntimeError as e:
                    if hook is not None and hook.error is not None:
                        raise hook.error from None
                    raise PeerFailureError(f"gradient allreduce failed: {e}") from None
                opt.step()
                if hook is not None:
                    st = hook.end_step()
                    for k in traffic:
                        traffic[k] += getattr(st, k)
                loss_sum += float(loss.detach())
                iters += 1
                steps += 1
                if cfg.die_after and steps >= cfg.die_after:
                    os._exit(3)  # simulate a crash: no clean-up, no goodbye to the peers
            seconds = time.monotonic() - t0
            with torch.no_grad():
                acc = float((model(x_test).argmax(dim=1) == y_test).float().mean())
            epochs.append(
                {
                    "epoch": epoch,
                    "iterations": iters,
                    "seconds": seconds,
                    "seconds_per_iteration": seconds / iters,
                    "elapsed": time.monotonic() - t_start,
                    "train_loss": loss_sum / iters,
                    "test_accuracy": acc,
                    "iface_tx_bytes": _tx_bytes(cfg.iface) - tx0,
                    **{f"hook_{k}": v for k, v in traffic.items()},
                }
            )
        try:
            dist.barrier()
        except RuntimeError as e:
            raise PeerFailureError(f"final barrier: {e}") from None
        params = param_vector(model)
        if params_out is not None:
            np.save(params_out, params)
        return {
            "config": asdict(cfg),
            "parameters": int(params.size),
            "param_digest": hashlib.sha256(params.tobytes()).hexdigest(),
            "final_accuracy": epochs[-1]["test_accuracy"],
            "seconds": time.monotonic() - t_start,
            "epochs": epochs,
        }
    finally:
        if worker is not None:
            worker.close()
        dist.destroy_process_group()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m inalab.training.train", description=__doc__.split("\n")[0]
    )
    p.add_argument("--rank", type=int, required=True)
    p.add_argument("--world", type=int, required=True)
    p.add_argument("--master", required=True, help="host:port of the gloo rendezvous (rank 0)")
    p.add_argument("--comm", choices=COMMS, default="gloo")
    p.add_argument("--job", help="inalab job config (JSON) for --comm ina")
    p.add_argument("--dataset", choices=datasets.DATASETS, default="digits")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-bucket-values", type=int, default=1 << 16)
    p.add_argument("--pg-timeout", type=float, default=60.0)
    p.add_argument("--iface", help="interface whose tx bytes are counted (and gloo uses)")
    p.add_argument(
        "--sync-steps",
        action="store_true",
        help="gloo barrier before each step, so every rank's round deadline starts together",
    )
    p.add_argument("--die-after", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help="result JSON (default: stdout)")
    p.add_argument("--params-out", type=Path, help="final parameters (.npy)")
    a = p.parse_args(argv)
    try:
        cfg = TrainConfig(
            rank=a.rank, world=a.world, master=a.master, comm=a.comm, job=a.job,
            dataset=a.dataset, hidden=a.hidden, epochs=a.epochs, batch=a.batch, lr=a.lr,
            seed=a.seed, max_bucket_values=a.max_bucket_values, pg_timeout=a.pg_timeout,
            iface=a.iface, sync_steps=a.sync_steps, die_after=a.die_after,
        )  # fmt: skip
        result = run(cfg, a.params_out)
    except (UsageError, ConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except PeerFailureError as e:
        print(f"error: rank {a.rank}: {e}", file=sys.stderr)
        return 1
    except TrainingError as e:
        print(f"error: rank {a.rank}: {e}", file=sys.stderr)
        return 1
    text = json.dumps(result, indent=1)
    if a.out:
        a.out.write_text(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
