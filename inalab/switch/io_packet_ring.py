"""A PACKET_MMAP (TPACKET_V2) receive ring for an AF_PACKET socket.

The kernel writes received frames into a ring of fixed-size slots shared with
this process; reading a frame costs no system call (``recvmsg`` with the
ancillary VLAN data costs several microseconds per frame, a large share of
the switch's per-packet budget). Each slot starts with a ``tpacket2_hdr``;
802.1Q tags the kernel strips are in that header and are put back into the
frame, as libpcap does.

The ring has :data:`SLOTS` slots (about as many frames as the 4 MiB socket
buffer it replaces holds), each sized from the interface's MTU (2 KiB for
MTU 1500: 4 MiB per port). Frames larger than a slot (GSO super-frames
from hosts with segmentation offloads on, which the switch could not send
on anyway) are dropped and counted in :attr:`PacketRing.truncated`.
"""

from __future__ import annotations

import mmap
import socket
import struct

SOL_PACKET = 263
PACKET_RX_RING = 5
PACKET_VERSION = 10
TPACKET_V2 = 1
TP_STATUS_KERNEL = 0
TP_STATUS_USER = 1
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
PACKET_OUTGOING = 4

SLOTS = 2048
BLOCK_BYTES = 1 << 17
SLOT_OVERHEAD = 128  # tpacket2_hdr + sockaddr_ll + alignment, and room for a VLAN tag

# struct tpacket2_hdr: status, len, snaplen, mac, net, sec, nsec, vlan_tci, vlan_tpid
_HDR = struct.Struct("IIIHHIIHH")
_HDR_LEN = 32  # TPACKET_ALIGN(sizeof(struct tpacket2_hdr))
_PKTTYPE_OFFSET = _HDR_LEN + 10  # sockaddr_ll.sll_pkttype follows the header
_STATUS = struct.Struct("I")


class PacketRing:
    """The mmap'ed receive ring of one bound AF_PACKET socket."""

    def __init__(self, sock: socket.socket, mtu: int = 1500) -> None:
        slot = 2048
        while slot < mtu + SLOT_OVERHEAD:
            slot *= 2
        block = max(BLOCK_BYTES, slot)
        blocks = SLOTS * slot // block
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V2)
        req = struct.pack("IIII", block, blocks, slot, SLOTS)
        sock.setsockopt(SOL_PACKET, PACKET_RX_RING, req)
        self._map = mmap.mmap(
            sock.fileno(), block * blocks, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE
        )
        self.slot_bytes = slot
        self._slots = SLOTS
        self._next = 0
        self.truncated = 0

    def read(self, budget: int) -> list[bytes]:
        """Up to ``budget`` received frames, oldest first; empty if none is ready."""
        ring = self._map
        out: list[bytes] = []
        unpack_hdr = _HDR.unpack_from
        release = _STATUS.pack_into
        i = self._next
        slot = self.slot_bytes
        for _ in range(budget):
            off = i * slot
            status, length, snaplen, mac, _net, _s, _ns, tci, tpid = unpack_hdr(ring, off)
            if not status & TP_STATUS_USER:
                break
            if ring[off + _PKTTYPE_OFFSET] != PACKET_OUTGOING:
                if snaplen < length:
                    self.truncated += 1
                else:
                    start = off + mac
                    frame = ring[start : start + snaplen]
                    if status & TP_STATUS_VLAN_VALID:
                        if not status & TP_STATUS_VLAN_TPID_VALID:
                            tpid = 0x8100
                        frame = frame[:12] + struct.pack("!HH", tpid, tci) + frame[12:]
                    out.append(frame)
            release(ring, off, TP_STATUS_KERNEL)
            i = (i + 1) % self._slots
        self._next = i
        return out

    def close(self) -> None:
        self._map.close()
