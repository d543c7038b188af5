"""The real p4runtime-shell against our server and a real switch core."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from p4.v1 import p4runtime_pb2
from p4runtime_sh import shell as sh

from .conftest import Rig
from .program import REGISTER

pytestmark = pytest.mark.integration

MAC_A = "00:00:00:00:00:0a"
MAC_B = "00:00:00:00:00:0b"


def frame(
    dst: str = MAC_A, src: str = MAC_B, ethertype: int = 0x0800, payload: bytes = b"hi"
) -> bytes:
    def mac(s: str) -> bytes:
        return bytes.fromhex(s.replace(":", ""))

    return mac(dst) + mac(src) + ethertype.to_bytes(2, "big") + payload


@pytest.fixture
def shell(rig: Rig) -> Iterator[Rig]:
    sh.setup(
        device_id=1,
        grpc_addr=rig.addr,
        election_id=(0, 1),
        config=sh.FwdPipeConfig(str(rig.p4info_path), str(rig.json_path)),
        verbose=False,
    )
    try:
        yield rig
    finally:
        sh.teardown()


def fwd_entry(dst: str, action: str, **params: str) -> sh.TableEntry:
    te = sh.TableEntry("MyIngress.fwd")(action=action)
    te.match["hdr.ethernet.dstAddr"] = dst
    for k, v in params.items():
        te.action[k] = v
    return te


def test_api_version_and_pipeline_round_trip(shell: Rig) -> None:
    assert sh.APIVersion() == "1.4.1"
    assert sh.context.get_obj_id(sh.P4Type.table, "MyIngress.fwd") == 0x02000001


def test_table_entry_insert_read_modify_delete(shell: Rig) -> None:
    fwd_entry(MAC_A, "MyIngress.set_port", port="2").insert()
    [read] = list(sh.TableEntry("MyIngress.fwd").read())
    assert read.match["hdr.ethernet.dstAddr"].exact.value == bytes.fromhex("0a")  # canonical
    assert read.action["port"].value == b"\x02"
    fwd_entry(MAC_A, "MyIngress.set_port", port="5").modify()
    [read] = list(sh.TableEntry("MyIngress.fwd").read())
    assert read.action["port"].value == b"\x05"
    fwd_entry(MAC_A, "MyIngress.set_port", port="5").delete()
    assert list(sh.TableEntry("MyIngress.fwd").read()) == []


def test_entry_forwards_packets_and_counts_them(shell: Rig) -> None:
    fwd_entry(MAC_A, "MyIngress.set_port", port="2").insert()
    shell.switch.receive(1, frame())
    shell.switch.receive(1, frame(payload=b"more bytes"))
    frames = shell.wire.wait(2)
    assert [p for p, _ in frames] == [2, 2]
    assert frames[0][1] == frame()
    te = sh.TableEntry("MyIngress.fwd")
    te.match["hdr.ethernet.dstAddr"] = MAC_A
    dc = sh.DirectCounterEntry("MyIngress.fwd_counter")
    dc.table_entry.match["hdr.ethernet.dstAddr"] = MAC_A
    [read] = list(dc.read())
    assert read.packet_count == 2
    assert read.byte_count == len(frame()) + len(frame(payload=b"more bytes"))


def test_ternary_range_entry_with_priority(shell: Rig) -> None:
    te = sh.TableEntry("MyIngress.acl")(action="MyIngress.remember")
    te.match["hdr.ethernet.srcAddr"] = f"{MAC_B}&&&ff:ff:ff:ff:ff:ff"
    te.match["hdr.ethernet.etherType"] = "0x0800..0x08ff"
    te.action["idx"] = "3"
    te.action["value"] = "0xdeadbeef"
    te.priority = 10
    te.insert()
    [read] = list(sh.TableEntry("MyIngress.acl").read())
    assert read.priority == 10
    assert read.match["hdr.ethernet.etherType"].range.low == b"\x08\x00"
    fwd_entry(MAC_A, "MyIngress.set_port", port="2").insert()
    shell.switch.receive(1, frame())
    shell.wire.wait(1)
    entity = p4runtime_pb2.Entity()
    entity.register_entry.register_id = REGISTER
    entity.register_entry.index.index = 3
    [resp] = list(sh.client.read_one(entity))
    assert resp.entities[0].register_entry.data.bitstring == bytes.fromhex("deadbeef")


def test_default_entry_modify_and_read(shell: Rig) -> None:
    te = sh.TableEntry("MyIngress.fwd")(action="MyIngress.set_port", is_default=True)
    te.action["port"] = "7"
    te.modify()
    [read] = list(sh.TableEntry("MyIngress.fwd")(is_default=True).read())
    assert read.action["port"].value == b"\x07"
    shell.switch.receive(1, frame(dst="00:00:00:00:00:99"))
    assert shell.wire.wait(1)[0][0] == 7


def test_packet_out_and_packet_in(shell: Rig) -> None:
    pkt = sh.PacketOut(payload=frame(), egress_port="3")
    pkt.send()
    frames = shell.wire.wait(1)
    assert frames == [(3, frame())]
    fwd_entry(MAC_A, "MyIngress.to_cpu").insert()
    packet_in = sh.PacketIn()
    shell.switch.receive(6, frame(payload=b"to the controller"))
    msgs = list(packet_in.sniff(timeout=3))
    assert len(msgs) == 1
    pin = msgs[0].packet
    assert pin.payload == frame(payload=b"to the controller")
    md = {m.metadata_id: m.value for m in pin.metadata}
    assert md[1] == b"\x06"
    assert shell.wire.frames == frames  # nothing on the wire for the CPU port


def test_multicast_group_replicates(shell: Rig) -> None:
    sh.MulticastGroupEntry(1).add(2, 1).add(3, 1).add(4, 2).insert()
    [read] = list(sh.MulticastGroupEntry(1).read())
    assert sorted((r.egress_port, r.instance) for r in read.replicas) == [
        (2, 1),
        (3, 1),
        (4, 2),
    ]
    fwd_entry(MAC_A, "MyIngress.set_mcast", grp="1").insert()
    shell.switch.receive(1, frame())
    frames = shell.wire.wait(3)
    assert sorted(p for p, _ in frames) == [2, 3, 4]
    sh.MulticastGroupEntry(1).delete()
    assert list(sh.MulticastGroupEntry(0).read()) == []


def test_clone_session_with_replicas_clones_packets(shell: Rig) -> None:
    cs = sh.CloneSessionEntry(5).add(7, 1).add(8, 2)
    cs.packet_length_bytes = 14
    cs.insert()
    [read] = list(sh.CloneSessionEntry(5).read())
    assert sorted((r.egress_port, r.instance) for r in read.replicas) == [(7, 1), (8, 2)]
    assert read.packet_length_bytes == 14
    assert list(sh.MulticastGroupEntry(0).read()) == []  # its replication group is hidden
    acl = sh.TableEntry("MyIngress.acl")(action="MyIngress.clone_it")
    acl.match["hdr.ethernet.etherType"] = "0x0800..0x0800"
    acl.action["session"] = "5"
    acl.priority = 1
    acl.insert()
    fwd_entry(MAC_A, "MyIngress.set_port", port="2").insert()
    shell.switch.receive(1, frame(payload=b"long payload"))
    frames = sorted(shell.wire.wait(3))
    assert frames == [
        (2, frame(payload=b"long payload")),
        (7, frame(payload=b"long payload")[:14]),
        (8, frame(payload=b"long payload")[:14]),
    ]
    sh.CloneSessionEntry(5).delete()
    assert list(sh.CloneSessionEntry(0).read()) == []


def test_counter_reads_every_index_and_one(shell: Rig) -> None:
    te = sh.TableEntry("MyIngress.acl")(action="MyIngress.count_port")
    te.match["hdr.ethernet.etherType"] = "0x0800..0x0800"
    te.priority = 1
    te.insert()
    fwd_entry(MAC_A, "MyIngress.set_port", port="2").insert()
    shell.switch.receive(7, frame())
    shell.wire.wait(1)
    c = sh.CounterEntry("MyIngress.port_counter")
    c.index = 7
    [one] = list(c.read())
    assert (one.packet_count, one.byte_count) == (1, len(frame()))
    every = list(sh.CounterEntry("MyIngress.port_counter").read())
    assert len(every) == 512


def test_meter_config_write_and_read(shell: Rig) -> None:
    m = sh.MeterEntry("MyIngress.port_meter")
    m.index = 2
    m.cir, m.cburst, m.pir, m.pburst = 1000, 10, 2000, 20
    m.modify()
    r = sh.MeterEntry("MyIngress.port_meter")
    r.index = 2
    [read] = list(r.read())
    assert (read.cir, read.cburst, read.pir, read.pburst) == (1000, 10, 2000, 20)


def test_action_profile_members_groups_and_entries(shell: Rig) -> None:
    for mid, port in ((1, "2"), (2, "3")):
        m = sh.ActionProfileMember("MyIngress.ecmp_selector")(
            member_id=mid, action="MyIngress.set_port"
        )
        m.action["port"] = port
        m.insert()
    g = sh.ActionProfileGroup("MyIngress.ecmp_selector")(group_id=10)
    g.add(1).add(2)
    g.insert()
    te = sh.TableEntry("MyIngress.ecmp")
    te.match["hdr.ethernet.etherType"] = "0x0800"
    te.group_id = 10
    te.insert()
    [read] = list(sh.TableEntry("MyIngress.ecmp").read())
    assert read.group_id == 10
    [group] = list(sh.ActionProfileGroup("MyIngress.ecmp_selector").read())
    assert sorted(m.member_id for m in group.members) == [1, 2]
    fwd_entry(MAC_A, "NoAction").insert()
    shell.switch.receive(1, frame())
    assert shell.wire.wait(1)[0][0] in (2, 3)


def test_one_shot_action_set(shell: Rig) -> None:
    te = sh.TableEntry("MyIngress.ecmp")
    te.match["hdr.ethernet.etherType"] = "0x0800"
    a = sh.Action("MyIngress.set_port")
    a["port"] = "4"
    te.oneshot.add(a)
    te.insert()
    [read] = list(sh.TableEntry("MyIngress.ecmp").read())
    [one] = read.oneshot.actions
    assert one.weight == 1 and one.action["port"].value == b"\x04"
    fwd_entry(MAC_A, "NoAction").insert()
    shell.switch.receive(1, frame())
    assert shell.wire.wait(1)[0][0] == 4
    te.delete()
    assert shell.switch.act_prof_members("MyIngress.ecmp_selector") == {}


def test_digest_list_and_ack(shell: Rig) -> None:
    d = sh.DigestEntry("learn_t")
    d.max_list_size = 1
    d.max_timeout_ns = 0
    d.ack_timeout_ns = 1_000_000_000
    d.insert()
    [read] = list(sh.DigestEntry("learn_t").read())
    assert read.max_list_size == 1
    te = sh.TableEntry("MyIngress.acl")(action="MyIngress.learn")
    te.match["hdr.ethernet.etherType"] = "0x0800..0x0800"
    te.priority = 1
    te.insert()
    digests = sh.DigestList()
    shell.switch.receive(5, frame())
    msgs = list(digests.sniff(timeout=3))
    assert len(msgs) == 1
    dl = msgs[0].digest
    members = [m.bitstring for m in dl.data[0].struct.members]
    assert members == [bytes.fromhex("0b"), b"\x05"]


def test_idle_timeout_notification(shell: Rig) -> None:
    te = fwd_entry(MAC_A, "MyIngress.set_port", port="2")
    te.idle_timeout_ns = 100_000_000
    te.insert()
    notes = sh.IdleTimeoutNotification()
    msgs = list(notes.sniff(timeout=1.5))  # sniff collects until the timeout
    assert len(msgs) == 1, "one idle timeout notification per expiry"
    entry = msgs[0].idle_timeout_notification.table_entry[0]
    assert entry.idle_timeout_ns == 100_000_000
    assert entry.match[0].exact.value == b"\x0a"


def test_direct_meter_config_with_the_entry_and_alone(shell: Rig) -> None:
    te = sh.TableEntry("MyIngress.acl")(action="MyIngress.drop")
    te.match["hdr.ethernet.etherType"] = "0x0806..0x0806"
    te.priority = 3
    te.meter_config.cir, te.meter_config.cburst = 1000, 100
    te.meter_config.pir, te.meter_config.pburst = 2000, 200
    te.insert()
    [handle] = [e.handle for e in shell.switch.table_entries("MyIngress.acl")]
    rates = shell.switch.direct_meter_get_rates("MyIngress.acl", handle)
    assert [(r.rate_per_us * 1e6, r.burst) for r in rates] == [(1000, 100), (2000, 200)]
    dm = sh.DirectMeterEntry("MyIngress.acl_meter")
    dm.table_entry.match["hdr.ethernet.etherType"] = "0x0806..0x0806"
    dm.table_entry.priority = 3
    dm.cir, dm.cburst, dm.pir, dm.pburst = 5000, 50, 6000, 60
    dm.modify()
    [read] = list(dm.read())
    assert (read.cir, read.cburst, read.pir, read.pburst) == (5000, 50, 6000, 60)


def test_time_since_last_hit_read_with_the_real_shell(shell: Rig) -> None:
    te = fwd_entry(MAC_A, "MyIngress.set_port", port="2")
    te.idle_timeout_ns = 60_000_000_000  # no notification during the test
    te.insert()

    def elapsed_ns() -> int:
        q = sh.TableEntry("MyIngress.fwd")
        q.time_since_last_hit  # noqa: B018 - reading the attribute asks for it in the read
        [read] = list(q.read())
        value: int = read.time_since_last_hit.elapsed_ns
        return value

    time.sleep(0.3)
    idle = elapsed_ns()
    assert 300_000_000 <= idle < 30_000_000_000, "time since the entry was added"
    shell.switch.receive(1, frame())  # a hit
    assert shell.wire.wait(1)
    assert elapsed_ns() < idle - 100_000_000, "a hit restarts the clock"
    [plain] = list(sh.TableEntry("MyIngress.fwd").read())
    assert not plain.msg().HasField("time_since_last_hit"), "only when the request asks"
