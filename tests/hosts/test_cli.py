"""inalab-worker and inalab-ps: real processes over loopback, and clean errors."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from inalab.hosts.cli import ps_main, worker_main

from .relay import LossyRelay

BIN = Path(sys.executable).parent


def write_job(tmp: Path, port: int, **kw: object) -> Path:
    cfg = {"job_id": 9, "rank": 0, "n_workers": 3, "server": f"127.0.0.1:{port}",
           "local_host": "127.0.0.1", "timeout": 20.0, "rto": 0.02, **kw}  # fmt: skip
    p = tmp / "job.json"
    p.write_text(json.dumps(cfg))
    return p


@pytest.mark.integration
def test_worker_and_ps_processes_sum_exactly_through_a_lossy_relay(tmp_path: Path) -> None:
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    ps_port = probe.getsockname()[1]
    probe.close()
    job = write_job(tmp_path, ps_port)
    ps = subprocess.Popen(
        [BIN / "inalab-ps", "--listen", f"127.0.0.1:{ps_port}", "--config", str(job)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert ps.stdout is not None
        assert "listening" in ps.stdout.readline()
        rng = np.random.default_rng(5)
        xs = [rng.integers(-(2**20), 2**20, 3000, dtype=np.int32) for _ in range(3)]
        with LossyRelay(("127.0.0.1", ps_port), 0.1, seed=9) as relay:
            procs = []
            for r in range(3):
                np.save(tmp_path / f"in{r}.npy", xs[r])
                procs.append(
                    subprocess.Popen(
                        [
                            BIN / "inalab-worker",
                            "--config",
                            str(job),
                            "--rank",
                            str(r),
                            "--server",
                            f"127.0.0.1:{relay.address[1]}",
                            "--rounds",
                            "2",
                            "--input",
                            str(tmp_path / f"in{r}.npy"),
                            "--output",
                            str(tmp_path / f"out{r}.npy"),
                        ],
                        stdout=subprocess.PIPE,
                        text=True,
                    )
                )
            outs = [p.communicate(timeout=60) for p in procs]
        want = np.sum(xs, axis=0, dtype=np.int32)
        for r, (p, (stdout, _)) in enumerate(zip(procs, outs, strict=True)):
            assert p.returncode == 0
            lines = [json.loads(x) for x in stdout.splitlines()]
            assert [x["round"] for x in lines] == [1, 2]
            assert all(x["exact"] == x["blocks"] == 94 for x in lines)
            assert np.array_equal(np.load(tmp_path / f"out{r}.npy"), want)
    finally:
        ps.terminate()
        stdout, _ = ps.communicate(timeout=10)
    assert ps.returncode == 0
    counters = json.loads(stdout.strip().splitlines()[-1])
    assert counters["complete"] == 2 * 94


def test_worker_times_out_cleanly_when_nobody_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = write_job(tmp_path, 9, timeout=0.3)
    t0 = time.monotonic()
    assert worker_main(["--config", str(job), "--random", "100"]) == 1
    assert time.monotonic() - t0 < 3
    err = capsys.readouterr().err
    assert "inalab-worker: error:" in err and "no result" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--random", "10", "--rank", "7"], "rank 7"),
        (["--input", "{job}"], "not a .npy file"),
        (["--input", "{tmp}/missing.npy"], "No such file"),
        (["--random", "10", "--rounds", "0"], "--rounds"),
        (["--input", "{tmp}/f64.npy"], "float32 and int32"),
    ],
)
def test_worker_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    job = write_job(tmp_path, 9, timeout=0.3)
    np.save(tmp_path / "f64.npy", np.ones(3))
    argv = ["--config", str(job)] + [a.format(job=job, tmp=tmp_path) for a in args]
    assert worker_main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_ps_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert ps_main(["--job", "1"]) == 2
    assert ps_main([]) == 2
    assert ps_main(["--job", "1:2", "--job", "1:3"]) == 2
    assert ps_main(["--job", "1:2", "--listen", "127.0.0.1:notaport"]) == 2
    err = capsys.readouterr().err
    assert "JOB_ID:N_WORKERS" in err and "at least one job" in err and "twice" in err
    assert "not a number" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--controller", "http://127.0.0.1:9", "--random", "4"], "needs --job J and --rank R"),
        (["--controller", "127.0.0.1:9", "--job", "1", "--rank", "0", "--random", "4"],
         "expected http://HOST:PORT"),
        (["--controller", "http://127.0.0.1:9", "--job", "1", "--rank", "0", "--via", "ps",
          "--random", "4"], "--via goes with --config"),
        (["--controller", "http://127.0.0.1:9", "--job", "1", "--rank", "0", "--random", "4"],
         "unreachable"),
        (["--config", "{job}", "--job", "1", "--random", "4"], "--job goes with --controller"),
    ],
)  # fmt: skip
def test_worker_controller_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    job = write_job(tmp_path, 9, timeout=0.3)
    assert worker_main([a.format(job=job) for a in args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
