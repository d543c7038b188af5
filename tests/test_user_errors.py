"""Every user-facing command fails cleanly on bad input.

The house rule: an error a user can cause (a bad argument, a missing,
unreadable, empty, binary or wrongly shaped file, a port already in use, no
root) gives a short message naming the file, flag or location, a non-zero exit
and no traceback. Each case runs the real command as a subprocess, as a user
would: every console script of pyproject.toml and every ``python -m`` entry
point. Exit codes are each command's documented ones: argparse's 2 for usage
errors where the command keeps argparse's convention; inalab-p4c and
inalab-switch exit 1 for every error (as p4c and simple_switch do).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Case:
    """One bad invocation: argv (with {placeholders}), expected exit and text."""

    argv: tuple[str, ...]
    code: int
    says: tuple[str, ...] = ()
    nobody: bool = False  # run as uid 65534 (needs root to switch)

    def __post_init__(self) -> None:
        if not self.argv:
            raise ValueError("a case needs a command")

    @property
    def id(self) -> str:
        return " ".join(self.argv)[:90]


def c(
    cmd: str, *args: str, code: int, says: tuple[str, ...] | str = (), nobody: bool = False
) -> Case:
    return Case((cmd, *args), code, (says,) if isinstance(says, str) else says, nobody)


# ---------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Env:
    d: Path  # bad input files, readable by root only
    pub: Path  # a directory uid 65534 may write into
    tcp: int  # a busy TCP port (listening)
    udp: int  # a busy UDP port
    free: int  # a port nothing listens on


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    d = tmp_path_factory.mktemp("user_errors")
    (d / "empty.txt").write_text("")
    (d / "empty.stf").write_text("")
    (d / "garbage.bin").write_bytes(b"\x00\xff\x13garbage\x89\xfe")
    (d / "trunc.json").write_text('{"a": [1,2\n')
    (d / "trunc.yaml").write_text("name: x\nhosts: [\n")
    (d / "list.json").write_text("[1, 2, 3]\n")
    (d / "obj.json").write_text('{"x": 1}\n')
    (d / "bmv2.json").write_text('{"headers": [], "parsers": [], "pipelines": [], "actions": []}')
    (d / "adir").mkdir()
    good_job = {"request": {"job_id": 1, "members": ["h1"]}, "mcast_group": 1, "job_index": 0,
                "state": "active", "region": [0, 8, False], "epoch": 1}  # fmt: skip
    for name, doc in (
        ("state_jobs_int.json", {"jobs": 5}),
        ("state_item_int.json", {"jobs": [3]}),
        ("state_missing.json", {"jobs": [{"request": {"job_id": 1, "members": ["h1"]}}]}),
        ("state_region.json", {"jobs": [{**good_job, "region": "x"}]}),
        ("state_request.json", {"jobs": [good_job, {**good_job, "request": {"job_id": 2}}]}),
    ):
        (d / name).write_text(json.dumps(doc))
    shutil.copy(REPO / "tests/p4/basic_fwd.p4", d / "prog.p4")  # a program -o may not overwrite
    (d / "job.json").write_text(
        '{"job_id": 9, "rank": 0, "n_workers": 2, "server": "127.0.0.1:9", "via": "ps"}\n'
    )
    locked = d / "locked"  # what a non-root user cannot read
    locked.mkdir()
    for name in ("prog.p4", "prog.json", "prog.stf", "job.json", "topo.json"):
        (locked / name).write_text((d / "job.json").read_text())
    locked.chmod(0o700)
    pub = Path(tempfile.mkdtemp(prefix="inalab-user-errors-"))
    pub.chmod(0o777)
    busy_tcp = socket.socket()
    busy_tcp.bind(("127.0.0.1", 0))
    busy_tcp.listen()
    busy_udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy_udp.bind(("127.0.0.1", 0))
    try:
        yield Env(d, pub, busy_tcp.getsockname()[1], busy_udp.getsockname()[1], _free_port())
    finally:
        busy_tcp.close()
        busy_udp.close()
        shutil.rmtree(pub, ignore_errors=True)


def _expand(text: str, e: Env) -> str:
    return text.format(
        d=e.d, pub=e.pub, tcp=e.tcp, udp=e.udp, free=e.free, p4=REPO / "tests/p4/basic_fwd.p4"
    )


def run(case: Case, e: Env) -> subprocess.CompletedProcess[str]:
    argv = [_expand(a, e) for a in case.argv]
    argv = [sys.executable, *argv[1:]] if argv[0] == "python" else [str(BIN / argv[0]), *argv[1:]]
    if case.nobody:
        argv = [*NOBODY, *argv]
    environ = {k: v for k, v in os.environ.items() if k not in ("INALAB_CTL_URL", "SWITCH")}
    proc = subprocess.Popen(
        argv,
        cwd="/" if case.nobody else e.d,
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        # SIGTERM first: a scenario that got as far as a network stops it on SIGTERM
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        return subprocess.CompletedProcess(argv, None, "", "")  # type: ignore[arg-type]
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def check(case: Case, e: Env, r: subprocess.CompletedProcess[str] | None = None) -> None:
    r = run(case, e) if r is None else r
    if r.returncode is None:
        pytest.fail(f"{case.id}: still running after {TIMEOUT_S} s (the bad input was accepted)")
    text = r.stderr + r.stdout
    assert "Traceback" not in text, f"{case.id}: traceback\n{r.stderr}"
    assert r.returncode == case.code, f"{case.id}: exit {r.returncode}\n{r.stderr}{r.stdout}"
    for fragment in case.says:
        fragment = _expand(fragment, e)
        assert fragment in text, f"{case.id}: no {fragment!r} in\n{r.stderr}{r.stdout}"
    assert len(r.stderr.splitlines()) <= 15, f"{case.id}: long message\n{r.stderr}"


# ---------------------------------------------------------------- the table

P4C = [
    c("inalab-p4c", code=1, says="no source file given"),
    c("inalab-p4c", "--bogus", code=1, says="unrecognized arguments: --bogus"),
    c("inalab-p4c", "--p4runtime-format", "x", "a.p4", code=1, says="--p4runtime-format"),
    c("inalab-p4c", "--Wdisable=nope", "a.p4", code=1, says="unknown warning kind nope"),
    c("inalab-p4c", "missing.p4", code=1, says=("missing.p4", "No such file")),
    c("inalab-p4c", "adir", code=1, says=("adir", "Is a directory")),
    c("inalab-p4c", "empty.txt", code=1, says="empty.txt"),
    c("inalab-p4c", "garbage.bin", code=1, says="garbage.bin"),
    c("inalab-p4c", "-I", "nodir", "{p4}", code=1, says="-I nodir: not a directory"),
    c("inalab-p4c", "-w", "-o", "adir", "{p4}", code=1, says="cannot write adir: Is a directory"),
    c("inalab-p4c", "-w", "-o", "nodir/x.json", "{p4}", code=1, says="cannot write nodir/x.json"),
    c("inalab-p4c", "-w", "-o", "prog.p4", "prog.p4", code=1, says="would overwrite the source"),
    c(
        "inalab-p4c",
        "-w",
        "-o",
        "o.json",
        "--p4runtime-files",
        "o.json",
        "prog.p4",
        code=1,
        says="o.json is given twice",
    ),
    c("python", "-m", "inalab.compiler", "--bogus", code=1, says="--bogus"),
]

STF = [
    c("inalab-stf", code=2, says="give PROGRAM STF, or --dir DIR"),
    c("inalab-stf", "--bogus", code=2, says="unrecognized arguments: --bogus"),
    c("inalab-stf", "missing.json", "empty.stf", code=2, says="missing.json: no such file"),
    c("inalab-stf", "adir", "empty.stf", code=2, says="adir: is a directory"),
    c("inalab-stf", "obj.json", "garbage.bin", code=2, says="garbage.bin: not a UTF-8 text"),
    c("inalab-stf", "--dir", "nodir", code=2, says="nodir: not a directory"),
    c("inalab-stf", "--dir", "adir", code=2, says="adir: no NAME.stf files"),
    c("inalab-stf", "trunc.json", "empty.stf", code=1, says="trunc.json: not valid JSON"),
    c("inalab-stf", "list.json", "empty.stf", code=1, says="list.json: top level is not"),
    c("inalab-stf", "obj.json", "empty.stf", code=1, says="obj.json: missing 'headers'"),
]

_OFF = ("--no-grpc", "--no-runtime")
SWITCH = [
    c("inalab-switch", code=1, says="missing the JSON config file"),
    c("inalab-switch", "--bogus", code=1, says="unrecognized arguments: --bogus"),
    c("inalab-switch", "--device-id", "abc", "x.json", code=1, says="--device-id: not an integer"),
    c("inalab-switch", "--device-id", "-1", "x.json", code=1, says="--device-id -1"),
    c("inalab-switch", "--device-id", str(2**70), "x.json", code=1, says="--device-id"),
    c("inalab-switch", "--thrift-port", "70000", "x.json", code=1, says="not a TCP port"),
    c("inalab-switch", "--queue-depth", "0", "x.json", code=1, says="--queue-depth 0"),
    c("inalab-switch", "--queue-rate", "nan", "x.json", code=1, says="not a finite number"),
    c("inalab-switch", "--queue-rate", "-1", "x.json", code=1, says="--queue-rate -1"),
    c("inalab-switch", "x.json", "--", "--priority-queues", "0", code=1, says="queues 0"),
    c("inalab-switch", "x.json", "--", "--cpu-port", "512", code=1, says="--cpu-port 512"),
    c("inalab-switch", "x.json", "--", "--drop-port", "-3", code=1, says="--drop-port -3"),
    c("inalab-switch", "x.json", "--", "--grpc-server-addr", "1.2.3.4", code=1, says="HOST:PORT"),
    c("inalab-switch", "x.json", "--", "--bogus", code=1, says="--bogus"),
    c("inalab-switch", "-i", "x@y", "x.json", code=1, says="-i 'x@y': expected PORT@IFACE"),
    c("inalab-switch", "--loss", "1:200", "x.json", code=1, says="percent"),
    c("inalab-switch", "--impair", "1:egress:bogus=1", "x.json", code=1, says="unknown key"),
    c("inalab-switch", "--impairment", "garbage.bin", "x.json", code=1, says="not a UTF-8"),
    c("inalab-switch", "--impairment", "trunc.json", "x.json", code=1, says="trunc.json:2:1"),
    c("inalab-switch", "--impairment", "nofile.json", "x.json", code=1, says="nofile.json"),
    c("inalab-switch", "--restore-state", "s", "x.json", code=1, says="--restore-state"),
    c("inalab-switch", "missing.json", *_OFF, code=1, says=("missing.json", "No such file")),
    c("inalab-switch", "adir", *_OFF, code=1, says=("adir", "Is a directory")),
    c("inalab-switch", "empty.txt", *_OFF, code=1, says="empty.txt: not valid JSON"),
    c("inalab-switch", "garbage.bin", *_OFF, code=1, says="garbage.bin"),
    c("inalab-switch", "trunc.json", *_OFF, code=1, says="trunc.json: not valid JSON"),
    c("inalab-switch", "list.json", *_OFF, code=1, says="list.json: top level is not"),
    c("inalab-switch", "obj.json", *_OFF, code=1, says="obj.json: missing 'headers'"),
    c("inalab-switch", "--no-p4", "-i", "1@nosuchif0", *_OFF, code=1, says="'nosuchif0'"),
    c("inalab-switch", "--no-p4", "--pcap", "garbage.bin", *_OFF, code=1, says="garbage.bin"),
    c("inalab-switch", "--no-p4", "--log-console", "--log-file", "nodir/l", code=1, says="nodir"),
    c("inalab-switch", "--no-p4", "--no-grpc", "--thrift-port", "{tcp}", code=1, says="in use"),
    c("python", "-m", "inalab.switch", "--bogus", code=1, says="--bogus"),
    c("inalab-switch-cli", "--bogus", code=2, says="unrecognized arguments: --bogus"),
    c("inalab-switch-cli", "--thrift-port", "abc", code=2, says="--thrift-port"),
    c("inalab-switch-cli", "--thrift-port", "70000", "help", code=2, says="not a TCP port"),
    c("inalab-switch-cli", "--thrift-port", "{free}", "help", code=1, says="cannot reach"),
]

_JOB = ("--config", "job.json")
HOSTS = [
    c("inalab-worker", code=2, says="--config --controller is required"),
    c("inalab-worker", "--config", "missing.json", code=2, says="missing.json: cannot read"),
    c("inalab-worker", "--config", "adir", code=2, says="adir: cannot read"),
    c("inalab-worker", "--config", "garbage.bin", code=2, says="garbage.bin: not a UTF-8"),
    c("inalab-worker", "--config", "trunc.json", code=2, says="trunc.json:2:1"),
    c("inalab-worker", "--config", "list.json", code=2, says="list.json"),
    c("inalab-worker", "--config", "obj.json", code=2, says="unknown key"),
    c("inalab-worker", *_JOB, "--random", "-1", code=2, says="--random N"),
    c("inalab-worker", *_JOB, "--random", "abc", code=2, says="--random"),
    c("inalab-worker", *_JOB, "--random", "4", "--rounds", "0", code=2, says="--rounds 0"),
    c("inalab-worker", *_JOB, "--random", str(10**23), code=2, says=f"--random {10**23}"),
    c("inalab-worker", *_JOB, "--random", "4", "--seed", "-1", code=2, says="--seed -1"),
    c("inalab-worker", *_JOB, "--random", "4", "--rank", "5", code=2, says="rank 5"),
    c("inalab-worker", *_JOB, "--input", "garbage.bin", code=2, says="not a .npy file"),
    c("inalab-worker", *_JOB, "--random", "4", "--output", "adir", code=2, says="--output adir"),
    c("inalab-worker", *_JOB, "--random", "4", "--log-level", "x", code=2, says="--log-level"),
    c("inalab-worker", "--controller", "h:1", "--job", "1", "--rank", "0", code=2, says="http"),
    c(
        "inalab-worker",
        *("--controller", "http://127.0.0.1:{free}", "--job", "1", "--rank", "0", "--random", "4"),
        code=2,
        says="unreachable",
    ),
    c("inalab-ps", code=2, says="at least one job"),
    c("inalab-ps", "--bogus", code=2, says="unrecognized arguments: --bogus"),
    c("inalab-ps", "--job", "abc", code=2, says="expected JOB_ID:N_WORKERS"),
    c("inalab-ps", "--job", "1:0", code=2, says="n_workers 0"),
    c("inalab-ps", "--job", "1:2", "--duration", "nan", code=2, says="--duration nan"),
    c("inalab-ps", "--job", "1:2", "--duration", "0", code=2, says="--duration 0"),
    c("inalab-ps", "--job", "1:2", "--listen", "127.0.0.1:70000", code=2, says="70000"),
    c("inalab-ps", "--job", "1:2", "--listen", "127.0.0.1:{udp}", code=2, says="in use"),
    c("inalab-ps", "--job", "1:2", "--log-level", "x", code=2, says="--log-level"),
    c("inalab-ps", "--config", "garbage.bin", code=2, says="garbage.bin: not a UTF-8"),
    c("inalab-ps", "--config", "list.json", code=2, says="list.json"),
]

_PROG = ("program", "single-rack", "--build-dir", "nodir")
_SERVE = ("serve", "single-rack")
_G = "garbage.bin"
CTL = [
    c("inalab-ctl", code=2, says="required: command"),
    c("inalab-ctl", "bogus", code=2, says="invalid choice: 'bogus'"),
    c("inalab-ctl", "status", "--url", "notaurl", code=2, says="--url notaurl"),
    c("inalab-ctl", "status", "--url", "http://127.0.0.1:{free}", code=1, says="unreachable"),
    c("inalab-ctl", "finish", "abc", code=2, says="invalid int value: 'abc'"),
    c("inalab-ctl", "config", "7", code=2, says="give --rank or --host"),
    c(
        "inalab-ctl",
        "submit",
        "--job",
        "1",
        "--members",
        "h",
        "--worker",
        "{{",
        code=2,
        says="JSON",
    ),
    c("inalab-ctl", "submit", "--job", "-1", "--members", "h1", code=1, says="job_id -1"),
    c("inalab-ctl", "program", "garbage.bin", code=2, says="garbage.bin: not a UTF-8"),
    c("inalab-ctl", "program", "trunc.yaml", code=2, says="trunc.yaml:3:1: bad YAML"),
    c("inalab-ctl", "program", "list.json", code=2, says="list.json"),
    c("inalab-ctl", "program", "adir", code=2, says="adir: cannot read"),
    c("inalab-ctl", "program", "single-rack", "--workers", "0", code=2, says="workers"),
    c("inalab-ctl", *_PROG, code=2, says="nodir/ina.json"),
    c("inalab-ctl", *_PROG, "--addr", "bogus", code=2, says="--addr 'bogus'"),
    c("inalab-ctl", *_PROG, "--drop-probability", "5", code=2, says="drop_probability 5"),
    c("inalab-ctl", *_PROG, "--queue-rate", "-1", code=2, says="queue rate -1"),
    c("inalab-ctl", *_PROG, "--election-id", "-1", code=2, says="--election-id -1"),
    c("inalab-ctl", *_PROG, "--json", _G, "--p4info", _G, code=2, says="not a P4Info"),
    # the pipeline files are checked before connecting, naming the file
    c(
        "inalab-ctl",
        *_PROG,
        "--json",
        "empty.txt",
        "--p4info",
        "empty.txt",
        code=2,
        says="empty.txt: empty file, not a bmv2 JSON program",
    ),
    c(
        "inalab-ctl",
        *_PROG,
        "--json",
        "trunc.json",
        "--p4info",
        "empty.txt",
        code=2,
        says="trunc.json:2:1: not valid JSON",
    ),
    c(
        "inalab-ctl",
        *_PROG,
        "--json",
        "list.json",
        "--p4info",
        "empty.txt",
        code=2,
        says="list.json: not a bmv2 JSON program",
    ),
    c(
        "inalab-ctl",
        *_PROG,
        "--json",
        "obj.json",
        "--p4info",
        "empty.txt",
        code=2,
        says="obj.json: not a bmv2 JSON program (no headers, parsers, pipelines, actions)",
    ),
    c(
        "inalab-ctl",
        *_PROG,
        "--json",
        "bmv2.json",
        "--p4info",
        "empty.txt",
        code=2,
        says="empty.txt: an empty P4Info: no InaIngress.",
    ),
    c("inalab-ctl", *_SERVE, "--policy", "bogus", code=2, says="'bogus'"),
    c("inalab-ctl", *_SERVE, "--listen", "foo", code=2, says="--listen 'foo'"),
    c("inalab-ctl", *_SERVE, "--listen", "127.0.0.1:{tcp}", code=2, says="Address already in use"),
    c("inalab-ctl", *_SERVE, "--policy-module", "nosuch_mod", code=2, says="nosuch_mod"),
    c("inalab-ctl", *_SERVE, "--telemetry-interval", "0", code=2, says="--telemetry-interval 0"),
    c("inalab-ctl", *_SERVE, "--telemetry", "adir", code=2, says="--telemetry adir: Is a dir"),
    c("inalab-ctl", *_SERVE, "--telemetry", "garbage.bin/t", code=2, says="--telemetry garbage"),
    c("inalab-ctl", *_SERVE, "--state", "nodir/s.json", code=2, says="nodir does not exist"),
    c("python", "-m", "inalab.controller", "bogus", code=2, says="'bogus'"),
    c("inalab-clean", "--bogus", code=2, says="unrecognized arguments: --bogus"),
]

TOPO = ("python", "-m", "inalab.topologies")
_NOBUILD = ("--no-cli", "--build-dir", "nodir")  # should a check regress: no program, no network
TOPOLOGIES = [
    c(*TOPO, code=2, says="required: command"),
    c(*TOPO, "show", code=2, says="required: topology"),
    c(*TOPO, "show", "nosuch", code=1, says="nosuch: cannot read"),
    c(*TOPO, "show", "garbage.bin", code=1, says="garbage.bin: not a UTF-8"),
    c(*TOPO, "show", "trunc.json", code=1, says="trunc.json:2:1"),
    c(*TOPO, "show", "trunc.yaml", code=1, says="trunc.yaml:3:1: bad YAML: expected"),
    c(*TOPO, "show", "list.json", code=1, says="list.json: top level"),
    c(*TOPO, "show", "obj.json", code=1, says="unknown key(s) x"),
    c(*TOPO, "show", "empty.txt", code=1, says="unknown file type"),
    c(*TOPO, "show", "adir", code=1, says="adir: cannot read"),
    c(*TOPO, "show", "single-rack", "--workers", "0", code=1, says="workers"),
    c(*TOPO, "show", "single-rack", "--workers", "abc", code=2, says="--workers"),
    c(*TOPO, "show", "single-rack", "--bw", "nan", code=1, says="bw_mbit nan"),
    c(*TOPO, "show", "single-rack", "--grpc-base", "70000", code=1, says="grpc_port"),
    c(*TOPO, "run", "single-rack", *_NOBUILD, "--thrift-base", "0", code=1, says="--thrift-base 0"),
    c(*TOPO, "run", "single-rack", *_NOBUILD, "--seed", "-1", code=1, says="--seed -1"),
    c(*TOPO, "run", "single-rack", *_NOBUILD, code=1, says="nodir/ina.json not found"),
    c(*TOPO, "save", "single-rack", "x.txt", code=1, says="x.txt: unknown file type"),
    c(*TOPO, "save", "single-rack", "nodir/x.json", code=1, says="nodir/x.json: No such file"),
]

SC = ("python", "-m", "inalab.scenarios")
DEMO = ("python", "-m", "inalab.scenarios.demo")  # make run
SCENARIOS = [
    c(*SC, code=2, says=("usage:", "error: give a scenario NAME")),
    c(*SC, "bogus", code=2, says="unknown scenario 'bogus'"),
    c(*SC, "allreduce", "--bogus", code=2, says="unrecognized arguments: --bogus"),
    c(*SC, "allreduce", "--workers", "abc", code=2, says="--workers"),
    c(*SC, "allreduce", "--workers", "0", code=2, says="--workers: 0: must be >= 1"),
    c(*SC, "allreduce", "--methods", "bogus", code=1, says="--methods"),
    c(*SC, "allreduce", "--prefix", "abcdef", code=1, says="prefix 'abcdef'"),
    c(*SC, "loss", "--losses", "2", code=2, says="--losses"),
    c(*SC, "loss", "--seed", "-1", code=1, says="--seed -1"),
    c(*SC, "loss", "--thrift-base", "0", code=1, says="--thrift-base 0"),
    c(*SC, "loss", "--out", "garbage.bin", code=1, says="--out garbage.bin: not a directory"),
    c(*SC, "congestion", "--queue-rate", "0", code=1, says="--queue-rate"),
    c(*SC, "fallback", "--be-cells", "-1", code=2, says="--be-cells"),
    c(*SC, "multi_job", "--rounds", "-1", code=2, says="--rounds"),
    # 0 is a value, not "the default": refused before any network starts
    c(*SC, "fallback", "--jobs", "0", code=2, says="--jobs: 0: must be >= 1"),
    c(*SC, "multi_job", "--jobs", "0", code=2, says="--jobs: 0"),
    c(*SC, "multi_job", "--rounds", "0", code=2, says="--rounds: 0"),
    c(*SC, "loss", "--values", "0", code=2, says="--values: 0"),
    c(*SC, "two_level", "--values", "0", code=2, says="--values: 0"),
    c(*SC, "congestion", "--trials", "0", code=2, says="--trials: 0"),
    c(*SC, "loss", "--deadline", "-1", code=2, says="--deadline: -1"),
    c(*SC, "allreduce", "--sizes", "abc", code=2, says="--sizes: 'abc'"),
    c(*SC, "allreduce", "--bw", "nan", code=2, says="--bw: nan"),
    c(*SC, "loss", "--losses", "x", code=2, says="--losses: 'x'"),
    c(*SC, "two_level", "--racks", "x", code=2, says="--racks: 'x'"),
    c(*SC, "multi_job", "--policies", "bogus", code=1, says="--policies 'bogus': unknown bogus"),
    c(*SC, "multi_job", "--gap", "nan", code=1, says="--gap nan"),
    c(*SC, "allreduce", "--methods", ",", code=1, says="--methods ',': no method given"),
    c(*SC, "loss", "--methods", ",", code=1, says="--methods ,"),
    c(*SC, "two_level", "--per-rack", "abc", code=2, says="--per-rack"),
    c(*SC, "allreduce", "--replot", "missing.json", code=1, says="missing.json: No such file"),
    c(*SC, "allreduce", "--replot", "garbage.bin", code=1, says="garbage.bin: not a results"),
    c(*SC, "allreduce", "--replot", "list.json", code=1, says="list.json: not a results"),
    c(*SC, "allreduce", "--replot", "obj.json", code=1, says="obj.json: not a results"),
    c(*SC, "allreduce", "--replot", "adir", code=1, says="adir: Is a directory"),
    c(*DEMO, "--bogus", code=2, says="unrecognized arguments: --bogus"),
    c(*DEMO, "--workers", "0", code=1, says="--workers 0"),
    c(*DEMO, "--values", "-1", code=1, says="--values -1"),
    c(*DEMO, "--program", "missing.json", code=1, says="missing.json"),
    c(*DEMO, "--program", "adir", code=1, says="--program adir: is a directory"),
]

EX = ("python", "-m", "inalab.training.experiment")
EXPERIMENT = [
    c(*EX, "--bogus", code=2, says="unrecognized arguments: --bogus"),
    c(*EX, "--workers", "0", code=2, says="workers 0"),
    c(*EX, "--workers", "abc", code=2, says="--workers"),
    c(*EX, "--losses", "x", code=2, says="--losses 'x'"),
    c(*EX, "--losses", "0,2", code=2, says="losses"),
    c(*EX, "--preset", "bogus", code=2, says="--preset"),
    c(*EX, "--grpc-port", "0", code=2, says="--grpc-port 0"),
    c(*EX, "--out", "garbage.bin", code=2, says="--out garbage.bin: not a directory"),
    c(*EX, "--report-only", "--out", "adir", code=2, says="no run results"),
]

CASES = P4C + STF + SWITCH + HOSTS + CTL + TOPOLOGIES + SCENARIOS + EXPERIMENT


@pytest.fixture(scope="module")
def ran(env: Env) -> dict[Case, subprocess.CompletedProcess[str]]:
    """Every case of the table run once, three at a time (each is a short-lived process)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(CASES, pool.map(lambda x: run(x, env), CASES), strict=True))


@pytest.mark.parametrize("case", CASES, ids=[x.id for x in CASES])
def test_bad_input_fails_cleanly(
    case: Case, env: Env, ran: dict[Case, subprocess.CompletedProcess[str]]
) -> None:
    check(case, env, ran[case])


@pytest.fixture(scope="module")
def ina_build(env: Env) -> Path:
    """p4src/ina.p4 compiled, for the controller cases that get as far as its state file."""
    out = env.d / "build"
    out.mkdir(exist_ok=True)
    r = subprocess.run(
        [str(BIN / "inalab-p4c"), "-w", "-I", str(REPO / "p4src"), "-o", str(out / "ina.json"),
         "--p4runtime-files", str(out / "ina.p4info.txtpb"), str(REPO / "p4src/ina.p4")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return out


_STATE = ("serve", "single-rack", "--build-dir", "build", "--grpc-base", "{free}", "--state")
STATE = [
    c("inalab-ctl", *_STATE, f, code=2, says=f"{f}: cannot restore jobs")
    for f in ("garbage.bin", "trunc.json", "list.json", "adir", "empty.txt")
] + [
    c("inalab-ctl", *_STATE, f, code=2, says=(f"{f}: cannot restore jobs", what))
    for f, what in (
        ("obj.json", "got an object without 'jobs' (keys: x)"),
        ("state_jobs_int.json", "got int 5 for 'jobs'"),
        ("state_item_int.json", "jobs[0]: expected an object with request, mcast_group"),
        ("state_missing.json", "jobs[0]: missing mcast_group, job_index, state, region, epoch"),
        ("state_region.json", 'jobs[0].region: expected null or [base, size, shared], got str "x"'),
        ("state_request.json", "jobs[1].request: job request: missing ['members']"),
    )
]


@pytest.mark.parametrize("case", STATE, ids=[x.id for x in STATE])
def test_controller_refuses_a_bad_state_file_before_touching_a_switch(
    case: Case, env: Env, ina_build: Path
) -> None:
    check(case, env)
    assert (env.d / "trunc.json").read_text() == '{"a": [1,2\n'  # left as it was


HELP = [
    ("inalab-p4c",),
    ("inalab-stf",),
    ("inalab-switch",),
    ("inalab-switch-cli",),
    ("inalab-worker",),
    ("inalab-ps",),
    ("inalab-ctl",),
    ("inalab-ctl", "serve"),
    ("inalab-clean",),
    (*TOPO, "show"),
    (*SC,),
    (*SC, "allreduce"),
    (*SC, "two_level"),
    (*DEMO,),
    (*EX,),
]


@pytest.mark.parametrize("argv", HELP, ids=[" ".join(a) for a in HELP])
def test_help_exits_zero_with_usage(argv: tuple[str, ...], env: Env) -> None:
    r = run(Case((*argv, "--help"), 0), env)
    assert r.returncode == 0, r.stderr
    assert "usage:" in r.stdout and "Traceback" not in r.stderr


# ------------------------------------------ as a non-root user, and gRPC servers


_L = "{d}/locked"  # unreadable to uid 65534
_DENIED = "Permission denied"
NONROOT = [
    c("inalab-clean", code=1, says="needs root", nobody=True),
    c(*TOPO, "run", "single-rack", "--no-cli", code=1, says="needs root", nobody=True),
    c(
        *SC,
        "loss",
        "--quick",
        "--out",
        "{pub}/o",
        "--logs",
        "{pub}/l",
        code=1,
        says="root",
        nobody=True,
    ),
    c(*EX, "--out", "{pub}/tr", code=1, says="needs root", nobody=True),
    c("inalab-switch", "--no-p4", "-i", "1@lo", *_OFF, code=1, says="need root", nobody=True),
    c("inalab-ps", "--job", "1:2", "--listen", "127.0.0.1:80", code=2, says=_DENIED, nobody=True),
    c("inalab-p4c", f"{_L}/prog.p4", code=1, says=_DENIED, nobody=True),
    c("inalab-stf", f"{_L}/prog.json", f"{_L}/prog.stf", code=2, says=_DENIED, nobody=True),
    c("inalab-switch", f"{_L}/prog.json", *_OFF, code=1, says=_DENIED, nobody=True),
    c("inalab-worker", "--config", f"{_L}/job.json", code=2, says=_DENIED, nobody=True),
    c(*TOPO, "show", f"{_L}/topo.json", code=1, says=_DENIED, nobody=True),
    c("inalab-ctl", "program", f"{_L}/topo.json", code=2, says=_DENIED, nobody=True),
    c(
        "inalab-switch",
        "--no-p4",
        "--no-runtime",
        "--",
        "--grpc-server-addr",
        "127.0.0.1:{tcp}",
        code=1,
        says="cannot serve P4Runtime on 127.0.0.1:{tcp}",
    ),
]


@pytest.fixture(scope="module")
def nobody_can_run_python() -> None:
    """uid 65534 must be able to start this interpreter, or every case would fail for that."""
    r = subprocess.run(
        [*NOBODY, sys.executable, "-c", "import inalab"],
        cwd="/", capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert r.returncode == 0, f"uid 65534 cannot run {sys.executable} with inalab: {r.stderr}"


@pytest.mark.integration
@pytest.mark.parametrize("case", NONROOT, ids=[x.id for x in NONROOT])
def test_without_root_or_with_a_busy_grpc_port_fails_cleanly(
    case: Case, env: Env, require_root: None, nobody_can_run_python: None
) -> None:
    check(case, env)


def test_ctrl_c_during_an_allreduce_is_not_a_traceback(env: Env) -> None:
    """A worker whose PS does not answer keeps retrying; Ctrl-C ends it with 130."""
    proc = subprocess.Popen(
        [str(BIN / "inalab-worker"), "--config", "job.json", "--random", "100000"],
        cwd=env.d,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as from a terminal
    )
    try:
        proc.communicate(timeout=1.5)
        pytest.fail("the worker ended before Ctrl-C although nothing answers it")
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=TIMEOUT_S)
    assert proc.returncode == 130, err
    assert "inalab-worker: interrupted" in err and "Traceback" not in err, err


def test_a_huge_token_gives_a_short_compiler_error(env: Env) -> None:
    """p4c echoes the line under the message; a 10,000-character token must not
    make that 20 KB: the echo and the quoted token are cut, the caret still aligned."""
    src = env.d / "long_token.p4"
    src.write_text("control C() { apply { " + "x" * 10_000 + " } }\n")
    r = subprocess.run(
        [str(BIN / "inalab-p4c"), str(src)],
        capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
    )  # fmt: skip
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr) < 1000, f"{len(r.stderr)} characters:\n{r.stderr[:2000]}"
    head, echoed, caret = r.stderr.splitlines()[:3]
    assert f"{src}:1:10024: error:" in head
    assert echoed[caret.index("^")] == "}"


def test_ctl_program_refuses_the_p4info_of_another_program_before_connecting(env: Env) -> None:
    out = env.d / "other"
    out.mkdir(exist_ok=True)
    subprocess.run(
        [str(BIN / "inalab-p4c"), "-w", "-o", str(out / "ina.json"),
         "--p4runtime-files", str(out / "ina.p4info.txtpb"), str(REPO / "tests/p4/basic_fwd.p4")],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    r = subprocess.run(
        [str(BIN / "inalab-ctl"), "program", "single-rack", "--build-dir", str(out),
         "--grpc-base", str(env.free)],
        capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
    )  # fmt: skip
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert f"{out}/ina.p4info.txtpb: not the P4Info of p4src/ina.p4: no InaIngress." in r.stderr
    assert "P4Runtime" not in r.stderr, r.stderr  # refused before connecting


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("register_arrays", [{"name": "r", "id": 0, "size": -1, "bitwidth": 32}],
         "register_arrays[0].size: expected an integer > 0, got -1"),
        ("actions", None, "actions: expected a list, got null"),
    ],
)  # fmt: skip
def test_switch_refuses_bad_top_level_arrays_naming_their_json_path(
    env: Env, key: str, value: object, says: str
) -> None:
    prog = env.d / f"bad_{key}.json"
    r = subprocess.run(
        [str(BIN / "inalab-p4c"), "-w", "-o", str(prog), str(REPO / "tests/p4/basic_fwd.p4")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads(prog.read_text())
    doc[key] = value
    prog.write_text(json.dumps(doc))
    check(c("inalab-switch", prog.name, *_OFF, code=1, says=f"{prog.name}: {says}"), env)


@pytest.fixture(scope="module")
def web_server() -> Iterator[str]:
    """An HTTP server that is not the controller: 404 in HTML, and 200 with other JSON."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Other(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/json/"):
                self.send_response(200)
                body = b'{"hello": "world"}'
            else:
                self.send_response(404)
                body = b"<html>Not Found</html>"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Other)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("command", "path"), [("status", ""), ("jobs", ""), ("status", "/json")])
def test_ctl_against_something_that_is_not_the_controller_says_so(
    web_server: str, command: str, path: str
) -> None:
    url = web_server + path
    r = subprocess.run(
        [str(BIN / "inalab-ctl"), command, "--url", url],
        capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
    )  # fmt: skip
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert f"{url}/{command}:" in r.stderr, r.stderr
    assert "does not look like an inalab controller" in r.stderr, r.stderr
    assert len(r.stderr.splitlines()) == 1, r.stderr


def test_a_bad_controller_url_from_the_environment_is_named_as_such(env: Env) -> None:
    r = subprocess.run(
        [str(BIN / "inalab-ctl"), "jobs"],
        env={**os.environ, "INALAB_CTL_URL": "ctl.example:9000"},
        capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
    )  # fmt: skip
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "INALAB_CTL_URL ctl.example:9000: expected http://HOST:PORT" in r.stderr
