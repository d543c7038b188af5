"""DDP communication hook: every gradient bucket goes through an inalab worker's
``allreduce`` (the switch's aggregator slots or the PS), and comes back averaged.

    ddp = DistributedDataParallel(model, process_group=gloo_group)
    hook = InaCommHook(Worker(job_config), world_size=n, max_bucket_values=cap)
    hook.register(ddp)

gloo stays the process group for everything else (the initial parameter
broadcast, barriers); only the gradient buckets take the INA path. The
allreduce runs synchronously inside the hook (one worker round per bucket, in
bucket order, identical on every rank) and the returned future is already
complete. The bucket's flat float32 tensor is used in place through a
zero-copy numpy view: no Python loop over gradient values.

This module imports torch: without it the import raises
:class:`~inalab.training.errors.MissingExtraError` naming the extra.
"""

# No ``from __future__ import annotations`` here: DDP compares the hook's
# ``bucket`` and return annotations with the real classes.

import time
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from inalab.hosts.errors import AllreduceTimeout, HostsError
from inalab.hosts.stats import RoundStats
from inalab.hosts.worker import Worker
from inalab.training.deps import require_torch
from inalab.training.errors import BucketTooLargeError, PeerFailureError, TrainingError

require_torch()
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402


@dataclass
class StepTraffic:
    """What the hook did for one optimizer step (all buckets of one backward)."""

    buckets: int = 0
    values: int = 0
    bytes_sent: int = 0
    packets_sent: int = 0
    retransmissions: int = 0
    exact: int = 0
    partial: int = 0
    missing: int = 0
    seconds: float = 0.0

    def add(self, s: RoundStats) -> None:
        self.buckets += 1
        self.values += s.values
        self.bytes_sent += s.bytes_sent
        self.packets_sent += s.packets_sent
        self.retransmissions += s.retransmissions
        self.exact += s.exact
        self.partial += s.partial
        self.missing += s.missing
        self.seconds += s.elapsed


@dataclass
class InaCommHook:
    """The hook's state: the worker agent, the job size, and traffic counters.

    ``max_bucket_values``: the job's configured bucket size in float32 values;
    a bucket above it is refused with :class:`BucketTooLargeError` (DDP makes a
    bucket larger than ``bucket_cap_mb`` when one parameter is larger, so
    :meth:`register` checks the parameters first).
    """

    worker: Worker
    world_size: int
    max_bucket_values: int
    steps: list[StepTraffic] = field(default_factory=list)
    error: TrainingError | None = None  # the last failure (DDP re-raises it as RuntimeError)
    _current: StepTraffic = field(default_factory=StepTraffic)

    def __post_init__(self) -> None:
        if self.world_size < 1:
            raise TrainingError(f"world_size {self.world_size} must be >= 1")
        if self.world_size != self.worker.config.n_workers:
            raise TrainingError(
                f"world_size {self.world_size} differs from the job's n_workers "
                f"{self.worker.config.n_workers}"
            )
        if self.max_bucket_values < 1:
            raise TrainingError(f"max_bucket_values {self.max_bucket_values} must be >= 1")

    @property
    def bucket_cap_mb(self) -> float:
        """``bucket_cap_mb`` for DDP that keeps its buckets within the job's size."""
        return self.max_bucket_values * 4 / (1024 * 1024)

    def check_model(self, model: torch.nn.Module) -> None:
        """Refuse a model with a parameter larger than a bucket may be, or not float32."""
        for name, p in model.named_parameters():
            if not p.requires_grad:
                continue
            if p.dtype != torch.float32:
                raise TrainingError(
                    f"parameter {name!r} is {p.dtype}; the INA hook reduces float32 gradients"
                )
            if p.numel() > self.max_bucket_values:
                raise BucketTooLargeError(
                    f"parameter {name!r} has {p.numel()} values, more than the job's bucket "
                    f"size max_bucket_values={self.max_bucket_values}: raise the job's bucket "
                    f"size or split the layer"
                )

    def register(self, ddp: torch.nn.parallel.DistributedDataParallel) -> None:
        self.check_model(ddp.module)
        ddp.register_comm_hook(self, ina_allreduce_hook)

    def end_step(self) -> StepTraffic:
        """Close the current step's counters (call after ``optimizer.step()``)."""
        done, self._current = self._current, StepTraffic()
        self.steps.append(done)
        return done

    def reduce(self, flat: torch.Tensor) -> torch.Tensor:
        """Average ``flat`` (1-D float32, contiguous, CPU) over the job in place."""
        n = flat.numel()
        if n > self.max_bucket_values:
            raise BucketTooLargeError(
                f"gradient bucket of {n} values exceeds the job's bucket size "
                f"max_bucket_values={self.max_bucket_values}"
            )
        view = flat.detach().numpy()  # zero-copy: shares the bucket's memory
        t0 = time.monotonic()
        try:
            total = self.worker.allreduce(view)
        except AllreduceTimeout as e:
            raise PeerFailureError(
                f"gradient bucket allreduce ({n} values) did not complete within the job's "
                f"timeout {self.worker.config.timeout:g} s: a worker died or hangs ({e})"
            ) from None
        except HostsError as e:
            raise TrainingError(f"gradient bucket allreduce failed: {e}") from None
        np.multiply(total, np.float32(1.0 / self.world_size), out=view)
        if self.worker.last_stats is not None:
            self._current.add(self.worker.last_stats)
        else:  # pragma: no cover - the worker always records a round
            self._current.seconds += time.monotonic() - t0
        return flat


def ina_allreduce_hook(state: Any, bucket: dist.GradBucket) -> torch.futures.Future[torch.Tensor]:
    """DDP comm hook: the bucket's buffer averaged through ``state`` (an :class:`InaCommHook`)."""
    fut: torch.futures.Future[torch.Tensor] = torch.futures.Future()
    try:
        fut.set_result(state.reduce(bucket.buffer()))
    except TrainingError as e:
        state.error = e
        cast(Any, fut).set_exception(e)  # torch's stub types the argument as a Tensor
    except Exception as e:  # anything else still completes the future: DDP must not hang
        state.error = TrainingError(f"gradient bucket allreduce failed: {type(e).__name__}: {e}")
        cast(Any, fut).set_exception(e)
    return fut
