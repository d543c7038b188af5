"""``inalab-switch``: run a bmv2 JSON program on Linux interfaces, with
simple_switch_grpc's command line so Mininet glue written for bmv2 starts it
unchanged::

    inalab-switch [options] <path to JSON config file> [-- target options]
    inalab-switch -i 1@s1-eth1 -i 2@s1-eth2 --pcap pcaps --log-console \\
        --device-id 0 build/prog.json -- --grpc-server-addr 0.0.0.0:50051 --cpu-port 255

See docs/switch-cli.md for every flag. Errors a user can cause print one line
on stderr and exit 1.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from inalab.switch.impairment import (
    DIRECTIONS,
    Direction,
    Impairment,
    ImpairmentConfig,
    parse_loss_flag,
    parse_settings,
)
from inalab.switch.io_errors import SwitchIOError, UsageError
from inalab.switch.io_process import (
    DEFAULT_GRPC_ADDR,
    DEFAULT_RUNTIME_PORT,
    StartupError,
    SwitchOptions,
    SwitchProcess,
)

PROG = "inalab-switch"
LOG_LEVELS = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "off": None,
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _version() -> str:
    try:
        return importlib.metadata.version("inalab")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _int(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _main_parser() -> _Parser:
    p = _Parser(
        prog=PROG,
        usage=f"{PROG} [options] <path to JSON config file> [-- target options]",
        description="Run a bmv2 JSON (v1model) program with simple_switch semantics.",
        epilog="Target options (after --): --grpc-server-addr ADDR, --cpu-port N, "
        "--drop-port N, --priority-queues N, --grpc-request-log PATH, --no-grpc. "
        "See docs/switch-cli.md.",
    )
    p.add_argument("json", nargs="?", help="bmv2 JSON program (omit with --no-p4)")
    p.add_argument(
        "-i",
        "--interface",
        action="append",
        default=[],
        metavar="PORT@IFACE",
        help="bind port number PORT to Linux interface IFACE (repeatable)",
    )
    p.add_argument("--no-p4", action="store_true", help="start with no program")
    p.add_argument("-v", "--version", action="version", version=f"{PROG} {_version()}")
    p.add_argument("--device-id", type=_int, default=0)
    p.add_argument(
        "--pcap",
        nargs="?",
        const=".",
        metavar="DIR",
        help="write <iface>_in.pcap / <iface>_out.pcap per port into DIR (default .)",
    )
    p.add_argument("--log-console", action="store_true", help="log to stdout")
    p.add_argument("--log-file", metavar="PATH", help="log to PATH")
    p.add_argument("--log-flush", action="store_true", help="accepted; logs are always flushed")
    p.add_argument(
        "-L",
        "--log-level",
        choices=list(LOG_LEVELS),
        default="trace",
        help="trace (the default, as bmv2) logs every packet; debug and above do not",
    )
    p.add_argument(
        "--thrift-port",
        type=_int,
        metavar="PORT",
        help=f"port of the runtime control channel on 127.0.0.1 (default {DEFAULT_RUNTIME_PORT}); "
        "speaks inalab-switch-cli, not Thrift",
    )
    p.add_argument("--runtime-addr", metavar="HOST:PORT", help="runtime control channel address")
    p.add_argument("--no-runtime", action="store_true", help="no runtime control channel")
    p.add_argument("--nanolog", metavar="ADDR", help="accepted, not served")
    p.add_argument("--debugger", action="store_true", help="accepted, not served")
    p.add_argument("--notifications-addr", metavar="ADDR", help="accepted, not served")
    p.add_argument("--restore-state", metavar="PATH", help="not supported (error)")
    p.add_argument("--max-port-count", type=_int, default=512, help="accepted (ports 0..511)")
    p.add_argument("--seed", type=_int, help="seed of link impairment and of random externs")
    p.add_argument("--impairment", metavar="FILE.json", help="link impairment per port (JSON)")
    p.add_argument(
        "--loss",
        action="append",
        default=[],
        metavar="PORT[:DIR]:PCT",
        help="random loss in percent on a port (both directions unless DIR given)",
    )
    p.add_argument(
        "--impair",
        action="append",
        default=[],
        metavar="PORT:DIR:k=v,...",
        help="e.g. 1:egress:delay=5,jitter=1,loss=0.01 (DIR ingress, egress or both)",
    )
    p.add_argument("--queue-depth", type=_int, help="egress queue depth in packets (default 64)")
    p.add_argument("--queue-rate", type=_rate, help="egress queue rate in packets/s")
    _add_target_options(p, suppress=False)
    return p


def _add_target_options(p: argparse.ArgumentParser, suppress: bool) -> None:
    # simple_switch_grpc takes these after "--"; we accept them on both sides.
    d = argparse.SUPPRESS if suppress else None
    p.add_argument("--grpc-server-addr", default=d, metavar="ADDR", help="default 0.0.0.0:9559")
    p.add_argument("--cpu-port", type=_int, default=d, metavar="N", help="PacketIn/Out port")
    p.add_argument("--drop-port", type=_int, default=d, metavar="N", help="default 511")
    p.add_argument("--priority-queues", type=_int, default=d, metavar="N", help="1..8 per port")
    p.add_argument("--grpc-request-log", default=d, metavar="PATH", help="log P4Runtime requests")
    p.add_argument("--no-grpc", action="store_true", default=d, help="do not serve P4Runtime")


def _target_parser() -> _Parser:
    p = _Parser(prog=f"{PROG} ... --", add_help=False)
    _add_target_options(p, suppress=True)
    return p


def _host_port(text: str, flag: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"{flag} {text!r}: expected HOST:PORT")
    return host or "127.0.0.1", int(port)


def _interfaces(values: list[str]) -> tuple[tuple[int, str], ...]:
    out = []
    for v in values:
        port, sep, iface = v.partition("@")
        if not sep or not port.isdigit() or not iface:
            raise UsageError(f"-i {v!r}: expected PORT@IFACE, e.g. 1@s1-eth1")
        out.append((int(port), iface))
    return tuple(out)


def _impairments(args: argparse.Namespace) -> ImpairmentConfig:
    try:
        cfg = (
            ImpairmentConfig.from_json_file(Path(args.impairment))
            if args.impairment
            else ImpairmentConfig()
        )
    except UnicodeDecodeError:
        raise UsageError(f"--impairment {args.impairment}: not a UTF-8 text file") from None
    links: dict[tuple[int, Direction], Impairment] = dict(cfg.links)
    for text in args.loss:
        port, direction, p = parse_loss_flag(text)
        for d in (direction,) if direction else DIRECTIONS:
            links[(port, d)] = parse_settings(links.get((port, d), Impairment()), [f"loss={p}"])
    for text in args.impair:
        parts = text.split(":", 2)
        if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in (*DIRECTIONS, "both"):
            raise UsageError(f"--impair {text!r}: expected PORT:ingress|egress|both:k=v,...")
        port = int(parts[0])
        dirs: tuple[Direction, ...] = DIRECTIONS if parts[1] == "both" else (parts[1],)
        for d in dirs:
            links[(port, d)] = parse_settings(
                links.get((port, d), Impairment()), parts[2].split(",")
            )
    return ImpairmentConfig(links=links, seed=cfg.seed)


def parse_options(argv: Sequence[str]) -> tuple[SwitchOptions, argparse.Namespace]:
    """Command line -> options; UsageError / ImpairmentError for bad ones."""
    argv = list(argv)
    target: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, target = argv[:cut], argv[cut + 1 :]
    args = _main_parser().parse_args(argv)
    targs = _target_parser().parse_args(target)
    for k, v in vars(targs).items():
        setattr(args, k, v)
    if args.restore_state:
        raise UsageError("--restore-state is not supported")
    if not 0 <= args.device_id < 2**64:
        raise UsageError(f"--device-id {args.device_id}: must be in 0..2^64-1")
    if args.cpu_port is not None and not 0 <= args.cpu_port < 512:
        raise UsageError(f"--cpu-port {args.cpu_port}: must be in 0..511")
    if args.max_port_count < 1:
        raise UsageError(f"--max-port-count {args.max_port_count}: must be >= 1")
    if args.no_p4 and args.json:
        raise UsageError("give either a JSON config file or --no-p4, not both")
    if not args.no_p4 and not args.json:
        raise UsageError("missing the JSON config file (or --no-p4)")
    runtime: tuple[str, int] | None = ("127.0.0.1", DEFAULT_RUNTIME_PORT)
    explicit = False
    if args.runtime_addr:
        runtime, explicit = _host_port(args.runtime_addr, "--runtime-addr"), True
    elif args.thrift_port is not None:
        if not 0 < args.thrift_port < 65536:
            raise UsageError(f"--thrift-port {args.thrift_port}: not a TCP port")
        runtime, explicit = ("127.0.0.1", args.thrift_port), True
    if args.no_runtime:
        runtime = None
    grpc: str | None = None
    if not args.no_grpc:
        grpc = args.grpc_server_addr or DEFAULT_GRPC_ADDR
        _host_port(grpc, "--grpc-server-addr")
    opts = SwitchOptions(
        json_path=None if args.no_p4 else Path(args.json),
        interfaces=_interfaces(args.interface),
        device_id=args.device_id,
        pcap_dir=Path(args.pcap) if args.pcap is not None else None,
        seed=args.seed,
        impairment=_impairments(args),
        queue_depth=args.queue_depth,
        queue_rate=args.queue_rate,
        drop_port=511 if args.drop_port is None else args.drop_port,
        priority_queues=1 if args.priority_queues is None else args.priority_queues,
        cpu_port=args.cpu_port,
        grpc_addr=grpc,
        grpc_request_log=Path(args.grpc_request_log) if args.grpc_request_log else None,
        runtime_addr=runtime,
        runtime_addr_explicit=explicit,
    )
    return opts, args


def _setup_logging(args: argparse.Namespace) -> None:
    level = LOG_LEVELS[args.log_level]
    if level is None or not (args.log_console or args.log_file):
        return
    fmt = logging.Formatter("[%(asctime)s.%(msecs)03d] [%(name)s] %(levelname)s: %(message)s")
    fmt.datefmt = "%H:%M:%S"
    handlers: list[logging.Handler] = []
    if args.log_console:
        handlers.append(logging.StreamHandler(sys.stdout))
    if args.log_file:
        try:
            handlers.append(logging.FileHandler(args.log_file))
        except OSError as exc:
            raise UsageError(f"--log-file {args.log_file}: {exc.strerror}") from None
    root = logging.getLogger("inalab")
    for h in handlers:
        h.setFormatter(fmt)
        root.addHandler(h)
    root.setLevel(level)
    trace = logging.getLogger("inalab.switch.trace")
    trace.setLevel(logging.DEBUG if args.log_level == "trace" else max(level, logging.INFO))


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        opts, args = parse_options(argv)
        _setup_logging(args)
    except SwitchIOError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    # gRPC's C core logs its own copy of start-up errors on stderr; we print one line.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    process = SwitchProcess(opts)
    try:
        process.start()
    except (SwitchIOError, StartupError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    ports = ", ".join(f"{n}@{i}" for n, i in opts.interfaces) or "none"
    extras = []
    if process.runtime_bound:
        extras.append(f"runtime control on {process.runtime_bound[0]}:{process.runtime_bound[1]}")
    if process.grpc_server is not None:
        extras.append(f"P4Runtime on {opts.grpc_addr}")
    print(
        f"{PROG}: device {opts.device_id} running; ports {ports}; {'; '.join(extras)}", flush=True
    )
    try:
        while not stop.wait(0.5):
            pass
    finally:
        process.stop()
    print(f"{PROG}: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
