"""Training ranks as real processes on loopback: gloo, the hook through the PS,
and a rank that dies mid-epoch."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from inalab.hosts.ps import ParameterServer, PsJob
from inalab.training.errors import TrainingError
from inalab.training.train import TrainConfig

JOB = 7
ARGS = ["--dataset", "digits", "--hidden", "16", "--epochs", "1", "--batch", "64"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ranks(
    tmp: Path, tag: str, world: int, extra: list[str], per_rank: dict[int, list[str]] | None = None
) -> list[subprocess.Popen[str]]:
    port = _free_port()
    procs = []
    for r in range(world):
        cmd = [
            sys.executable, "-m", "inalab.training.train", "--rank", str(r),
            "--world", str(world), "--master", f"127.0.0.1:{port}", *ARGS, *extra,
            *(per_rank or {}).get(r, []),
            "--out", str(tmp / f"{tag}{r}.json"), "--params-out", str(tmp / f"{tag}{r}.npy"),
        ]  # fmt: skip
        procs.append(
            subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    return procs


def _wait(procs: list[subprocess.Popen[str]], timeout: float = 240) -> list[tuple[int, str]]:
    return [(p.wait(timeout=timeout), p.communicate()[1]) for p in procs]


def _job(tmp: Path, ps: ParameterServer, world: int, timeout: float = 20.0) -> Path:
    host, port = ps.address
    job = tmp / "job.json"
    job.write_text(
        json.dumps(
            {
                "job_id": JOB,
                "rank": 0,
                "n_workers": world,
                "server": f"{host}:{port}",
                "timeout": timeout,
            }
        )
    )
    return job


@pytest.mark.integration
def test_hook_through_the_ps_matches_gloo_and_keeps_ranks_identical(tmp_path: Path) -> None:
    with ParameterServer([PsJob(JOB, 2)], ("127.0.0.1", 0)) as ps:
        job = _job(tmp_path, ps, 2)
        procs = _ranks(tmp_path, "ina", 2, ["--comm", "ina", "--job", str(job)])
        procs += _ranks(tmp_path, "gloo", 2, ["--comm", "gloo"])
        done = _wait(procs)
    assert all(rc == 0 for rc, _ in done), done
    ina = [np.load(tmp_path / f"ina{r}.npy") for r in range(2)]
    gloo = [np.load(tmp_path / f"gloo{r}.npy") for r in range(2)]
    assert np.array_equal(ina[0], ina[1])  # the PS returned the same sum to both
    assert np.array_equal(gloo[0], gloo[1])
    # quantization error 2**(E-B) per value and step: far below the weights' scale
    assert float(np.max(np.abs(ina[0] - gloo[0]))) < 1e-4
    res = [json.loads((tmp_path / f"{t}0.json").read_text()) for t in ("ina", "gloo")]
    ep_ina, ep_gloo = res[0]["epochs"][0], res[1]["epochs"][0]
    assert ep_ina["iterations"] == ep_gloo["iterations"] == 12  # 1437 // 2 examples / 64
    assert abs(ep_ina["test_accuracy"] - ep_gloo["test_accuracy"]) < 0.02
    assert ep_ina["test_accuracy"] > 0.3  # learned something in one epoch
    assert ep_ina["hook_exact"] > 0 and ep_ina["hook_missing"] == 0
    # one float32 round per step: 1 / 32 lanes per value, ~2x for the exponent pipeline
    params = res[0]["parameters"]
    assert 12 * params * 4 <= ep_ina["hook_bytes_sent"] <= 12 * params * 4 * 4
    assert ep_gloo["hook_bytes_sent"] == 0


@pytest.mark.integration
def test_a_rank_that_dies_mid_epoch_fails_the_others_within_the_job_timeout(
    tmp_path: Path,
) -> None:
    with ParameterServer([PsJob(JOB, 2)], ("127.0.0.1", 0)) as ps:
        job = _job(tmp_path, ps, 2, timeout=3.0)
        t0 = time.monotonic()
        procs = _ranks(
            tmp_path, "ina", 2, ["--comm", "ina", "--job", str(job)], {1: ["--die-after", "3"]}
        )
        done = _wait(procs, timeout=120)
        took = time.monotonic() - t0
    (rc0, err0), (rc1, _) = done
    assert rc1 == 3  # the simulated crash
    assert rc0 == 1, err0
    assert "rank 0: gradient bucket allreduce" in err0
    assert "did not complete within the job's timeout 3 s: a worker died" in err0
    assert "Traceback" not in err0
    assert took < 60


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(TrainingError, match="comm 'ina' needs a job"):
        TrainConfig(rank=0, world=2, master="127.0.0.1:1", comm="ina")
    with pytest.raises(TrainingError, match="rank 2 / world 2"):
        TrainConfig(rank=2, world=2, master="127.0.0.1:1")
    with pytest.raises(TrainingError, match="--master"):
        TrainConfig(rank=0, world=1, master="127.0.0.1:99999")


def test_train_command_reports_a_bad_job_file_in_one_line(tmp_path: Path) -> None:
    job = tmp_path / "job.json"
    job.write_text('{"job_id": 1, "n_workers": 2, "server": "127.0.0.1", "bogus": 1}')
    r = subprocess.run(
        [sys.executable, "-m", "inalab.training.train", "--rank", "0", "--world", "2",
         "--master", "127.0.0.1:1", "--comm", "ina", "--job", str(job)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert "unknown key(s) ['bogus']" in r.stderr and "Traceback" not in r.stderr
