"""Host-only baseline: ring allreduce (reduce-scatter + all-gather) over TCP.

One process per worker host, each connected to the next rank and accepting
the previous one; ``n - 1`` reduce-scatter steps then ``n - 1`` all-gather
steps over ``n`` chunks, float32 on the wire and in the sums (as gloo does),
numpy for the per-element work. Its traffic crosses the same links and the
same P4 switch (routed by ``ipv4_lpm``) as the aggregation protocol.

    python -m inalab.scenarios.ring --rank 0 --hosts 10.0.1.1,10.0.1.2 \\
        --input in0.npy --output out0.npy          # prints one JSON line
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

RING_PORT = 47000


def _recv_exact(s: socket.socket, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = s.recv_into(view[got:], n - got)
        if k == 0:
            raise ConnectionError("peer closed the ring connection")
        got += k
    return bytes(buf)


def _connect(host: str, port: int, deadline: float) -> socket.socket:
    while True:
        try:
            s = socket.create_connection((host, port), timeout=5)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return s
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def ring_allreduce(
    x: npt.NDArray[Any], rank: int, hosts: Sequence[str], port: int = RING_PORT,
    timeout: float = 60.0,
) -> tuple[npt.NDArray[Any], float, int]:  # fmt: skip
    """(sum, seconds after the ring was connected, bytes sent). ``hosts`` are
    ``addr`` or ``addr:port`` (default ``port``); a rank listens on its own."""
    n = len(hosts)
    peers = [(h.rsplit(":", 1)[0], int(h.rsplit(":", 1)[1])) if ":" in h else (h, port)
             for h in hosts]  # fmt: skip
    if n == 1:
        return x.copy(), 0.0, 0
    deadline = time.monotonic() + timeout
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("0.0.0.0", peers[rank][1]))
    lsock.listen(1)
    lsock.settimeout(timeout)
    nxt = _connect(*peers[(rank + 1) % n], deadline)
    prev, _ = lsock.accept()
    lsock.close()
    prev.settimeout(timeout)
    chunks = [c.copy() for c in np.array_split(x.astype(np.float32), n)]
    sent = 0
    # a one-byte handshake round makes every rank start the clock together
    nxt.sendall(b"r")
    _recv_exact(prev, 1)
    t0 = time.monotonic()

    def exchange(send_i: int, recv_i: int) -> npt.NDArray[Any]:
        nonlocal sent
        data = chunks[send_i].tobytes()
        th = threading.Thread(target=nxt.sendall, args=(data,))
        th.start()
        raw = _recv_exact(prev, chunks[recv_i].nbytes)
        th.join()
        sent += len(data)
        return np.frombuffer(raw, dtype=np.float32)

    for step in range(n - 1):
        s_i, r_i = (rank - step) % n, (rank - step - 1) % n
        chunks[r_i] = chunks[r_i] + exchange(s_i, r_i)
    for step in range(n - 1):
        s_i, r_i = (rank + 1 - step) % n, (rank - step) % n
        chunks[r_i] = exchange(s_i, r_i).copy()
    elapsed = time.monotonic() - t0
    nxt.close()
    prev.close()
    return np.concatenate(chunks), elapsed, sent


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m inalab.scenarios.ring", description=__doc__)
    p.add_argument("--rank", type=int, required=True)
    p.add_argument("--hosts", required=True, help="comma-separated addresses in rank order")
    p.add_argument("--port", type=int, default=RING_PORT)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--timeout", type=float, default=60.0)
    args = p.parse_args(argv)
    hosts = args.hosts.split(",")
    if not 0 <= args.rank < len(hosts):
        print(f"ring: error: --rank {args.rank} not in 0..{len(hosts) - 1}", file=sys.stderr)
        return 2
    try:
        x = np.load(args.input, allow_pickle=False)
        out, elapsed, sent = ring_allreduce(x, args.rank, hosts, args.port, args.timeout)
        np.save(args.output, out, allow_pickle=False)
    except (OSError, ValueError, ConnectionError) as e:
        print(f"ring: error: rank {args.rank}: {e}", file=sys.stderr)
        return 1
    stats = {"rank": args.rank, "values": int(x.size), "elapsed": elapsed, "bytes_sent": sent}
    print(json.dumps(stats), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())


def run_ring_job(net: Any, spec: Any, workdir: Any, ips: Sequence[str]) -> Any:
    """Run the ring baseline for a :class:`~inalab.scenarios.jobs.JobSpec` on
    its worker hosts (``ips`` in rank order); a ``JobResult`` with via="ring"."""
    import subprocess
    from pathlib import Path

    from inalab.scenarios.errors import JobFailed
    from inalab.scenarios.jobs import JobResult, expected_sum, record_process

    d = Path(workdir) / f"ring{spec.job_id}"
    d.mkdir(parents=True, exist_ok=True)
    xs = spec.inputs()
    procs = []
    for r, host in enumerate(spec.workers):
        np.save(d / f"in{r}.npy", xs[r])
        cmd = [sys.executable, "-m", "inalab.scenarios.ring", "--rank", str(r),
               "--hosts", ",".join(ips), "--input", str(d / f"in{r}.npy"),
               "--output", str(d / f"out{r}.npy"), "--timeout", str(spec.timeout)]  # fmt: skip
        proc = net.host(host).popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        record_process(net, proc, cmd[0], f"ring {host}")
        procs.append(proc)
    outs = []
    try:
        outs = [p.communicate(timeout=spec.timeout + 30) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    bad = [f"rank {r}: {e.strip()}" for r, (p, (_, e)) in enumerate(zip(procs, outs, strict=True))
           if p.returncode != 0]  # fmt: skip
    if bad:
        raise JobFailed("ring baseline: " + "; ".join(bad))
    stats = [json.loads(o.splitlines()[-1]) for o, _ in outs]
    want = expected_sum(spec, xs)
    results = [np.load(d / f"out{r}.npy") for r in range(spec.n)]
    scale = float(np.max(np.abs(want), initial=1.0))
    errs = [float(np.max(np.abs(o.astype(np.float64) - want), initial=0.0)) for o in results]
    elapsed = max(s["elapsed"] for s in stats)
    k = spec.lanes
    blocks = -(-spec.values // k)
    return JobResult(
        job_id=spec.job_id, via="ring", n_workers=spec.n, values=spec.values, dtype=spec.dtype,
        elapsed=elapsed, goodput=spec.values / elapsed if elapsed > 0 else 0.0,
        blocks=blocks, exact=blocks, partial=0, missing=0, retransmissions=0,
        packets_sent=0, correct=max(errs) <= 1e-5 * scale, max_error=max(errs),
        delivered_mass=1.0, matching_fraction=1.0, delivered_blocks=1.0, rounds=stats,
    )  # fmt: skip
