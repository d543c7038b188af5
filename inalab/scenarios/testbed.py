"""A running testbed: the P4 program built, a Mininet network of switches and
hosts started, every switch programmed to forward; jobs placed on request.

    with Testbed(single_rack(4)) as tb:
        tb.place_rack_job(job_id=1, workers=("h1", "h2", "h3", "h4"), slots=64)
        result = run_job(tb.net, spec, tb.workdir)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from inalab.protocol.constants import JobMode
from inalab.scenarios.errors import ScenarioError
from inalab.scenarios.jobs import JobSpec
from inalab.scenarios.programming import (
    FabricProgrammer,
    JobPlacement,
    SwitchControl,
    ip_int,
    ip_of,
)
from inalab.topologies.errors import TopologiesError
from inalab.topologies.spec import Topology

REPO = Path(__file__).resolve().parents[2]
# JobConfig keys a scenario may hand the controller for every worker
WORKER_KEYS = ("timeout", "rto", "deadline", "loss_bound", "paths", "ecn", "grace")
# where leaves send partial aggregates when the PS is not behind the tier-1 switch
UPSTREAM_ANYCAST = "10.255.255.1/32"
P4SRC = REPO / "p4src"


def build_program(
    build_dir: Path,
    name: str = "ina",
    *,
    defines: Mapping[str, int] | None = None,
    p4c: str | None = None,
) -> Path:
    """Compile ``p4src/<name>.p4`` to ``build_dir/<name>.json`` (+ P4Info).

    ``p4c`` (default ``$P4C``): ``p4c-bm2-ss`` or a path to it uses the real
    compiler; anything else (or unset) uses inalab's own."""
    build_dir.mkdir(parents=True, exist_ok=True)
    src = P4SRC / f"{name}.p4"
    out = build_dir / f"{name}.json"
    info = build_dir / f"{name}.p4info.txtpb"
    dflags = [f"-D{k}={v}" for k, v in (defines or {}).items()]
    p4c = p4c if p4c is not None else os.environ.get("P4C", "")
    stamp = build_dir / f".{name}.built-by"
    how = " ".join([Path(p4c).name if p4c else "inalab", *dflags])
    if (
        out.is_file()
        and stamp.is_file()
        and stamp.read_text() == how
        and out.stat().st_mtime >= max(f.stat().st_mtime for f in P4SRC.rglob("*.p4"))
    ):
        return out  # up to date (as make would decide), built the same way
    if p4c and Path(p4c).name == "p4c-bm2-ss":
        if shutil.which(p4c) is None:
            raise ScenarioError(f"P4C={p4c}: not found on PATH (unset P4C to use inalab-p4c)")
        r = subprocess.run(
            [p4c, "--arch", "v1model", "--std", "p4-16", "-I", str(P4SRC), *dflags,
             "-o", str(out), "--p4runtime-files", str(info), str(src)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if r.returncode != 0:
            raise ScenarioError(f"{p4c} failed on {src}:\n{r.stderr.strip()}")
        stamp.write_text(how)
        return out
    from inalab.compiler import compile_file
    from inalab.compiler.errors import CompileError

    try:
        compile_file(src, include_dirs=[P4SRC], defines=[d[2:] for d in dflags] or None).write(
            out, info
        )
    except CompileError as e:
        raise ScenarioError(f"compiling {src}: {e}") from None
    stamp.write_text(how)
    return out


def ps_name_of(topo: Topology) -> str:
    return next((h.name for h in topo.hosts if h.role == "ps"), "ps")


class Testbed:
    """Build, start and program a network; stop it (and everything) on exit."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(
        self,
        topo: Topology,
        *,
        workdir: str | Path = "results/run",
        build_dir: str | Path = "build",
        log_dir: str | Path = "logs",
        pcap_dir: str | Path | None = None,
        kind: str | None = None,
        seed: int = 0,
        defines: Mapping[str, int] | None = None,
        switch_args: Sequence[str] = (),
        log_level: str = "warn",
        thrift_base_port: int = 9090,
        program: Path | None = None,
        control: str = "cli",
        policy: str = "first-fit",
        on_full: str = "ps",
    ) -> None:
        """``control``: "cli" programs the switches with :mod:`programming`
        (runtime channel; the scenarios that also set drop simulators, queue
        thresholds or impairments), "controller" with ``inalab.controller``
        (P4Runtime: pipeline push, network, jobs by allocation ``policy``; a
        job that finds no memory goes to the PS when ``on_full`` is "ps")."""
        if control not in ("cli", "controller"):
            raise ScenarioError(f"control {control!r}: cli or controller")
        self.topo = topo
        self.workdir = Path(workdir)
        self.build_dir = Path(build_dir)
        self.log_dir = Path(log_dir)
        self.pcap_dir = Path(pcap_dir) if pcap_dir is not None else None
        self.kind = kind if kind is not None else os.environ.get("SWITCH") or None
        self.seed = seed
        self.defines = dict(defines or {})
        # bmv2's default log level is trace: a line per pipeline step, which
        # costs our switch most of its packet rate; "trace" brings it back.
        self.switch_args = ("--log-level", log_level, *switch_args)
        self.thrift_base_port = thrift_base_port
        self.program = program
        self.net: Any = None
        self.controls: dict[str, SwitchControl] = {}
        self.fabric: FabricProgrammer | None = None
        self.control = control
        self.policy = policy
        self.on_full = on_full
        self.manager: Any = None  # inalab.controller.jobs.JobManager with control="controller"
        self._ctl_fabric: Any = None
        self._service: Any = None  # ControllerService, once controller_url() is asked
        self._mgmt: Any = None  # its ManagementNet
        self.slots = self.defines.get("INA_SLOTS", 1024)
        self._next_job = 1
        self._next_base = 0
        self._wrapped = False

    # ------------------------------------------------------------------ life
    def start(self) -> Testbed:
        from inalab.topologies.cleanup import require_root
        from inalab.topologies.net import InaNetwork, require_mininet

        require_root("a Mininet network")  # before anything is created
        require_mininet()

        try:
            from mininet.log import setLogLevel

            # Mininet reports tc's "quantum of class ... is big" for fast htb
            # rates as errors: harmless, and they would bury the scenario's output.
            setLogLevel("critical")
        except ImportError:
            pass  # InaNetwork's preflight says what to install
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        program = self.program or build_program(self.build_dir, "ina", defines=self.defines)
        args = {s.name: self.switch_args for s in self.topo.switches}
        self.net = InaNetwork(
            self.topo,
            programs={"ina": program},
            build_dir=self.build_dir,
            log_dir=self.log_dir,
            pcap_dir=self.pcap_dir,
            kind=self.kind,
            seed=self.seed,
            switch_args=args,
            thrift_base_port=self.thrift_base_port,
        )
        try:
            self.net.start()
            kind = "bmv2" if self.kind == "bmv2" else "inalab"
            for s in self.topo.switches:
                self.controls[s.name] = SwitchControl(s.name, self.net.thrift_port(s.name), kind)
            self.fabric = FabricProgrammer(self.topo, self.controls)
            if self.control == "controller":
                self._start_controller(program)
            else:
                self.fabric.program_forwarding()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_controller(self, program: Path) -> None:
        from inalab.controller.errors import ControllerError
        from inalab.controller.fabric import Fabric, Pipeline
        from inalab.controller.jobs import JobManager
        from inalab.controller.policies import make_policy

        p4info = program.with_name(program.name.removesuffix(".json") + ".p4info.txtpb")
        try:
            self._ctl_fabric = Fabric(self.topo, Pipeline.load(program, p4info))
            self._ctl_fabric.connect_all()
            self.manager = JobManager(
                self._ctl_fabric, make_policy(self.policy), on_full=self.on_full
            )
        except ControllerError as e:
            raise ScenarioError(f"controller: {e}") from None

    def controller_job(
        self, job_id: int, workers: Sequence[str], values: int, **kw: Any
    ) -> tuple[JobSpec, dict[str, Any]]:
        """Register a job with the controller; the JobSpec its member config says
        (switch or PS, server, slots, group) and the controller's summary."""
        from inalab.controller.errors import ControllerError
        from inalab.controller.requests import JobRequest

        if self.manager is None:
            raise ScenarioError("controller_job needs Testbed(control='controller')")
        worker = {k: kw.pop(k) for k in list(kw) if k in WORKER_KEYS}
        try:
            summary = self.manager.register(
                JobRequest(job_id, tuple(workers), size=values, worker=worker)
            )
            cfg = dict(self.manager.member_config(job_id, 0)["config"])
        except ControllerError as e:
            raise ScenarioError(f"controller: {e}") from None
        server = str(cfg.pop("server")).split(":")[0]
        via, slots = cfg.pop("via"), cfg.pop("slots")
        extra = {k: v for k, v in cfg.items() if k not in ("job_id", "rank", "n_workers", "lanes")}
        ps = ps_name_of(self.topo)
        spec = JobSpec(job_id, tuple(workers), server, values=values, via=via, slots=slots,
                       ps_host=ps, extra=extra, **kw)  # fmt: skip
        return spec, dict(summary)

    def controller_url(self) -> str:
        """The controller's HTTP API (``inalab.controller.service``) as the hosts
        reach it: started on first use, on the management network
        (:mod:`inalab.scenarios.mgmt`), for workers run with ``--controller``."""
        from inalab.controller.errors import ControllerError
        from inalab.controller.service import ControllerService
        from inalab.scenarios.mgmt import MGMT_GATEWAY, ManagementNet

        if self.manager is None:
            raise ScenarioError("controller_url needs Testbed(control='controller')")
        if self._service is None:
            if self._mgmt is None:
                bridge = f"{self.topo.switches[0].name}-mgbr"
                hosts = [(h.name, self.net.host(h.name)) for h in self.topo.hosts]
                self._mgmt = ManagementNet(bridge).start(hosts)
            try:
                self._service = ControllerService(self.manager, (MGMT_GATEWAY, 0)).start()
            except ControllerError as e:
                raise ScenarioError(f"controller service: {e}") from None
        return str(self._service.url)

    def finish_job(self, job_id: int) -> None:
        if self.manager is not None:
            self.manager.finish(job_id)

    def stop(self) -> None:
        if self._service is not None:
            with contextlib.suppress(Exception):
                self._service.stop()
            self._service = None
        if self._mgmt is not None:
            self._mgmt.stop()
            self._mgmt = None
        if self._ctl_fabric is not None:
            with contextlib.suppress(Exception):
                self._ctl_fabric.close()
            self._ctl_fabric = None
            self.manager = None
        for c in self.controls.values():
            c.close()
        self.controls.clear()
        if self.net is not None:
            with contextlib.suppress(TopologiesError):
                self.net.stop()
            self.net = None

    def __enter__(self) -> Testbed:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ jobs
    @property
    def programmer(self) -> FabricProgrammer:
        if self.fabric is None:
            raise ScenarioError("the testbed is not started")
        return self.fabric

    def ip(self, host: str) -> str:
        return str(self.topo.host(host).ip).split("/")[0]

    def place_rack_job(
        self,
        job_id: int,
        workers: Sequence[str],
        *,
        slots: int,
        base: int = 0,
        mcast_grp: int | None = None,
        mode: JobMode = JobMode.DEDICATED,
        index: int | None = None,
        zero: bool = False,
    ) -> None:
        """A job whose workers all hang off one switch (single rack)."""
        attach = [self.topo.attachment(h) for h in workers]
        switches = {s for s, _ in attach}
        if len(switches) != 1:
            raise ScenarioError(f"job {job_id}: workers on several switches {sorted(switches)}")
        (sw,) = switches
        ps = [h for h in self.topo.hosts if h.role == "ps"]
        self.programmer.place_job(
            sw,
            JobPlacement(
                job_id=job_id,
                base=base,
                size=slots,
                members=tuple((p, bit) for bit, (_, p) in enumerate(attach)),
                mcast_grp=mcast_grp if mcast_grp is not None else job_id,
                mode=mode,
                ps_addr=ip_int(ps[0].ip) if ps else 0,
                index=index if index is not None else job_id % 256,
            ),
            zero=zero,
        )

    def new_rack_job(self, workers: Sequence[str], *, slots: int) -> int:
        """Place a job with a fresh id and a fresh region (regions are handed out
        in order; once the memory is used up they are reused, zeroed first).
        Each worker process starts its packet ids at 0, so a job id must not be
        run twice on the same region: this gives each run its own."""
        if slots > self.slots:
            raise ScenarioError(f"{slots} slots: the program has {self.slots}")
        if self._next_base + slots > self.slots:
            self._next_base = 0
            self._wrapped = True
        job = self._next_job
        self.place_rack_job(job, workers, slots=slots, base=self._next_base, zero=self._wrapped)
        self._next_job += 1
        self._next_base += slots
        return job

    def place_two_level_job(self, job_id: int, workers: Sequence[str], *, slots: int) -> str:
        """Leaves aggregate their racks (LEAF mode) and send partials up towards
        the PS address; every tier-1 switch (one core, or each spine of a
        leaf-spine fabric, where ECMP on (address, seq) sends one slot's
        partials from all leaves to the same spine) aggregates the leaves.
        Returns the address the workers send to (the PS's)."""
        by_leaf: dict[str, list[tuple[int, int]]] = {}
        for h in workers:
            sw, port = self.topo.attachment(h)
            by_leaf.setdefault(sw, []).append((port, len(by_leaf.get(sw, []))))
        spines = [s.name for s in self.topo.switches if s.tier == 1]
        if not spines:
            raise ScenarioError("two-level jobs need a tier-1 switch (multi-rack, leaf-spine)")
        ps = next((h for h in self.topo.hosts if h.role == "ps"), None)
        if ps is None:
            raise ScenarioError("two-level jobs send their partials towards the PS address")
        if len(spines) == 1 and self.topo.attachment(ps.name)[0] == spines[0]:
            up = ip_int(ps.ip)  # multi-rack: the PS hangs off the core
        else:
            # the PS sits in a rack: partials go to an address only the spines
            # answer for, spread over them by the leaves' ECMP on (address, seq)
            up = ip_int(UPSTREAM_ANYCAST)
            for leaf in by_leaf:
                uplinks = sorted(self.topo.port_towards(leaf, sp) for sp in spines)
                self.programmer.route(leaf, f"{ip_of(UPSTREAM_ANYCAST)}/32", uplinks)
        for leaf, ms in sorted(by_leaf.items()):
            self.programmer.place_job(
                leaf,
                JobPlacement(
                    job_id=job_id, base=0, size=slots, members=tuple(ms), mcast_grp=job_id,
                    mode=JobMode.LEAF, upstream_addr=up, index=job_id % 256,
                ),
            )  # fmt: skip
        for spine in spines:
            members = tuple(
                (self.topo.port_towards(spine, leaf), bit)
                for bit, leaf in enumerate(sorted(by_leaf))
            )
            self.programmer.place_job(
                spine,
                JobPlacement(
                    job_id=job_id, base=0, size=slots, members=members, mcast_grp=job_id,
                    index=job_id % 256,
                ),
            )  # fmt: skip
        return self.ip(ps.name)
