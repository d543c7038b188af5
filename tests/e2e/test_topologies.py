"""Each ready-made topology starts, programmed by the scenarios' testbed, runs a
short allreduce checked exactly, and leaves nothing behind (root)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inalab.scenarios.jobs import JobSpec, run_job
from inalab.scenarios.testbed import Testbed, build_program
from inalab.scenarios.topos import make_topology, ps_name, worker_names

from .conftest import GRPC_BASE, PREFIX, THRIFT_BASE, leftovers


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_program(tmp_path_factory.mktemp("build"))


def _testbed(kind: str, tmp_path: Path, program: Path, **kw: int) -> Testbed:
    topo = make_topology(kind, prefix=PREFIX, grpc_base_port=GRPC_BASE, **kw)
    return Testbed(
        topo, workdir=tmp_path, log_dir=tmp_path / "logs", program=program,
        thrift_base_port=THRIFT_BASE,
    )  # fmt: skip


@pytest.mark.mininet
@pytest.mark.parametrize(
    ("kind", "shape"),
    [("single-rack", {"workers": 3}), ("leaf-spine", {"workers": 4, "racks": 2}),
     ("multi-rack", {"workers": 6, "racks": 3})],
)  # fmt: skip
def test_topology_aggregates_exactly_and_cleans_up(
    kind: str, shape: dict[str, int], tmp_path: Path, program: Path, require_root: None
) -> None:
    with _testbed(kind, tmp_path, program, **shape) as tb:
        workers = worker_names(tb.topo)
        ps = ps_name(tb.topo)
        if kind == "single-rack":
            job, server = tb.new_rack_job(workers, slots=16), tb.ip(ps)
        else:
            job, server = 7, tb.place_two_level_job(7, workers, slots=16)
        ina = run_job(
            tb.net,
            JobSpec(job, workers, server, values=2000, dtype="int32", slots=16, ps_host=ps),
            tmp_path,
        )
        assert ina.correct and ina.exact == ina.blocks == 63, ina
        # the PS path routes across the same fabric (ECMP on leaf-spine)
        via_ps = run_job(
            tb.net,
            JobSpec(99, workers, tb.ip(ps), values=2000, dtype="int32", via="ps", ps_host=ps),
            tmp_path,
        )
        assert via_ps.correct and via_ps.exact == 63, via_ps
    assert leftovers() == []
