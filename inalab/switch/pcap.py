"""Per-port packet captures, as bmv2's ``--pcap DIR`` writes them.

Each port gets ``<iface>_in.pcap`` (frames the switch received, after ingress
link impairment: what entered the pipeline) and ``<iface>_out.pcap`` (frames
the switch transmitted, before egress impairment). The files are classic
libpcap: microsecond timestamps, link type Ethernet, snap length 65535. The
directory's files are flushed every :data:`FLUSH_INTERVAL` seconds by one
thread (a flush per record costs more than forwarding the frame), so a
capture can be read while the switch runs, at most that much behind.
"""

from __future__ import annotations

import struct
import threading
import time
from pathlib import Path
from typing import BinaryIO, Literal

from inalab.switch.io_errors import PcapError

PCAP_MAGIC_US = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
SNAPLEN = 65535
FLUSH_INTERVAL = 0.05
_GLOBAL_HEADER = struct.Struct("<IHHiIII")
_RECORD_HEADER = struct.Struct("<IIII")

CaptureSide = Literal["in", "out"]


class PcapWriter:
    """One libpcap file; ``write`` is thread-safe. With ``auto_flush`` every record
    is flushed; without it, call :meth:`flush` (PcapDir does, periodically)."""

    def __init__(self, path: Path, snaplen: int = SNAPLEN, auto_flush: bool = True) -> None:
        self.path = path
        self.snaplen = snaplen
        self.auto_flush = auto_flush
        self._dirty = False
        try:
            self._file: BinaryIO = open(path, "wb")  # noqa: SIM115 - lives as long as the writer
        except OSError as exc:
            raise PcapError(f"{path}: cannot create capture file: {exc.strerror}") from None
        self._lock = threading.Lock()
        self._file.write(_GLOBAL_HEADER.pack(PCAP_MAGIC_US, 2, 4, 0, 0, snaplen, LINKTYPE_ETHERNET))
        self._file.flush()
        self.records = 0

    def write(self, frame: bytes, timestamp: float | None = None) -> None:
        ts = time.time() if timestamp is None else timestamp
        sec = int(ts)
        usec = round((ts - sec) * 1_000_000)
        if usec >= 1_000_000:
            sec, usec = sec + 1, usec - 1_000_000
        data = frame[: self.snaplen]
        with self._lock:
            if self._file.closed:
                return
            self._file.write(_RECORD_HEADER.pack(sec, usec, len(data), len(frame)) + data)
            if self.auto_flush:
                self._file.flush()
            else:
                self._dirty = True
            self.records += 1

    def flush(self) -> None:
        with self._lock:
            if self._dirty and not self._file.closed:
                self._file.flush()
                self._dirty = False

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()


class PcapDir:
    """The capture directory: two writers per port, named after its interface."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PcapError(
                f"{directory}: cannot create capture directory: {exc.strerror}"
            ) from None
        if not directory.is_dir():
            raise PcapError(f"{directory}: not a directory")
        self._writers: dict[tuple[int, CaptureSide], PcapWriter] = {}
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name="inalab-pcap", daemon=True)
        self._flusher.start()

    def _flush_loop(self) -> None:
        while not self._stop.wait(FLUSH_INTERVAL):
            for w in list(self._writers.values()):
                w.flush()

    def add_port(self, port: int, iface: str) -> None:
        for side in ("in", "out"):
            key: tuple[int, CaptureSide] = (port, side)
            if key not in self._writers:
                self._writers[key] = PcapWriter(
                    self.directory / f"{iface}_{side}.pcap", auto_flush=False
                )

    def writer(self, port: int, side: CaptureSide) -> PcapWriter | None:
        return self._writers.get((port, side))

    def close(self) -> None:
        self._stop.set()
        self._flusher.join(timeout=2)
        for w in self._writers.values():
            w.close()
