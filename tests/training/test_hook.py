"""The DDP hook in one process (a gloo group of one) against the PS's real
aggregation logic, through an in-process transport."""

from __future__ import annotations

import datetime
import socket
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch  # the torch extra is required here: a missing torch fails these tests
import torch.distributed as dist

from inalab.hosts.config import JobConfig
from inalab.hosts.ps import Aggregator, PsJob
from inalab.hosts.transport import QueueTransport
from inalab.hosts.worker import Worker
from inalab.training.errors import BucketTooLargeError, PeerFailureError, TrainingError
from inalab.training.hook import InaCommHook, ina_allreduce_hook


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def group() -> Iterator[None]:
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0, world_size=1,
        timeout=datetime.timedelta(seconds=30),
    )  # fmt: skip
    try:
        yield
    finally:
        dist.destroy_process_group()


def _worker(answer: bool = True, **cfg: Any) -> Worker:
    job = JobConfig(job_id=7, rank=0, n_workers=1, server="127.0.0.1", **cfg)
    agg = Aggregator.for_jobs([PsJob(7, 1)])

    def deliver(payload: bytes, tos: int, path: int) -> None:
        if answer:
            for _dst, out in agg.handle(payload, ("127.0.0.1", 1000 + path)):
                t.put(out)

    t = QueueTransport(deliver)
    return Worker(job, t)


def _model(seed: int = 0, width: int = 16) -> Any:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(8, width), torch.nn.ReLU(), torch.nn.Linear(width, 3)
    )


def _step(ddp: Any) -> None:
    torch.manual_seed(1)
    x, y = torch.randn(32, 8), torch.randint(0, 3, (32,))
    ddp.zero_grad()
    torch.nn.functional.cross_entropy(ddp(x), y).backward()


def test_hook_returns_the_bucket_within_the_quantization_bound(group: None) -> None:
    ref = torch.nn.parallel.DistributedDataParallel(_model())
    _step(ref)
    model = _model()
    hook = InaCommHook(_worker(), world_size=1, max_bucket_values=4096)
    ddp = torch.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=hook.bucket_cap_mb)
    hook.register(ddp)
    _step(ddp)
    step = hook.end_step()
    assert step.buckets >= 1 and step.values == sum(p.numel() for p in model.parameters())
    assert step.exact > 0 and step.partial == step.missing == 0 and step.bytes_sent > 0
    for p, q in zip(model.parameters(), ref.module.parameters(), strict=True):
        g, h = p.grad.numpy(), q.grad.numpy()
        # one worker: error per value at most 2**(E-B), E the block's max exponent
        assert np.max(np.abs(g - h)) <= np.max(np.abs(h)) * 2.0**-29 + 1e-12
    assert hook.steps == [step]


def test_parameter_larger_than_the_job_bucket_size_is_refused(group: None) -> None:
    hook = InaCommHook(_worker(), world_size=1, max_bucket_values=100)
    ddp = torch.nn.parallel.DistributedDataParallel(_model(width=16))
    with pytest.raises(BucketTooLargeError, match=r"parameter '0.weight' has 128 values.*=100"):
        hook.register(ddp)


def test_bucket_larger_than_the_job_size_fails_the_backward_clearly(group: None) -> None:
    hook = InaCommHook(_worker(), world_size=1, max_bucket_values=200)
    ddp = torch.nn.parallel.DistributedDataParallel(_model(width=16))  # one bucket of 195
    ddp.register_comm_hook(hook, ina_allreduce_hook)
    hook.max_bucket_values = 100  # the parameters fit, the bucket does not
    with pytest.raises(RuntimeError, match="bucket of 195 values exceeds"):
        _step(ddp)
    assert isinstance(hook.error, BucketTooLargeError)


def test_no_answer_is_a_peer_failure_within_the_job_timeout(group: None) -> None:
    hook = InaCommHook(_worker(answer=False, timeout=0.5), world_size=1, max_bucket_values=4096)
    ddp = torch.nn.parallel.DistributedDataParallel(_model())
    hook.register(ddp)
    with pytest.raises(RuntimeError, match=r"did not complete within the job's timeout 0\.5 s"):
        _step(ddp)
    assert isinstance(hook.error, PeerFailureError)


def test_world_size_must_match_the_job() -> None:
    with pytest.raises(TrainingError, match="differs from the job's n_workers 1"):
        InaCommHook(_worker(), world_size=2, max_bucket_values=10)
