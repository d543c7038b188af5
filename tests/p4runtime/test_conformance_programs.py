"""p4runtime-shell on real p4c output (the shared conformance pairs, read in place):
P4Info and bmv2 JSON as p4c-bm2-ss wrote them, our server and switch core."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from google.rpc import code_pb2
from p4.v1 import p4runtime_pb2
from p4runtime_sh import shell as sh
from p4runtime_sh.p4runtime import P4RuntimeWriteException

from inalab.switch.core import Switch
from inalab.switch.p4runtime.server import start_server

pytestmark = [pytest.mark.integration, pytest.mark.conformance]


@pytest.fixture
def connect(conformance_dir: Path) -> Iterator[Callable[[str], None]]:
    switch = Switch()
    server = start_server(switch, "127.0.0.1:0")
    connected: list[bool] = []

    def setup(name: str) -> None:
        sh.setup(device_id=0, grpc_addr=f"127.0.0.1:{server.port}", election_id=(0, 1),
                 config=sh.FwdPipeConfig(str(conformance_dir / f"{name}.p4info.txtpb"),
                                         str(conformance_dir / f"{name}.json")),
                 verbose=False)  # fmt: skip
        connected.append(True)

    try:
        yield setup
    finally:
        if connected:
            sh.teardown()
        server.stop(grace=0)


def test_const_range_table_reads_with_priorities_and_refuses_writes(
    connect: Callable[[str], None],
) -> None:
    connect("table-entries-range-bmv2")
    entries = list(sh.TableEntry("ingress.t_range").read())
    assert len(entries) == 4
    query = p4runtime_pb2.Entity()
    query.table_entry.table_id = entries[0].id
    [resp] = list(sh.client.read_one(query))
    assert [e.table_entry.is_const for e in resp.entities] == [True] * 4
    prios = [e.priority for e in entries]
    assert prios == sorted(prios, reverse=True)  # the first const entry wins: highest priority
    lows = [e.match["h.h.r"].range.low if "h.h.r" in e.match._mk else None for e in entries]
    assert lows == [b"\x01", b"\x06", b"\x0f", None]  # 0..255 is a wildcard: omitted
    te = sh.TableEntry("ingress.t_range")(action="ingress.a")
    te.match["h.h.r"] = "3..4"
    te.priority = 9
    with pytest.raises(P4RuntimeWriteException) as info:
        te.insert()
    assert info.value.errors[0][1].canonical_code == code_pb2.PERMISSION_DENIED


def test_lpm_entries_on_p4c_output(connect: Callable[[str], None]) -> None:
    connect("flag_lost-bmv2")
    te = sh.TableEntry("ingress.ipv4_lpm")(action="ingress.ipv4_forward")
    te.match["hdr.ipv4.dstAddr"] = "10.0.0.0/8"
    te.action["dstAddr"] = "00:00:00:00:01:02"
    te.action["port"] = "3"
    te.insert()
    [read] = list(sh.TableEntry("ingress.ipv4_lpm").read())
    assert read.match["hdr.ipv4.dstAddr"].lpm.value == b"\x0a\x00\x00\x00"
    assert read.match["hdr.ipv4.dstAddr"].lpm.prefix_len == 8
    assert read.action["dstAddr"].value == b"\x01\x02"  # canonical
    # bits past the prefix: the shell would mask them, a raw request is refused
    req = p4runtime_pb2.WriteRequest()
    update = req.updates.add(type=p4runtime_pb2.Update.INSERT)
    update.entity.table_entry.CopyFrom(te.msg())
    update.entity.table_entry.match[0].lpm.value = b"\x0a\x00\x00\x01"
    with pytest.raises(P4RuntimeWriteException) as info:
        sh.client.write(req)
    assert info.value.errors[0][1].canonical_code == code_pb2.INVALID_ARGUMENT
    assert "prefix" in info.value.errors[0][1].message
