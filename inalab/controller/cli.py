"""``inalab-ctl``: run the controller, and talk to a running one.

    inalab-ctl serve single-rack --workers 4 --policy fair-share
    inalab-ctl program leaf-spine                  # push pipeline + network, exit
    inalab-ctl submit --job 7 --members h1,h2 --slots 32
    inalab-ctl config 7 --rank 0 -o job.json       # for inalab-worker --config
    inalab-ctl status [--json]
    inalab-ctl finish 7

Every error a user can cause prints one line ``inalab-ctl: error: ...`` and
exits non-zero (2 for bad arguments or input, 1 for a refused operation).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from inalab.controller.errors import ConfigError, ControllerError, JobError

PROG = "inalab-ctl"
DEFAULT_URL = os.environ.get("INALAB_CTL_URL", "http://127.0.0.1:9000")


def _topology_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("topology", help="single-rack, leaf-spine, multi-rack, or a .json/.yaml file")
    p.add_argument("--workers", type=int, default=None, help="workers (per rack/leaf)")
    p.add_argument("--leaves", type=int, default=2)
    p.add_argument("--spines", type=int, default=2)
    p.add_argument("--racks", type=int, default=2)
    p.add_argument("--grpc-base", type=int, default=50051, help="gRPC port of switch 0")
    p.add_argument("--build-dir", default="build", help="where <program>.json/.p4info.txtpb are")
    p.add_argument("--json", dest="json_file", default=None, help="bmv2 JSON (default from build)")
    p.add_argument("--p4info", default=None, help="P4Info file (default from build)")
    p.add_argument(
        "--addr",
        action="append",
        default=[],
        metavar="SWITCH=HOST:PORT",
        help="P4Runtime address of a switch (default 127.0.0.1:<its grpc_port>)",
    )
    p.add_argument("--election-id", type=int, default=1)
    p.add_argument("--drop-probability", type=float, default=0.0, help="drop simulator, 0..1")
    p.add_argument(
        "--queue-rate",
        type=float,
        default=None,
        metavar="PPS",
        help="the rate the switches' egress queues drain at (their --queue-rate / "
        "set_queue_rate); with it the ingress early drop by importance is programmed, "
        "without it only ECN marking",
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="inalab P4Runtime controller")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="program the switches and serve the job API")
    _topology_args(s)
    from inalab.controller.jobs import ON_FULL
    from inalab.controller.policies import POLICIES

    s.add_argument("--policy", default="first-fit", help=f"one of {', '.join(sorted(POLICIES))}")
    s.add_argument(
        "--policy-module", default=None, help="import this module first (it registers a policy)"
    )
    s.add_argument("--on-full", choices=ON_FULL, default="refuse")
    s.add_argument("--listen", default="127.0.0.1:9000", help="HOST:PORT of the HTTP API")
    s.add_argument("--state", default=None, help="job state file (survives controller restarts)")
    s.add_argument("--telemetry", default=None, help="append JSON lines of telemetry here")
    s.add_argument("--telemetry-interval", type=float, default=1.0)
    s.add_argument("--drain-timeout", type=float, default=5.0)
    pr = sub.add_parser("program", help="push pipeline and network state, then exit")
    _topology_args(pr)
    for name, help_ in (("status", "telemetry table"), ("jobs", "registered jobs")):
        c = sub.add_parser(name, help=help_)
        c.add_argument("--url", default=DEFAULT_URL)
        c.add_argument("--json", action="store_true", help="JSON instead of a table")
    c = sub.add_parser("submit", help="register a job")
    c.add_argument("--url", default=DEFAULT_URL)
    c.add_argument("--job", type=int, required=True)
    c.add_argument("--members", required=True, help="worker host names in rank order, h1,h2,...")
    c.add_argument("--slots", type=int, default=0)
    c.add_argument("--min-slots", type=int, default=1)
    c.add_argument("--size", type=int, default=0, help="values per allreduce")
    c.add_argument("--lanes", type=int, default=None)
    c.add_argument("--lease", type=float, default=0.0)
    c.add_argument("--heartbeat-timeout", type=float, default=0.0)
    c.add_argument("--mode", default="auto")
    c.add_argument("--worker", default=None, help="JSON object of extra worker config keys")
    c = sub.add_parser("config", help="a member's worker configuration (JobConfig JSON)")
    c.add_argument("--url", default=DEFAULT_URL)
    c.add_argument("job", type=int)
    c.add_argument("--rank", type=int, default=None)
    c.add_argument("--host", default=None)
    c.add_argument("-o", "--output", default=None, help="write to this file")
    c = sub.add_parser("finish", help="end a job (its memory is reclaimed)")
    c.add_argument("--url", default=DEFAULT_URL)
    c.add_argument("job", type=int)
    return p


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(f"--listen {text!r}: want HOST:PORT")
    return host or "127.0.0.1", int(port)


def _check_listen(listen: tuple[str, int], text: str) -> None:
    """A port in use (or an address not ours) is found before the switches are
    programmed, not after. The HTTP server binds it again moments later."""
    if ":" in listen[0]:
        return  # IPv6: left to the server
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as http.server does
        try:
            probe.bind(listen)
        except OSError as e:
            raise ConfigError(f"--listen {text}: cannot listen: {e.strerror or e}") from None


def _check_writable(path: str | None, flag: str, create: bool) -> None:
    """Before any switch is touched: the controller writes ``path`` while it runs
    (the job state on every change, telemetry every interval), so a path it
    cannot write is an error now, not a lost write later."""
    if not path:
        return
    p = Path(path)
    try:
        if create:
            p.parent.mkdir(parents=True, exist_ok=True)
            with p.open("a"):
                pass
        elif not p.parent.is_dir():
            raise ConfigError(f"{flag} {path}: directory {p.parent} does not exist")
        elif not os.access(p.parent, os.W_OK):
            raise ConfigError(f"{flag} {path}: directory {p.parent} is not writable")
    except OSError as e:
        raise ConfigError(f"{flag} {path}: {e.strerror or e}") from None


def _fabric(args: argparse.Namespace) -> Any:
    from inalab.controller.fabric import Fabric, Pipeline
    from inalab.controller.network import NetworkSettings
    from inalab.topologies.cli import topology_from_args
    from inalab.topologies.errors import TopologyError

    ns = argparse.Namespace(**vars(args), program="ina", bw=None, delay=None, loss=None)
    try:
        topo = topology_from_args(ns)
    except TopologyError as e:
        raise ConfigError(f"topology: {e}") from None
    programs = {s.program for s in topo.switches if s.program}
    if len(programs) > 1:
        raise ConfigError(f"switches run different programs {sorted(programs)}: one at a time")
    prog = programs.pop() if programs else "ina"
    if not 0 <= args.election_id < 2**64:
        raise ConfigError(f"--election-id {args.election_id}: must be in 0..2^64-1")
    build = Path(args.build_dir)
    json_file = Path(args.json_file or build / f"{prog}.json")
    p4info = Path(args.p4info or build / f"{prog}.p4info.txtpb")
    addresses = {}
    for item in args.addr:
        name, sep, addr = item.partition("=")
        if not sep or not name or ":" not in addr:
            raise ConfigError(f"--addr {item!r}: want SWITCH=HOST:PORT")
        addresses[name] = addr
    settings = NetworkSettings(
        drop_probability=args.drop_probability, queue_rate_pps=args.queue_rate
    )
    pipeline = Pipeline.load(json_file, p4info)
    _check_pipeline(pipeline, json_file, p4info)
    return Fabric(
        topo,
        pipeline,
        addresses=addresses,
        election_id=(0, args.election_id),
        settings=settings,
    )


def _check_pipeline(pipeline: Any, json_file: Path, p4info: Path) -> None:
    """Before connecting: the bmv2 JSON is a JSON program object, and the P4Info
    has the tables and the register the controller writes (an empty or foreign
    file was found only at the first switch, or without its name)."""
    from inalab.controller.names import Register, Table

    data = pipeline.device_config
    if not data.strip():
        raise ConfigError(f"{json_file}: empty file, not a bmv2 JSON program")
    try:
        doc = json.loads(data)
    except UnicodeDecodeError:
        raise ConfigError(f"{json_file}: not a UTF-8 text file (a bmv2 JSON program?)") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"{json_file}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{json_file}: not a bmv2 JSON program (top level is not an object)")
    missing = [k for k in ("headers", "parsers", "pipelines", "actions") if k not in doc]
    if missing:
        raise ConfigError(f"{json_file}: not a bmv2 JSON program (no {', '.join(missing)})")
    info = pipeline.p4info
    tables = {n for t in info.tables for n in (t.preamble.name, t.preamble.alias)}
    registers = {n for r in info.registers for n in (r.preamble.name, r.preamble.alias)}
    need = [v for k, v in vars(Table).items() if k.isupper() and v not in tables]
    if Register.BITMAP_REG not in registers:
        need.append(Register.BITMAP_REG)
    if need:
        what = "an empty P4Info" if not info.tables else "not the P4Info of p4src/ina.p4"
        more = f" and {len(need) - 3} more" if len(need) > 3 else ""
        raise ConfigError(f"{p4info}: {what}: no {', '.join(need[:3])}{more}")


def _serve(args: argparse.Namespace) -> int:
    import importlib

    from inalab.controller.jobs import JobManager
    from inalab.controller.policies import make_policy
    from inalab.controller.service import ControllerService

    if args.policy_module:
        try:
            importlib.import_module(args.policy_module)
        except ImportError as e:
            raise ConfigError(f"--policy-module {args.policy_module}: {e}") from None
    if not 0 < args.telemetry_interval < math.inf:
        raise ConfigError(f"--telemetry-interval {args.telemetry_interval}: must be > 0 seconds")
    if not 0 <= args.drain_timeout < math.inf:
        raise ConfigError(f"--drain-timeout {args.drain_timeout}: must be >= 0 seconds")
    _check_writable(args.state, "--state", create=False)
    _check_writable(args.telemetry, "--telemetry", create=True)
    policy = make_policy(args.policy)
    listen = _listen(args.listen)
    _check_listen(listen, args.listen)
    fabric = _fabric(args)
    manager = JobManager(
        fabric,
        policy,
        on_full=args.on_full,
        drain_timeout=args.drain_timeout,
        state_file=args.state,
    )
    restored = manager.restore()
    for name, d in fabric.connect_all().items():
        print(f"{name}: connected, {d.counts()}", flush=True)
    service = ControllerService(
        manager,
        listen,
        telemetry_file=args.telemetry,
        telemetry_interval=args.telemetry_interval,
    )
    print(f"serving {service.url} (policy {policy.name}, {restored} job(s) restored)", flush=True)
    service.serve_forever()
    return 0


def _program(args: argparse.Namespace) -> int:
    fabric = _fabric(args)
    try:
        for name, d in fabric.connect_all().items():
            print(f"{name}: {d.counts()}")
    finally:
        fabric.close()
    return 0


def _client(args: argparse.Namespace) -> Any:
    from inalab.controller.client import ControllerClient

    if not args.url.startswith(("http://", "https://")):
        src = (
            "INALAB_CTL_URL"
            if args.url == DEFAULT_URL and "INALAB_CTL_URL" in os.environ
            else "--url"
        )
        raise ConfigError(f"{src} {args.url}: expected http://HOST:PORT")
    return ControllerClient(args.url)


def _submit(args: argparse.Namespace) -> int:
    from inalab.controller.requests import JobRequest

    body: dict[str, Any] = {
        "job_id": args.job,
        "members": [m for m in args.members.split(",") if m],
        "slots": args.slots,
        "min_slots": args.min_slots,
        "size": args.size,
        "lease": args.lease,
        "heartbeat_timeout": args.heartbeat_timeout,
        "mode": args.mode,
    }
    if args.lanes is not None:
        body["lanes"] = args.lanes
    if args.worker:
        try:
            body["worker"] = json.loads(args.worker)
        except ValueError as e:
            raise ConfigError(f"--worker is not JSON: {e}") from None
    JobRequest.from_dict(body)  # same checks as the server, before any network
    print(json.dumps(_client(args).register(body)))
    return 0


def _config(args: argparse.Namespace) -> int:
    if args.rank is None and args.host is None:
        raise ConfigError("give --rank or --host")
    reply = _client(args).config(args.job, args.rank, args.host)
    text = json.dumps(reply["config"], indent=1) + "\n"
    if args.output:
        try:
            Path(args.output).write_text(text)
        except OSError as e:
            raise ConfigError(f"{args.output}: {e.strerror}") from None
    else:
        sys.stdout.write(text)
    return 0


def _status(args: argparse.Namespace) -> int:
    from inalab.controller.telemetry import status_table

    client = _client(args)
    if args.command == "jobs":
        data: Any = client.jobs()
        if not args.json:
            for j in data:
                print(
                    f"{j['job_id']:>5} {j['state']:<8} {j['region']} members={','.join(j['members'])}"
                )
            return 0
    else:
        data = client.status()
        if not args.json:
            print(status_table(data))
            return 0
    print(json.dumps(data, indent=1))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {
        "serve": _serve,
        "program": _program,
        "submit": _submit,
        "config": _config,
        "status": _status,
        "jobs": _status,
        "finish": lambda a: print(json.dumps(_client(a).finish(a.job))) or 0,
    }
    try:
        return int(handlers[args.command](args))
    except ConfigError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except JobError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except ControllerError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
