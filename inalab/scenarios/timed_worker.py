"""A worker that also records when each packet's first result arrived.

``python -m inalab.scenarios.timed_worker`` takes ``inalab-worker``'s main
options and additionally writes ``--arrivals FILE.npy``: per packet of the
(last) round, the seconds from the round's start to its first result (NaN:
none came). It is the ordinary :class:`inalab.hosts.Worker` with its
transport wrapped, so it speaks the same protocol; the congestion scenario
uses it to count what arrived by a given time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from inalab.hosts.config import JobConfig
from inalab.hosts.errors import AllreduceTimeout, HostsError
from inalab.hosts.worker import Worker
from inalab.protocol.codec import FIELD_INDEX, HEADER_STRUCT

_SEQ = FIELD_INDEX["seq"]


class RecordingTransport:
    """Wraps a transport; remembers the first arrival time of each result's seq."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.first: dict[int, float] = {}

    @property
    def paths(self) -> int:
        return int(self.inner.paths)

    def send(self, payload: bytes, tos: int, path: int) -> None:
        self.inner.send(payload, tos, path)

    def recv(self, timeout: float) -> bytes | None:
        data: bytes | None = self.inner.recv(timeout)
        if data is not None and len(data) >= HEADER_STRUCT.size:
            head = HEADER_STRUCT.unpack_from(data)
            self.first.setdefault(int(head[_SEQ]), time.monotonic())
        return data

    def close(self) -> None:
        self.inner.close()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m inalab.scenarios.timed_worker")
    p.add_argument("--config", required=True)
    p.add_argument("--rank", type=int, required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--arrivals", required=True)
    p.add_argument("--rounds", type=int, default=1)
    args = p.parse_args(argv)
    try:
        cfg = JobConfig.from_json(args.config, rank=args.rank)
        x = np.load(args.input, allow_pickle=False)
        with Worker(cfg) as w:
            rec = RecordingTransport(w.transport)
            w.transport = rec
            out = x
            st = None
            for _ in range(max(1, args.rounds)):
                rec.first.clear()
                start = time.monotonic()
                out = w.allreduce(x)
                st = w.last_stats
                assert st is not None
                print(json.dumps({"rank": cfg.rank, **st.as_dict()}), flush=True)
            assert st is not None
            d = st.as_dict()
            first = int(d.get("first_packet", 0))
            arr = np.full(int(d["packets"]), np.nan)
            for seq, t in rec.first.items():
                j = (seq - first) % 2**32
                if j < arr.size:
                    arr[j] = t - start
        np.save(args.output, out, allow_pickle=False)
        np.save(args.arrivals, arr, allow_pickle=False)
    except AllreduceTimeout as e:
        print(f"timed_worker: error: {e}", file=sys.stderr)
        return 1
    except (HostsError, OSError, ValueError) as e:
        print(f"timed_worker: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
