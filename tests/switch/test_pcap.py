"""Per-port captures read back with scapy."""

from __future__ import annotations

import time
from pathlib import Path

from scapy.layers.l2 import Ether
from scapy.utils import rdpcap

from inalab.switch.pcap import PcapDir, PcapWriter


def test_written_frames_read_back_with_timestamps(tmp_path: Path) -> None:
    w = PcapWriter(tmp_path / "x.pcap")
    frame = bytes(Ether(dst="00:00:00:00:00:02", src="00:00:00:00:00:01") / (b"p" * 50))
    w.write(frame, timestamp=1700000000.25)
    w.write(frame[:20], timestamp=1700000001.0)
    # flushed: readable while the writer is still open
    pkts = rdpcap(str(tmp_path / "x.pcap"))
    assert [bytes(p) for p in pkts] == [frame, frame[:20]]
    assert float(pkts[0].time) == 1700000000.25
    assert pkts[0][Ether].dst == "00:00:00:00:00:02"
    w.close()


def test_snaplen_truncates_but_keeps_original_length(tmp_path: Path) -> None:
    w = PcapWriter(tmp_path / "s.pcap", snaplen=16)
    w.write(b"\x01" * 100)
    w.close()
    raw = (tmp_path / "s.pcap").read_bytes()
    assert len(raw) == 24 + 16 + 16
    assert int.from_bytes(raw[24 + 8 : 24 + 12], "little") == 16
    assert int.from_bytes(raw[24 + 12 : 24 + 16], "little") == 100


def test_pcap_dir_files_are_readable_while_running(tmp_path: Path) -> None:
    d = PcapDir(tmp_path)
    d.add_port(2, "veth2")
    w = d.writer(2, "in")
    assert w is not None
    for i in range(3):
        w.write(bytes([i]) * 60)
    deadline = time.monotonic() + 2
    while len(rdpcap(str(tmp_path / "veth2_in.pcap"))) < 3:
        assert time.monotonic() < deadline, "capture not flushed while open"
        time.sleep(0.02)
    d.close()


def test_pcap_dir_names_files_like_bmv2(tmp_path: Path) -> None:
    d = PcapDir(tmp_path / "caps")
    d.add_port(1, "s1-eth1")
    w = d.writer(1, "out")
    assert w is not None
    w.write(b"\x00" * 14)
    d.close()
    assert sorted(p.name for p in (tmp_path / "caps").iterdir()) == [
        "s1-eth1_in.pcap",
        "s1-eth1_out.pcap",
    ]
