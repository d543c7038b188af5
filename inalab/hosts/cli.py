"""Commands ``inalab-worker`` and ``inalab-ps``.

Exit codes: 0 success; 1 the aggregator did not answer in time; 2 bad
arguments, configuration or input, or the controller refused or could not be
reached (a one-line message, never a traceback).

A worker gets its job configuration from a file (``--config FILE``) or from
the controller's HTTP API (``--controller URL --job J --rank R``): it then
heartbeats before every round with the round number and follows the region
moves the controller announces (``inalab.controller.client.ManagedWorker``).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inalab.hosts.config import JobConfig, parse_address
from inalab.hosts.errors import AllreduceTimeout, ConfigError, HostsError, InputError
from inalab.hosts.ps import ParameterServer, PsJob
from inalab.hosts.worker import Worker
from inalab.protocol import format as fmt

LOG_LEVELS = ("debug", "info", "warning", "warn", "error", "critical")


def _logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )


def _load_input(args: argparse.Namespace) -> np.ndarray:
    if args.input:
        try:
            with open(args.input, "rb") as f:
                if f.read(6) != b"\x93NUMPY":
                    raise InputError(f"{args.input}: not a .npy file (numpy.save format)")
            arr = np.load(args.input, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise InputError(f"{args.input}: cannot load a .npy array: {e}") from None
        if not isinstance(arr, np.ndarray):
            raise InputError(f"{args.input}: not a single .npy array")
        return arr
    if args.random is None or args.random < 0:
        raise InputError("give --input FILE.npy or --random N (N >= 0)")
    try:
        rng = np.random.default_rng(args.seed)
        if args.dtype == "int32":
            return rng.integers(-(2**20), 2**20, args.random, dtype=np.int32)
        return rng.standard_normal(args.random).astype(np.float32)
    except (MemoryError, ValueError, OverflowError) as e:  # "Unable to allocate": MemoryError
        raise InputError(f"--random {args.random} --seed {args.seed}: {e}") from None


def _run_managed(args: argparse.Namespace) -> np.ndarray:
    """``--rounds`` allreduces as rank ``--rank`` of controller job ``--job``."""
    from inalab.controller.client import ControllerClient, ManagedWorker
    from inalab.controller.errors import ControllerError

    if args.job is None or args.rank is None:
        raise ConfigError("--controller needs --job J and --rank R")
    for opt in ("server", "via", "first_packet"):
        if getattr(args, opt) is not None:
            flag = "--" + opt.replace("_", "-")
            raise ConfigError(f"{flag} goes with --config (the controller sets it)")
    if not args.controller.startswith(("http://", "https://")):
        raise ConfigError(f"--controller {args.controller}: expected http://HOST:PORT")
    arr = _load_input(args)
    out = arr
    try:
        with ManagedWorker(ControllerClient(args.controller), args.job, args.rank) as w:
            for _ in range(args.rounds):
                out = w.allreduce(arr)
                assert w.worker is not None and w.worker.last_stats is not None
                assert w.config is not None
                stats = w.worker.last_stats.as_dict()
                where = {"rank": args.rank, "epoch": w.epoch, "via": w.config.via}
                print(json.dumps({**where, **stats}), flush=True)
    except ControllerError as e:
        raise ConfigError(f"controller: {e}") from None
    return out


def worker_main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="inalab-worker",
        description="One worker of an INA job: allreduce an array through the switch or PS.",
    )
    cfg_src = p.add_mutually_exclusive_group(required=True)
    cfg_src.add_argument("--config", help="job configuration JSON (JobConfig)")
    cfg_src.add_argument(
        "--controller",
        metavar="URL",
        help="fetch the configuration from the controller's HTTP API (with --job and --rank)",
    )
    p.add_argument("--job", type=int, help="job id (with --controller)")
    p.add_argument("--rank", type=int, help="override the config's rank (--controller: required)")
    p.add_argument("--server", help="override the aggregator address host[:port]")
    p.add_argument("--via", choices=("ps", "switch"), help="override the config's via")
    p.add_argument(
        "--first-packet",
        type=int,
        help="job-wide id of the first packet: continue a job's earlier run "
        "(its last stats line's first_packet + packets)",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--input", help=".npy file with a 1-D float32 or int32 array")
    src.add_argument("--random", type=int, metavar="N", help="N random values instead")
    p.add_argument("--dtype", choices=("float32", "int32"), default="float32")
    p.add_argument("--seed", type=int, default=0, help="seed for --random")
    p.add_argument("--rounds", type=int, default=1, help="allreduce calls (default 1)")
    p.add_argument("--output", help="write the last result here (.npy)")
    p.add_argument("--log-level", type=str.lower, choices=LOG_LEVELS, default="warning")
    args = p.parse_args(argv)
    _logging(args.log_level)
    prog = "inalab-worker"
    try:
        if args.rounds < 1:
            raise ConfigError(f"--rounds {args.rounds} must be >= 1")
        if args.output:  # checked before the allreduce, so its result is not lost
            out_path = Path(args.output)
            if out_path.is_dir() or not out_path.parent.is_dir():
                why = "a directory" if out_path.is_dir() else "its directory does not exist"
                raise InputError(f"--output {args.output}: cannot write ({why})")
        if args.controller is not None:
            out = _run_managed(args)
        else:
            if args.job is not None:
                raise ConfigError("--job goes with --controller (the config file names the job)")
            try:
                cfg = JobConfig.from_json(
                    args.config,
                    rank=args.rank,
                    server=args.server,
                    via=args.via,
                    first_packet=args.first_packet,
                )
            except UnicodeDecodeError:  # JobConfig.from_json reads the file as text
                raise ConfigError(f"{args.config}: not a UTF-8 text file") from None
            arr = _load_input(args)
            with Worker(cfg) as w:
                out = arr
                for _ in range(args.rounds):
                    out = w.allreduce(arr)
                    assert w.last_stats is not None
                    print(json.dumps({"rank": cfg.rank, **w.last_stats.as_dict()}), flush=True)
        if args.output:
            try:
                np.save(args.output, out, allow_pickle=False)
            except OSError as e:
                raise InputError(f"{args.output}: cannot write: {e.strerror}") from None
    except AllreduceTimeout as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except HostsError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return 0


def ps_main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="inalab-ps",
        description="Parameter server: software aggregation with the switch's wire format.",
    )
    p.add_argument(
        "--listen",
        default=f"0.0.0.0:{fmt.INA_PS_UDP_PORT}",
        help=f"host[:port] (default 0.0.0.0:{fmt.INA_PS_UDP_PORT})",
    )
    p.add_argument("--job", action="append", default=[], metavar="ID:N", help="job and workers")
    p.add_argument(
        "--config", action="append", default=[], help="job JSON (job_id, n_workers used)"
    )
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--log-level", type=str.lower, choices=LOG_LEVELS, default="info")
    args = p.parse_args(argv)
    _logging(args.log_level)
    prog = "inalab-ps"
    try:
        jobs = [PsJob.parse(j) for j in args.job]
        for c in args.config:
            try:
                cfg = JobConfig.from_json(c)
            except UnicodeDecodeError:  # JobConfig.from_json reads the file as text
                raise ConfigError(f"{c}: not a UTF-8 text file") from None
            jobs.append(PsJob(cfg.job_id, cfg.n_workers))
        ids = [j.job_id for j in jobs]
        if len(set(ids)) != len(ids):
            raise ConfigError(f"job ids given twice: {sorted(ids)}")
        if args.duration is not None and not 0 < args.duration < math.inf:
            raise ConfigError(f"--duration {args.duration} must be > 0 and finite")
        server = ParameterServer(jobs, parse_address(args.listen, fmt.INA_PS_UDP_PORT))
    except HostsError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2

    def _stop(signum: int, frame: Any) -> None:
        server.request_stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    host, port = server.address
    logging.getLogger("inalab.ps").info(
        "listening on %s:%d for jobs %s",
        host,
        port,
        ", ".join(f"{j.job_id}:{j.n_workers}" for j in jobs),
    )
    print(json.dumps({"listening": f"{host}:{port}"}), flush=True)
    try:
        server.serve(args.duration)
    finally:
        server.sock.close()
        print(json.dumps(dict(server.aggregator.counters)), flush=True)
    return 0


def _entry(fn: Any) -> None:
    sys.exit(fn())


def worker() -> None:
    _entry(worker_main)


def ps() -> None:
    _entry(ps_main)
