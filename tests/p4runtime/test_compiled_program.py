"""p4runtime-shell on a program compiled by our own compiler (``inalab.compiler``):
P4Info ids and names from the compiler, bmv2 JSON run by the switch core."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from p4runtime_sh import shell as sh

from inalab.compiler.api import compile_file
from inalab.switch.core import Switch
from inalab.switch.p4runtime.server import start_server

from .conftest import Wire
from .program import CPU_PORT

pytestmark = pytest.mark.integration
SOURCE = Path(__file__).parent / "p4" / "p4rt_test.p4"
MAC_A, MAC_B = "00:00:00:00:00:0a", "00:00:00:00:00:0b"


def frame(payload: bytes = b"hi") -> bytes:
    return bytes.fromhex("00000000000a00000000000b0800") + payload


@pytest.fixture
def compiled(tmp_path: Path) -> Iterator[tuple[Switch, Wire]]:
    program = compile_file(SOURCE)
    json_path, info_path = tmp_path / "p4rt_test.json", tmp_path / "p4rt_test.p4info.txtpb"
    program.write(json_path, info_path)
    switch = Switch(cpu_port=CPU_PORT)
    wire = Wire()
    switch.set_transmit_handler(wire)
    switch.start()
    server = start_server(switch, "127.0.0.1:0", device_id=0, cpu_port=CPU_PORT)
    sh.setup(device_id=0, grpc_addr=f"127.0.0.1:{server.port}", election_id=(0, 1),
             config=sh.FwdPipeConfig(str(info_path), str(json_path)), verbose=False)  # fmt: skip
    try:
        yield switch, wire
    finally:
        sh.teardown()
        server.stop(grace=0)
        switch.stop()


def test_forwarding_counters_and_registers(compiled: tuple[Switch, Wire]) -> None:
    switch, wire = compiled
    te = sh.TableEntry("MyIngress.fwd")(action="MyIngress.set_port")
    te.match["hdr.ethernet.dstAddr"] = MAC_A
    te.action["port"] = "2"
    te.insert()
    acl = sh.TableEntry("MyIngress.acl")(action="MyIngress.remember")
    acl.match["hdr.ethernet.srcAddr"] = f"{MAC_B}&&&ff:ff:ff:ff:ff:ff"
    acl.match["hdr.ethernet.etherType"] = "0x0800..0x0800"
    acl.action["idx"] = "1"
    acl.action["value"] = "0xcafe"
    acl.priority = 5
    acl.insert()
    switch.receive(1, frame())
    assert wire.wait(1) == [(2, frame())]
    dc = sh.DirectCounterEntry("MyIngress.fwd_counter")
    dc.table_entry.match["hdr.ethernet.dstAddr"] = MAC_A
    [counted] = list(dc.read())
    assert counted.packet_count == 1
    assert switch.register_read("MyIngress.reg", 1) == 0xCAFE


def test_packet_in_out_and_digest(compiled: tuple[Switch, Wire]) -> None:
    switch, wire = compiled
    sh.PacketOut(payload=frame(), egress_port="3").send()
    assert wire.wait(1) == [(3, frame())]
    te = sh.TableEntry("MyIngress.fwd")(action="MyIngress.to_cpu")
    te.match["hdr.ethernet.dstAddr"] = MAC_A
    te.insert()
    d = sh.DigestEntry("learn_t")
    d.max_list_size = 1
    d.insert()
    acl = sh.TableEntry("MyIngress.acl")(action="MyIngress.learn")
    acl.match["hdr.ethernet.etherType"] = "0x0800..0x0800"
    acl.priority = 1
    acl.insert()
    packet_in, digests = sh.PacketIn(), sh.DigestList()
    switch.receive(6, frame(b"up"))
    [pin] = list(packet_in.sniff(timeout=1.5))
    assert pin.packet.payload == frame(b"up")
    assert {m.metadata_id: m.value for m in pin.packet.metadata}[1] == b"\x06"
    [dl] = list(digests.sniff(timeout=0.5))
    assert [m.bitstring for m in dl.digest.data[0].struct.members] == [b"\x0b", b"\x06"]


def test_selector_group_and_multicast(compiled: tuple[Switch, Wire]) -> None:
    switch, wire = compiled
    for mid, port in ((1, "4"), (2, "5")):
        m = sh.ActionProfileMember("MyIngress.ecmp_selector")(
            member_id=mid, action="MyIngress.set_port"
        )
        m.action["port"] = port
        m.insert()
    sh.ActionProfileGroup("MyIngress.ecmp_selector")(group_id=1).add(1).add(2).insert()
    ecmp = sh.TableEntry("MyIngress.ecmp")
    ecmp.match["hdr.ethernet.etherType"] = "0x0800"
    ecmp.group_id = 1
    ecmp.insert()
    te = sh.TableEntry("MyIngress.fwd")(action="NoAction")
    te.match["hdr.ethernet.dstAddr"] = MAC_A
    te.insert()
    switch.receive(1, frame())
    assert wire.wait(1)[0][0] in (4, 5)
    sh.MulticastGroupEntry(9).add(7).add(8).insert()
    te = sh.TableEntry("MyIngress.fwd")(action="MyIngress.set_mcast")
    te.match["hdr.ethernet.dstAddr"] = MAC_A
    te.action["grp"] = "9"
    te.modify()
    sh.TableEntry("MyIngress.ecmp").read(lambda e: e.delete())
    switch.receive(1, frame())
    assert sorted(p for p, _ in wire.wait(3)[1:]) == [7, 8]
