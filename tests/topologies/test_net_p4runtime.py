"""A network of program-less switches (--no-p4) programmed only through
P4Runtime with p4runtime-shell, as the controller does: pipeline push and
table entries per device id, then hosts in different racks ping (root; mininet)."""

from __future__ import annotations

from pathlib import Path

import pytest
from p4runtime_sh import shell as sh

from inalab.topologies.builders import multi_rack
from inalab.topologies.net import InaNetwork

from .routes import host_routes


@pytest.mark.mininet
def test_p4runtime_programs_a_multi_rack_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, require_root: None, l3fwd_build: Path
) -> None:
    monkeypatch.setenv("INALAB_RUN_DIR", str(tmp_path / "runs"))
    topo = multi_rack(2, 1, program=None, grpc_base_port=20511)
    net = InaNetwork(topo, log_dir=tmp_path / "logs", pcap_dir=None, thrift_base_port=19511)
    config = sh.FwdPipeConfig(
        str(l3fwd_build / "l3fwd.p4info.txtpb"), str(l3fwd_build / "l3fwd.json")
    )
    with net:
        assert not net.ping("r1h1", "r2h1"), "no program yet: nothing is forwarded"
        for spec in topo.switches:
            sh.setup(
                device_id=spec.device_id,
                grpc_addr=f"127.0.0.1:{spec.grpc_port}",
                election_id=(0, 1),
                config=config,
                verbose=False,
            )
            try:
                for address, mac, port in host_routes(net, spec.name):
                    te = sh.TableEntry("L3Ingress.ipv4_routes")(action="L3Ingress.route")
                    te.match["hdr.ipv4.dst_addr"] = f"{address}/32"
                    te.action["next_hop_mac"] = mac
                    te.action["port"] = str(port)
                    te.insert()
                assert len(list(sh.TableEntry("L3Ingress.ipv4_routes").read())) == len(topo.hosts)
            finally:
                sh.teardown()
        assert net.ping("r1h1", "r2h1", count=2)
        assert net.ping("r2h1", "ps")
