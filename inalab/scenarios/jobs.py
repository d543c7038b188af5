"""Run one aggregation job on the hosts of a running network and check it.

Each worker is a real ``inalab-worker`` process on its Mininet host (its own
network namespace and UDP sockets); ``via="ps"`` also starts ``inalab-ps`` on
the parameter-server host. Inputs are generated from a seed, the workers'
outputs are read back and compared with the numpy sum of the inputs.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from inalab.protocol import format as fmt
from inalab.scenarios.errors import JobFailed

BIN = Path(sys.executable).parent
_RECORD_LOCK = threading.Lock()


def record_process(net: Any, proc: subprocess.Popen[str], executable: str, role: str) -> None:
    """Add a process started on a host to the network's run record, so that
    ``inalab-clean`` ends it too if this process dies without stopping the
    network (the record matches pid and executable, never a recycled pid)."""
    from dataclasses import replace

    from inalab.topologies.errors import TopologiesError
    from inalab.topologies.runs import RunProcess

    record = getattr(net, "record", None)
    if record is None:
        return
    with _RECORD_LOCK:
        record = net.record
        procs = (*record.processes, RunProcess(proc.pid, executable, role))
        net.record = replace(record, processes=procs)
        with contextlib.suppress(TopologiesError):
            net.record.save()


@dataclass(frozen=True)
class JobSpec:
    """An allreduce job: who, how much, through what, with which tolerances."""

    job_id: int
    workers: tuple[str, ...]  # host names, rank order
    server: str  # IPv4 address: the PS (via ps) or any address the switch answers for
    values: int = 100_000
    dtype: str = "float32"
    via: str = "switch"
    slots: int = 64
    lanes: int = 32
    rounds: int = 1
    seed: int = 0
    loss_bound: float = 0.0
    deadline: float = 0.0
    timeout: float = 60.0
    rto: float = 0.2
    paths: int = 2
    ps_host: str = "ps"
    with_ps: bool = False  # also start the PS with via="switch" (best-effort collisions)
    timed: bool = False  # run timed_worker: also record each packet's first result time
    importance: str = "magnitude"
    # "normal": N(0, 1) values; "layered": each block of `lanes` values scaled by
    # 10**U(-3, 0), the same for every rank (layers of very different gradient
    # magnitude, so the importance classes are all used)
    profile: str = "normal"
    extra: dict[str, Any] = field(default_factory=dict)
    # the controller's HTTP API as the hosts reach it: the workers then fetch their
    # config there (`inalab-worker --controller`) and follow its moves; "" = job.json
    controller: str = ""

    def __post_init__(self) -> None:
        if not self.workers:
            raise ValueError(f"job {self.job_id}: no workers")
        if len(set(self.workers)) != len(self.workers):
            raise ValueError(f"job {self.job_id}: a worker host is listed twice")
        if self.dtype not in ("float32", "int32"):
            raise ValueError(f"job {self.job_id}: dtype {self.dtype!r} is not float32/int32")
        if self.via not in ("switch", "ps"):
            raise ValueError(f"job {self.job_id}: via {self.via!r} is not switch/ps")
        if self.profile not in ("normal", "layered"):
            raise ValueError(f"job {self.job_id}: profile {self.profile!r} is not normal/layered")
        if self.values < 1 or self.rounds < 1:
            raise ValueError(f"job {self.job_id}: values and rounds must be >= 1")
        if self.controller and self.timed:
            raise ValueError(f"job {self.job_id}: timed workers read job.json, not the controller")

    @property
    def n(self) -> int:
        return len(self.workers)

    def config(self) -> dict[str, Any]:
        """The JobConfig JSON the workers read (rank given on the command line)."""
        port = fmt.INA_PS_UDP_PORT if self.via == "ps" else fmt.INA_UDP_PORT
        cfg: dict[str, Any] = {
            "job_id": self.job_id,
            "rank": 0,
            "n_workers": self.n,
            "server": f"{self.server}:{port}",
            "via": self.via,
            "slots": self.slots,
            "lanes": self.lanes,
            "timeout": self.timeout,
            "rto": self.rto,
            "paths": self.paths,
            "loss_bound": self.loss_bound,
            "deadline": self.deadline,
        }
        cfg.update(self.extra)
        return cfg

    def inputs(self) -> list[npt.NDArray[Any]]:
        """Every rank's input array (deterministic from the seed)."""
        out: list[npt.NDArray[Any]] = []
        blocks = -(-self.values // self.lanes)
        shared = np.random.default_rng([self.seed, self.job_id, 1 << 20])
        scale = np.repeat(10.0 ** shared.uniform(-3.0, 0.0, blocks), self.lanes)[: self.values]
        for r in range(self.n):
            rng = np.random.default_rng([self.seed, self.job_id, r])
            if self.dtype == "int32" and self.profile == "layered":
                g = rng.standard_normal(self.values) * scale * 2.0**20
                out.append(np.rint(g).astype(np.int32))
            elif self.dtype == "int32":
                out.append(rng.integers(-(2**20), 2**20, self.values, dtype=np.int32))
            else:
                x = rng.standard_normal(self.values)
                if self.profile == "layered":
                    x *= scale
                out.append(x.astype(np.float32))
        return out


@dataclass(frozen=True)
class JobResult:
    """What a job did: per-rank statistics of its last round and the check."""

    job_id: int
    via: str
    n_workers: int
    values: int
    dtype: str
    elapsed: float  # seconds, slowest worker, last round
    goodput: float  # values/s per worker (slowest worker)
    blocks: int
    exact: int  # blocks, of the rank with the fewest exact blocks
    partial: int  # of that rank
    missing: int  # of that rank
    retransmissions: int  # sum over ranks
    packets_sent: int  # sum over ranks
    correct: bool  # every rank's output equals the numpy sum (within the quantization bound)
    max_error: float
    delivered_mass: float  # sum |g| of blocks that arrived (not zero-filled) / total, rank mean
    matching_fraction: float  # blocks equal to the sum (within the bound), worst rank
    delivered_blocks: float  # fraction of blocks not zero-filled, rank mean
    rounds: list[dict[str, Any]]  # per rank, per round: the worker's JSON stats
    ps_counters: dict[str, Any] | None = None

    @property
    def exact_fraction(self) -> float:
        return self.exact / self.blocks if self.blocks else 0.0

    @property
    def partial_fraction(self) -> float:
        return self.partial / self.blocks if self.blocks else 0.0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["exact_fraction"] = self.exact_fraction
        d["partial_fraction"] = self.partial_fraction
        return d


def expected_sum(spec: JobSpec, xs: list[npt.NDArray[Any]]) -> npt.NDArray[Any]:
    if spec.dtype == "int32":
        return np.asarray(np.sum(np.stack(xs), axis=0, dtype=np.int32))
    return np.sum(np.stack(xs).astype(np.float64), axis=0)


def block_matches(
    spec: JobSpec, xs: list[npt.NDArray[Any]], out: npt.NDArray[Any]
) -> npt.NDArray[np.bool_]:
    """Per block of ``lanes`` values: does the output equal the sum? int32:
    exactly; float32: within n * 2**(E-B) (the host agents' quantization
    bound, E the block's exponent) plus float32 rounding of the result."""
    want = expected_sum(spec, xs)
    k = spec.lanes
    blocks = -(-spec.values // k)
    if out.shape != want.shape:
        return np.zeros(blocks, dtype=bool)
    pad = blocks * k - spec.values
    if spec.dtype == "int32":
        diff = np.pad(out.astype(np.int64) - want.astype(np.int64), (0, pad))
        return np.asarray(np.all(diff.reshape(blocks, k) == 0, axis=1))
    err = np.pad(np.abs(out.astype(np.float64) - want), (0, pad)).reshape(blocks, k).max(axis=1)
    mags = np.stack([np.abs(x.astype(np.float64)) for x in xs]).max(axis=0)
    bmax = np.pad(mags, (0, pad)).reshape(blocks, k).max(axis=1)
    bits = 31 - int(np.ceil(np.log2(spec.n))) if spec.n > 1 else 31
    exps = np.floor(np.log2(np.maximum(bmax, np.finfo(np.float64).tiny))) + 1
    wmax = np.abs(np.pad(want, (0, pad))).reshape(blocks, k).max(axis=1)
    bound = spec.n * np.exp2(exps - bits) * 2.0 + wmax * 2.0**-23
    return np.asarray(err <= bound)


def check_output(
    spec: JobSpec, xs: list[npt.NDArray[Any]], out: npt.NDArray[Any]
) -> tuple[bool, float]:
    """(every block correct, max |error|)."""
    want = expected_sum(spec, xs)
    if out.shape != want.shape:
        return False, float("inf")
    err = np.abs(out.astype(np.float64) - want.astype(np.float64))
    return bool(np.all(block_matches(spec, xs, out))), float(err.max(initial=0.0))


def delivered_mass(spec: JobSpec, xs: list[npt.NDArray[Any]], out: npt.NDArray[Any]) -> float:
    """Fraction of sum |g| (over workers and values) in blocks the output has
    (a zero-filled block did not arrive)."""
    k = spec.lanes
    blocks = -(-spec.values // k)
    pad = blocks * k - spec.values
    mass = np.pad(np.sum(np.abs(np.stack(xs).astype(np.float64)), axis=0), (0, pad))
    mass_b = mass.reshape(blocks, k).sum(axis=1)
    got = np.pad(np.abs(out.astype(np.float64)), (0, pad)).reshape(blocks, k).max(axis=1) > 0
    total = float(mass_b.sum())
    return float(mass_b[got].sum()) / total if total > 0 else 1.0


def delivered_fraction(spec: JobSpec, out: npt.NDArray[Any]) -> float:
    """Fraction of blocks of the output that are not all zero."""
    k = spec.lanes
    blocks = -(-spec.values // k)
    pad = blocks * k - spec.values
    got = np.pad(np.abs(out.astype(np.float64)), (0, pad)).reshape(blocks, k).max(axis=1) > 0
    return float(np.mean(got))


class RunningJob:
    """A started job; ``wait()`` collects and checks it."""

    def __init__(self, net: Any, spec: JobSpec, workdir: Path, own_ps: bool = True) -> None:
        """``own_ps`` False: the job's PS was started with :func:`start_ps` (one
        ``inalab-ps`` serves several jobs: they share its UDP port)."""
        self.net = net
        self.own_ps = own_ps
        self.spec = spec
        self.dir = Path(workdir) / f"job{spec.job_id}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ps: subprocess.Popen[str] | None = None
        self.procs: list[subprocess.Popen[str]] = []
        self.xs = spec.inputs()
        self.started = 0.0

    def _start_ps(self) -> None:
        s = self.spec
        self.ps = start_ps(self.net, s.ps_host, [(s.job_id, s.n)])

    def start(self) -> RunningJob:
        s = self.spec
        cfg = self.dir / "job.json"
        cfg.write_text(json.dumps(s.config(), indent=1))
        if self.own_ps and (s.via == "ps" or s.with_ps):
            self._start_ps()
        for r, host in enumerate(s.workers):
            np.save(self.dir / f"in{r}.npy", self.xs[r])
            runner = (
                [sys.executable, "-m", "inalab.scenarios.timed_worker",
                 "--arrivals", str(self.dir / f"arr{r}.npy")]
                if s.timed else [str(BIN / "inalab-worker")]
            )  # fmt: skip
            source = (
                ["--controller", s.controller, "--job", str(s.job_id)]
                if s.controller else ["--config", str(cfg)]
            )  # fmt: skip
            cmd = [
                *runner,
                *source,
                "--rank",
                str(r),
                "--input",
                str(self.dir / f"in{r}.npy"),
                "--output",
                str(self.dir / f"out{r}.npy"),
                "--rounds",
                str(s.rounds),
            ]
            proc = self.net.host(host).popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            record_process(self.net, proc, cmd[0], f"worker {host} job {s.job_id}")
            self.procs.append(proc)
        self.started = time.monotonic()
        return self

    def arrivals(self) -> list[npt.NDArray[Any]]:
        """Per rank, seconds from round start to each packet's first result (NaN:
        never); only for ``timed`` jobs, after :meth:`wait`."""
        return [np.load(self.dir / f"arr{r}.npy") for r in range(self.spec.n)]

    def kill(self) -> None:
        for p in [*self.procs, *([self.ps] if self.ps else [])]:
            if p.poll() is None:
                p.kill()
                p.wait()

    def wait(self, timeout: float | None = None) -> JobResult:
        s = self.spec
        limit = timeout if timeout is not None else s.timeout * s.rounds + 30
        outs: list[tuple[str, str]] = []
        try:
            for p in self.procs:
                left = max(1.0, limit - (time.monotonic() - self.started))
                outs.append(p.communicate(timeout=left))
        except subprocess.TimeoutExpired:
            self.kill()
            raise JobFailed(f"job {s.job_id}: workers still running after {limit:.0f} s") from None
        finally:
            ps_counters = self._stop_ps()
        stats: list[list[dict[str, Any]]] = []
        failed = [
            f"rank {r} on {s.workers[r]} exited {p.returncode}: {err.strip() or out.strip()}"
            for r, (p, (out, err)) in enumerate(zip(self.procs, outs, strict=True))
            if p.returncode != 0
        ]
        if failed:
            raise JobFailed(f"job {s.job_id}: " + "; ".join(failed))
        for out, _ in outs:
            stats.append([json.loads(x) for x in out.splitlines() if x.startswith("{")])
        results = [np.load(self.dir / f"out{r}.npy") for r in range(s.n)]
        checks = [check_output(s, self.xs, o) for o in results]
        last = [st[-1] for st in stats]
        elapsed = max(x["elapsed"] for x in last)
        worst = min(last, key=lambda x: (x["exact"], -x["missing"]))
        return JobResult(
            job_id=s.job_id,
            via=s.via,
            n_workers=s.n,
            values=s.values,
            dtype=s.dtype,
            elapsed=elapsed,
            goodput=s.values / elapsed if elapsed > 0 else 0.0,
            blocks=last[0]["blocks"],
            exact=worst["exact"],
            partial=worst["partial"],
            missing=worst["missing"],
            retransmissions=sum(x["retransmissions"] for x in last),
            packets_sent=sum(x["packets_sent"] for x in last),
            correct=all(c for c, _ in checks),
            max_error=max(e for _, e in checks),
            delivered_mass=float(np.mean([delivered_mass(s, self.xs, o) for o in results])),
            delivered_blocks=float(np.mean([delivered_fraction(s, o) for o in results])),
            matching_fraction=min(float(np.mean(block_matches(s, self.xs, o))) for o in results),
            rounds=[x for st in stats for x in st],
            ps_counters=ps_counters,
        )

    def _stop_ps(self) -> dict[str, Any] | None:
        if self.ps is None:
            return None
        return stop_ps(self.ps)


def start_ps(net: Any, host: str, jobs: list[tuple[int, int]]) -> subprocess.Popen[str]:
    """``inalab-ps`` on ``host`` for ``jobs`` [(job id, workers)], once it listens."""
    cmd = [str(BIN / "inalab-ps"), "--listen", f"0.0.0.0:{fmt.INA_PS_UDP_PORT}",
           "--log-level", "warning"]  # fmt: skip
    for job, n in jobs:
        cmd += ["--job", f"{job}:{n}"]
    ps: subprocess.Popen[str] = net.host(host).popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    record_process(net, ps, cmd[0], f"ps {host}")
    assert ps.stdout is not None
    line = ps.stdout.readline()
    if "listening" not in line:
        ps.kill()
        _, err = ps.communicate()
        raise JobFailed(f"inalab-ps on {host} did not start: {line}{err}".strip())
    return ps


def stop_ps(ps: subprocess.Popen[str]) -> dict[str, Any] | None:
    """Stop a PS; its final counters (JSON), if it printed them."""
    ps.terminate()
    try:
        out, _ = ps.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        ps.kill()
        ps.wait()
        return None
    for line in reversed(out.splitlines()):
        if line.startswith("{") and "listening" not in line:
            return dict(json.loads(line))
    return None


def run_job(net: Any, spec: JobSpec, workdir: Path) -> JobResult:
    """Start a job, wait for it and check its result."""
    job = RunningJob(net, spec, workdir).start()
    try:
        return job.wait()
    finally:
        job.kill()


def run_jobs(net: Any, specs: list[JobSpec], workdir: Path) -> list[JobResult]:
    """Start jobs together, wait for all of them and check each. Their PS jobs go to
    a PS the caller started (``start_ps``) and stops."""
    running = [RunningJob(net, s, workdir, own_ps=False) for s in specs]
    try:
        for r in running:
            r.start()
        return [r.wait() for r in running]
    finally:
        for r in running:
            r.kill()
