"""``python -m inalab.topologies``: show, write or run a topology.

::

    python -m inalab.topologies show single-rack --workers 4
    python -m inalab.topologies show topo.yaml
    python -m inalab.topologies save leaf-spine --leaves 3 leaf-spine.yaml
    sudo .venv/bin/python -m inalab.topologies run multi-rack --program ina   # Mininet CLI

A topology is a builder name (``single-rack``, ``leaf-spine``, ``multi-rack``)
with size options, or a ``.json``/``.yaml`` file. Errors print one line and
exit 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from inalab.topologies.builders import leaf_spine, multi_rack, single_rack
from inalab.topologies.errors import TopologiesError, TopologyError
from inalab.topologies.loader import load_topology, save_topology
from inalab.topologies.spec import LinkProfile, Topology

PROG = "python -m inalab.topologies"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Show, write or run an inalab topology.")
    sub = p.add_subparsers(dest="command", required=True)
    for name, help_ in (
        ("show", "print hosts, switches and port maps"),
        ("save", "write the topology to a .json/.yaml file"),
        ("run", "start it in Mininet (root) and open the Mininet CLI"),
    ):
        c = sub.add_parser(name, help=help_)
        c.add_argument(
            "topology", help="single-rack, leaf-spine, multi-rack, or a .json/.yaml file"
        )
        if name == "save":
            c.add_argument("output", help="file to write (.json, .yaml, .yml)")
        c.add_argument("--workers", type=int, default=None, help="workers (per rack/leaf)")
        c.add_argument("--leaves", type=int, default=2)
        c.add_argument("--spines", type=int, default=2)
        c.add_argument("--racks", type=int, default=2)
        c.add_argument("--program", default="ina", help="build/<PROGRAM>.json ('none': --no-p4)")
        c.add_argument("--bw", type=float, default=None, help="host link rate, Mbit/s")
        c.add_argument("--delay", type=float, default=None, help="host link delay, ms")
        c.add_argument("--loss", type=float, default=None, help="host link loss, percent")
        c.add_argument("--grpc-base", type=int, default=50051, help="gRPC port of switch 0")
        if name == "run":
            c.add_argument("--build-dir", default="build")
            c.add_argument("--seed", type=int, default=0)
            c.add_argument("--thrift-base", type=int, default=9090, help="runtime port of switch 0")
            c.add_argument("--no-cli", action="store_true", help="start and stop (a smoke test)")
    return p


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def topology_from_args(args: argparse.Namespace) -> Topology:
    program = None if args.program == "none" else args.program
    try:
        link = LinkProfile(bw_mbit=args.bw, delay_ms=args.delay, loss_pct=args.loss)
    except TopologyError as e:
        raise TopologyError(f"host link options: {e}") from None
    if args.topology == "single-rack":
        return single_rack(
            _or(args.workers, 4), program=program, host_link=link, grpc_base_port=args.grpc_base
        )
    if args.topology == "leaf-spine":
        return leaf_spine(
            args.leaves,
            _or(args.workers, 2),
            spines=args.spines,
            program=program,
            host_link=link,
            grpc_base_port=args.grpc_base,
        )
    if args.topology == "multi-rack":
        return multi_rack(
            args.racks,
            _or(args.workers, 2),
            program=program,
            host_link=link,
            grpc_base_port=args.grpc_base,
        )
    try:
        return load_topology(Path(args.topology))
    except UnicodeDecodeError:
        raise TopologyError(f"{args.topology}: not a UTF-8 text file") from None


def describe(topo: Topology) -> str:
    lines = [f"topology {topo.name}" + (f": {topo.description}" if topo.description else "")]
    lines.append("hosts:")
    for h in topo.hosts:
        sw, port = topo.attachment(h.name)
        rank = f" rank {h.rank}" if h.rank is not None else ""
        gw = f" via {h.gateway}" if h.gateway else ""
        lines.append(f"  {h.name:<10} {h.ip:<16} {h.mac}  {h.role}{rank}  at {sw}:{port}{gw}")
    lines.append("switches:")
    for s in topo.switches:
        prog = s.program or "(no program)"
        lines.append(
            f"  {s.name:<10} device {s.device_id}  gRPC {s.grpc_port}  tier {s.tier}  {prog}"
        )
        for port, peer in sorted(topo.switch_ports(s.name).items()):
            props = peer.link.profile
            extra = ", ".join(
                f"{k} {v}"
                for k, v in (
                    ("bw", props.bw_mbit),
                    ("delay", props.delay_ms),
                    ("jitter", props.jitter_ms),
                    ("loss%", props.loss_pct),
                    ("queue", props.queue_pkts),
                )
                if v is not None
            )
            lines.append(
                f"    port {port:<3} -> {peer.node}:{peer.peer_port}"
                + (f"  ({extra})" if extra else "")
            )
    return "\n".join(lines)


def _run(topo: Topology, args: argparse.Namespace) -> None:
    from inalab.topologies.net import InaNetwork

    last = args.thrift_base + max((s.device_id for s in topo.switches), default=0)
    if args.thrift_base < 1024 or last > 65535:
        raise TopologyError(
            f"--thrift-base {args.thrift_base}: switch ports must be in 1024..65535"
        )
    if args.seed < 0:
        raise TopologyError(f"--seed {args.seed}: must be >= 0")

    net = InaNetwork(
        topo, build_dir=args.build_dir, seed=args.seed, thrift_base_port=args.thrift_base
    )
    with net:
        print(describe(topo))
        if not args.no_cli:
            from mininet.cli import CLI

            CLI(net.net)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        topo = topology_from_args(args)
        if args.command == "show":
            print(describe(topo))
        elif args.command == "save":
            save_topology(topo, args.output)
        else:
            _run(topo, args)
    except TopologiesError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # writing the output file
        where = f"{e.filename}: " if e.filename else ""
        print(f"{PROG}: error: {where}{e.strerror or e}", file=sys.stderr)
        return 1
    return 0
