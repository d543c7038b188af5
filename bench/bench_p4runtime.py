"""Table-entry writes per second through the P4Runtime server, one client.

Starts ``inalab-switch --no-p4`` as its own process (as a controller meets it;
``--in-process`` serves from this process instead, sharing its GIL), claims
primary on a StreamChannel, pushes a pipeline (the P4Runtime tests' program)
and times INSERTs of exact-match entries, client-side serialization included:
one update per Write RPC, then batches. A warm-up round runs first. Prints
one line per mode; figures go to docs/p4runtime.md.

    .venv/bin/python bench/bench_p4runtime.py [--single N] [--batched N] [--batch B]
"""

from __future__ import annotations

import argparse
import json
import queue
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
from p4.v1 import p4runtime_pb2, p4runtime_pb2_grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from p4runtime.program import A_SET_PORT, CPU_PORT, T_FWD, bmv2_json, p4info

from inalab.switch.core import Switch
from inalab.switch.p4runtime.server import start_server

DEVICE = 0
TABLE_SIZE = 1024  # MyIngress.fwd's size: each run deletes what it inserted


def _entity(mac: int) -> p4runtime_pb2.Entity:
    ent = p4runtime_pb2.Entity()
    te = ent.table_entry
    te.table_id = T_FWD
    te.match.add(field_id=1).exact.value = mac.to_bytes(6, "big")
    te.action.action.action_id = A_SET_PORT
    te.action.action.params.add(param_id=1, value=b"\x02")
    return ent


def _request(kind: int, macs: range) -> p4runtime_pb2.WriteRequest:
    req = p4runtime_pb2.WriteRequest(device_id=DEVICE)
    req.election_id.low = 1
    for mac in macs:
        req.updates.add(type=kind, entity=_entity(mac))
    return req


def _timed(stub: p4runtime_pb2_grpc.P4RuntimeStub, total: int, batch: int) -> float:
    """Entries per second inserting ``total`` entries ``batch`` per Write (deletes untimed)."""
    elapsed = 0.0
    done = 0
    while done < total:
        chunk = min(TABLE_SIZE, total - done)
        inserts = [
            _request(p4runtime_pb2.Update.INSERT, range(i, min(i + batch, chunk)))
            for i in range(0, chunk, batch)
        ]
        start = time.perf_counter()
        for req in inserts:
            stub.Write(req)
        elapsed += time.perf_counter() - start
        stub.Write(_request(p4runtime_pb2.Update.DELETE, range(chunk)))
        done += chunk
    return total / elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--single", type=int, default=2000, help="entries written one per RPC")
    ap.add_argument("--batched", type=int, default=20000, help="entries written in batches")
    ap.add_argument("--batch", type=int, default=500, help="updates per batched Write")
    ap.add_argument("--in-process", action="store_true", help="serve from this process")
    args = ap.parse_args(argv)

    proc: subprocess.Popen[bytes] | None = None
    server = None
    if args.in_process:
        server = start_server(Switch(cpu_port=CPU_PORT), "127.0.0.1:0", device_id=DEVICE)
        addr = f"127.0.0.1:{server.port}"
    else:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            addr = f"127.0.0.1:{sock.getsockname()[1]}"
        exe = Path(sys.executable).parent / "inalab-switch"
        proc = subprocess.Popen(
            [str(exe), "--no-p4", "--no-runtime", "--device-id", str(DEVICE), "--",
             "--grpc-server-addr", addr, "--cpu-port", str(CPU_PORT)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    channel = grpc.insecure_channel(addr)
    grpc.channel_ready_future(channel).result(timeout=30)
    stub = p4runtime_pb2_grpc.P4RuntimeStub(channel)
    outbox: queue.Queue[p4runtime_pb2.StreamMessageRequest | None] = queue.Queue()

    def requests() -> Iterator[p4runtime_pb2.StreamMessageRequest]:
        while (msg := outbox.get()) is not None:
            yield msg

    arb = p4runtime_pb2.StreamMessageRequest()
    arb.arbitration.device_id = DEVICE
    arb.arbitration.election_id.low = 1
    outbox.put(arb)
    stream = stub.StreamChannel(requests())
    next(stream)  # primary
    try:
        cfg = p4runtime_pb2.SetForwardingPipelineConfigRequest(
            device_id=DEVICE,
            action=p4runtime_pb2.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT,
        )
        cfg.election_id.low = 1
        cfg.config.p4info.CopyFrom(p4info())
        cfg.config.p4_device_config = json.dumps(bmv2_json()).encode()
        stub.SetForwardingPipelineConfig(cfg)
        _timed(stub, TABLE_SIZE, args.batch)  # warm-up: first inserts build the switch's caches
        single = _timed(stub, args.single, 1)
        batched = _timed(stub, args.batched, args.batch)
        where = "server in this process" if args.in_process else "server process"
        print(
            f"p4runtime table-entry writes, single (1 update/Write): {single:,.0f} entries/s [{where}]"
        )
        print(
            f"p4runtime table-entry writes, batched ({args.batch} updates/Write): "
            f"{batched:,.0f} entries/s (target >= 5,000) [{where}]"
        )
    finally:
        outbox.put(None)
        channel.close()
        if server is not None:
            server.stop(grace=0)
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
