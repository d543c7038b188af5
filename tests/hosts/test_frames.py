"""Framing, and workers sitting directly on ports of the switch core running p4src/ina.p4
(the aggregation happens in the P4 program, not in Python beside it)."""

from __future__ import annotations

import functools
import random
import threading
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from inalab.hosts import quantize as qz
from inalab.hosts.config import JobConfig
from inalab.hosts.errors import ConfigError
from inalab.hosts.frames import FrameTransport, HostAddress, build_frame, udp_payload
from inalab.hosts.worker import Worker
from inalab.protocol import format as fmt
from inalab.protocol.constants import InaEvent
from inalab.protocol.scapy_layer import INA

ADDR = HostAddress(
    mac="02:00:00:00:00:01", ip="10.0.0.1", gateway_mac="02:aa:00:00:00:01", server_ip="10.0.0.100"
)


def test_frame_agrees_with_scapy_and_round_trips() -> None:
    payload = bytes(INA(msg_type=1, job_id=4, seq=9, values=list(range(32))))
    frame = build_frame(ADDR, payload, tos=(46 << 2) | 2, sport=50003, ident=7)
    pkt = Ether(frame)
    assert pkt[IP].src == "10.0.0.1" and pkt[IP].dst == "10.0.0.100"
    assert pkt[IP].tos == (46 << 2) | 2 and pkt[IP].len == fmt.ipv4_total_length(32)
    again = pkt[IP].copy()
    del again.chksum  # scapy recomputes it
    assert IP(bytes(again)).chksum == pkt[IP].chksum
    assert pkt[UDP].sport == 50003 and pkt[UDP].dport == fmt.INA_UDP_PORT
    assert pkt[INA].seq == 9 and len(frame) == fmt.frame_bytes(32)
    assert udp_payload(frame) == (payload, (46 << 2) | 2)
    assert udp_payload(frame[:20]) is None
    assert udp_payload(bytes(Ether() / IP() / (b"x" * 40))) is None


def test_ce_mark_becomes_ecn_echo_and_non_udp_is_counted() -> None:
    t = FrameTransport(lambda f: None, ADDR)
    payload = bytes(INA(msg_type=2, values=[0] * 32))
    t.deliver(build_frame(ADDR, payload, tos=fmt.ECN_CE, sport=1))
    t.deliver(b"\x00" * 60)
    got = t.recv(0.1)
    assert got is not None and got[fmt.offset("flags")] & fmt.Flag.ECN_ECHO
    assert t.recv(0) is None and t.not_udp == 1


def test_bad_addresses_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="MAC"):
        HostAddress(mac="zz", ip="10.0.0.1", gateway_mac="02:aa:00:00:00:01", server_ip="1.2.3.4")
    with pytest.raises(ConfigError, match="IPv4"):
        HostAddress(mac="02:00:00:00:00:01", ip="10.0.0", gateway_mac=ADDR.mac, server_ip="1.2.3.4")


# ---------------------------------------------------------------- through the P4 program

PORTS = (1, 2, 3)
SLOTS = 16


def _switch_job(
    drop: int = 0, result_loss: float = 0.0
) -> tuple[Any, dict[int, FrameTransport], JobConfig]:
    from dataplane.harness import Rig  # the data-plane tests' rig: compile + switch core

    rig = Rig(lanes=32)
    rig.rack(5, PORTS, mcast=1, size=SLOTS)
    if drop:
        rig.drop_sim(drop)
    transports: dict[int, FrameTransport] = {}
    for port in PORTS:
        addr = HostAddress(
            mac=f"02:00:00:00:00:{port:02x}", ip=f"10.0.0.{port}",
            gateway_mac="02:aa:00:00:00:01", server_ip="10.0.0.100",
        )  # fmt: skip
        transports[port] = FrameTransport(functools.partial(rig.sw.receive, port), addr, paths=2)
    lose = random.Random(11)

    def tx(port: int, data: bytes) -> None:
        if result_loss and lose.random() < result_loss:  # only the switch thread calls this
            return
        transports[port].deliver(bytes(data))

    rig.sw.set_transmit_handler(tx)
    cfg = JobConfig(
        job_id=5, rank=0, n_workers=len(PORTS), server="10.0.0.100", via="switch",
        slots=SLOTS, rto=0.05, max_rto=0.3, timeout=60.0,
    )  # fmt: skip
    return rig, transports, cfg


def _run(cfg: JobConfig, transports: dict[int, FrameTransport], xs: list[np.ndarray]) -> dict:
    out: dict[int, Any] = {}

    def one(i: int) -> None:
        w = Worker(JobConfig.from_dict({**cfg.__dict__, "rank": i}), transports[PORTS[i]])
        try:
            out[i] = (w.allreduce(xs[i]), w.last_stats)
        except Exception as e:
            out[i] = e

    ts = [threading.Thread(target=one, args=(i,)) for i in range(len(PORTS))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=120)
    for i, v in out.items():
        if isinstance(v, BaseException):
            raise AssertionError(f"rank {i}: {v!r}")
    return out


@pytest.mark.integration
def test_int32_and_float32_allreduce_through_the_p4_program() -> None:
    rig, transports, cfg = _switch_job()
    try:
        rng = np.random.default_rng(3)
        xi = [rng.integers(-(2**28), 2**28, 1000, dtype=np.int32) for _ in PORTS]
        res = _run(cfg, transports, xi)
        for i in range(len(PORTS)):
            out, st = res[i]
            assert np.array_equal(out, np.sum(xi, axis=0, dtype=np.int32))
            assert st.exact == st.blocks == 32 and st.malformed == 0
        xf = [(rng.standard_normal(1000) * 100).astype(np.float32) for _ in PORTS]
        # new Worker objects: they continue the job's packet sequence (32 packets so far)
        res = _run(replace(cfg, first_packet=32), transports, xf)
        agreed = np.max([qz.block_exponents(qz.chunk(x, 32)) for x in xf], axis=0)
        exact = np.sum(np.array(xf, dtype=np.float64), axis=0)
        bound = np.repeat(qz.error_bound(agreed, 3), 32)[:1000] + np.abs(exact) * 2.0**-23
        for i in range(len(PORTS)):
            out, _ = res[i]
            assert np.all(np.abs(out - exact) <= bound)
    finally:
        rig.close()


@pytest.mark.integration
def test_int32_exact_when_the_switch_drops_ten_percent() -> None:
    rig, transports, cfg = _switch_job(drop=6554)  # 6554 / 65536 = 10% of arrivals
    try:
        rng = np.random.default_rng(4)
        xi = [rng.integers(-1000, 1000, 32 * 60, dtype=np.int32) for _ in PORTS]
        res = _run(cfg, transports, xi)
        retx = 0
        for i in range(len(PORTS)):
            out, st = res[i]
            assert np.array_equal(out, np.sum(xi, axis=0, dtype=np.int32))
            retx += st.retransmissions
        assert retx > 0
    finally:
        rig.close()


@pytest.mark.integration
@pytest.mark.parametrize("dtype", ["int32", "float32"])
def test_every_worker_ends_with_the_same_array_under_loss_with_a_loss_bound(dtype: str) -> None:
    # 15% of contributions dropped by the P4 drop simulator, 10% of result copies lost on
    # the way to the hosts; a deadline far shorter than the timers, so lost packets are
    # given up: each rank flushes, the switch closes the slot and multicasts its partial,
    # and later packets for it get the same result, so all ranks agree on every block.
    rig, transports, cfg = _switch_job(drop=9830, result_loss=0.1)
    cfg = JobConfig.from_dict(
        {**cfg.__dict__, "deadline": 0.01, "grace": 0.05, "loss_bound": 0.6, "rto": 0.2,
         "max_rto": 0.4, "timeout": 60.0}
    )  # fmt: skip
    try:
        rng = np.random.default_rng(12)
        if dtype == "int32":
            xs = [rng.integers(-1000, 1000, 32 * 60, dtype=np.int32) for _ in PORTS]
        else:
            xs = [(rng.standard_normal(32 * 60) * 10).astype(np.float32) for _ in PORTS]
        res = _run(cfg, transports, xs)
        outs = [res[i][0] for i in range(len(PORTS))]
        stats = [res[i][1] for i in range(len(PORTS))]
        for i in range(1, len(PORTS)):
            assert np.array_equal(outs[i], outs[0]), f"rank {i} differs from rank 0"
        assert sum(st.flushes for st in stats) > 0  # the deadline path was taken
        for st in stats:  # every rank classifies every block alike
            assert (st.exact, st.partial, st.missing) == (
                stats[0].exact,
                stats[0].partial,
                stats[0].missing,
            )
            assert st.partial + st.missing > 0
        if dtype == "int32":  # exact blocks are exact
            want = np.sum(xs, axis=0, dtype=np.int32).reshape(60, 32)
            got = outs[0].reshape(60, 32)
            match = (got == want).all(axis=1)
            assert match.sum() >= stats[0].exact
        assert rig.counter("ina_event_counter", InaEvent.FLUSHED) > 0
    finally:
        rig.close()


@pytest.mark.integration
def test_ecn_marks_from_the_switch_queues_shrink_the_window() -> None:
    rig, transports, cfg = _switch_job()
    try:
        for cls in fmt.Importance:
            rig.ecn_threshold(int(cls), 0)  # mark every ECT packet CE (no early-drop entries)
        rng = np.random.default_rng(5)
        xi = [rng.integers(-1000, 1000, 32 * 64, dtype=np.int32) for _ in PORTS]
        res = _run(cfg, transports, xi)
        for i in range(len(PORTS)):
            out, st = res[i]
            assert np.array_equal(out, np.sum(xi, axis=0, dtype=np.int32))
            assert st.ecn_echoes == 64 and st.window < SLOTS
    finally:
        rig.close()


@pytest.mark.integration
def test_best_effort_collisions_are_aggregated_by_the_ps_behind_the_switch() -> None:
    from dataplane.harness import Rig

    from inalab.hosts.frames import ipv4_udp_frame, parse_datagram
    from inalab.hosts.ps import Aggregator, PsJob
    from inalab.protocol.constants import JobMode

    ps_ip, ps_mac, ps_port, sw_mac = "10.0.9.9", "02:00:00:00:09:09", 9, "02:aa:00:00:00:01"
    rig = Rig(lanes=32)
    ports = (1, 2)
    # a region of 2 cells for 48 blocks in flight 16 at a time: many collisions
    rig.rack(6, ports, mcast=1, mode=JobMode.BEST_EFFORT, base=0, size=2, ps=0x0A090909)
    rig.route(0x0A090909, 32, ps_port, 0x020000000909)
    for p in ports:
        rig.route(0x0A000000 | p, 32, p, 0x020000000000 | p)
    agg = Aggregator.for_jobs([PsJob(6, len(ports))])
    transports: dict[int, FrameTransport] = {}

    def ps_host(frame: bytes) -> None:  # the PS's NIC: frames in, result frames out
        d = parse_datagram(frame)
        assert d is not None and d.dst_port == fmt.INA_PS_UDP_PORT
        for (ip, port), out in agg.handle(d.payload, (d.src_ip, d.src_port)):
            rig.sw.receive(
                ps_port,
                ipv4_udp_frame(ps_mac, sw_mac, ps_ip, ip, fmt.INA_PS_UDP_PORT, port, out),
            )

    def tx(port: int, data: bytes) -> None:
        if port == ps_port:
            threading.Thread(target=ps_host, args=(bytes(data),)).start()
        else:
            transports[port].deliver(bytes(data))

    for port in ports:
        addr = HostAddress(
            mac=f"02:00:00:00:00:{port:02x}", ip=f"10.0.0.{port}",
            gateway_mac=sw_mac, server_ip="10.0.0.100",
        )  # fmt: skip
        transports[port] = FrameTransport(functools.partial(rig.sw.receive, port), addr)
    rig.sw.set_transmit_handler(tx)
    cfg = JobConfig(
        job_id=6, rank=0, n_workers=2, server="10.0.0.100", via="switch", slots=16,
        rto=0.05, max_rto=0.3, timeout=60.0, paths=1,
    )  # fmt: skip
    try:
        rng = np.random.default_rng(6)
        xi = [rng.integers(-1000, 1000, 32 * 48, dtype=np.int32) for _ in ports]
        out: dict[int, Any] = {}

        def one(i: int) -> None:
            w = Worker(JobConfig.from_dict({**cfg.__dict__, "rank": i}), transports[ports[i]])
            try:
                out[i] = (w.allreduce(xi[i]), w.last_stats)
            except Exception as e:
                out[i] = e

        ts = [threading.Thread(target=one, args=(i,)) for i in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(timeout=90)
        want = np.sum(xi, axis=0, dtype=np.int32)
        for i in range(2):
            assert not isinstance(out[i], BaseException), out[i]
            assert np.array_equal(out[i][0], want)
        assert agg.counters["complete"] > 0, agg.counters  # some blocks went to the PS
    finally:
        rig.close()
