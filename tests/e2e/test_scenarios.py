"""Every scenario in its quick configuration, as a user runs it; the JSON it
writes is checked for sane values, not only for existing (root, Mininet)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import leftovers

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from inalab.scenarios.testbed import build_program

    build = tmp_path_factory.mktemp("build")
    build_program(build)
    return build


def scenario(name: str, tmp_path: Path, build: Path, net_args: list[str], *extra: str) -> Any:
    out = tmp_path / "results"
    r = subprocess.run(
        [sys.executable, "-m", "inalab.scenarios", name, "--quick", "--out", str(out),
         "--build", str(build), *net_args, *extra],
        cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert "results:" in r.stdout
    assert leftovers() == []
    doc = json.loads((out / f"{name}.json").read_text())
    assert doc["scenario"] == name and doc["quick"] is True
    pngs = list(out.glob(f"{name}*.png"))
    assert pngs and all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
    return doc


@pytest.mark.mininet
def test_allreduce_ina_ps_and_ring_are_exact_and_below_line_rate(
    tmp_path: Path, build_dir: Path, net_args: list[str], require_root: None
) -> None:
    doc = scenario("allreduce", tmp_path, build_dir, net_args)
    rows = doc["rows"]
    assert sorted(r["method"] for r in rows) == ["ina", "ps", "ring"]
    for r in rows:
        assert r["correct"] is True, r
        assert r["exact_fraction"] == 1.0, r
        assert 0 < r["goodput"] < doc["line_rate"], r
        assert r["time_s"] > 0


@pytest.mark.mininet
def test_loss_sweep_exact_without_loss_and_degrading_with_it(
    tmp_path: Path, build_dir: Path, net_args: list[str], require_root: None
) -> None:
    doc = scenario("loss", tmp_path, build_dir, net_args)
    for method in ("ina", "ps"):
        rows = sorted((r for r in doc["rows"] if r["method"] == method), key=lambda r: r["loss"])
        assert [r["loss"] for r in rows] == [0.0, 0.1, 0.3]
        assert rows[0]["exact_fraction"] == 1.0 and rows[0]["matching_fraction"] == 1.0
        not_exact = [1 - r["exact_fraction"] for r in rows]
        assert not_exact[0] < not_exact[1] < not_exact[2], (method, not_exact)
        for r in rows:
            total = r["exact_fraction"] + r["partial_fraction"] + r["missing_fraction"]
            assert total == pytest.approx(1.0)
            # (not: matching >= exact. Under loss a float32 block can complete
            # with count n and still be wrong: docs/scenarios.md, loss.)
        assert rows[2]["time_s"] > rows[0]["time_s"]
    for method in ("ina", "ps"):
        by_loss = {r["loss"]: r for r in doc["rows"] if r["method"] == method}
        # after the deadline a flush closes a slot with what arrived (the switch
        # and the PS alike): partial aggregates appear with loss
        assert by_loss[0.0]["partial_fraction"] == 0 < by_loss[0.3]["partial_fraction"]


@pytest.mark.mininet
def test_importance_aware_dropping_keeps_more_gradient_mass(
    tmp_path: Path, build_dir: Path, net_args: list[str], require_root: None
) -> None:
    doc = scenario("congestion", tmp_path, build_dir, net_args, "--thresholds")
    mass = doc["mean_delivered_mass"]
    assert mass["importance"] > mass["tail-drop"], mass
    # the ingress early drop on the same FIFO as tail drop frees places for the large blocks
    assert mass["early-drop"] > mass["tail-drop"], mass
    for r in doc["rows"]:
        assert r["queue_drops"] > 0, r  # the queues really were congested
        assert 0 < r["delivered_mass"] <= 1 and 0 < r["delivered_blocks"] <= 1
    imp = [r for r in doc["rows"] if r["policy"] in ("importance", "early-drop")]
    # more mass than blocks by the deadline: what got through first are the large blocks
    assert all(r["delivered_mass"] > r["delivered_blocks"] for r in imp), imp


@pytest.mark.mininet
def test_jobs_without_memory_fall_back_to_the_ps_exactly(
    tmp_path: Path, build_dir: Path, net_args: list[str], require_root: None
) -> None:
    doc = scenario("fallback", tmp_path, build_dir, net_args)
    rows = doc["rows"]
    assert [(r["mode"], r["regions"], r["in_switch"], r["at_ps"]) for r in rows] == [
        ("dedicated", 2, 2, 0), ("dedicated", 1, 1, 1), ("dedicated", 0, 0, 2),
        ("best-effort", 8, 2, 0),
    ]  # fmt: skip
    for r in rows:
        assert r["correct"] is True
        assert all(j["correct"] and j["time_s"] > 0 for j in r["jobs"])
        assert [j["via"] for j in r["jobs"]].count("ps") == r["at_ps"]
    # ATP-style: 2 jobs x 313 blocks hashed into 8 shared cells, a window of 64
    # each: most blocks collide, the PS aggregates them and its results reach
    # the workers through the switch
    ps = rows[-1]["ps_counters"]
    assert ps["results"] > 100 and ps["contributions"] >= ps["results"], ps


@pytest.mark.mininet
def test_two_level_aggregation_is_exact_across_racks(
    tmp_path: Path, build_dir: Path, net_args: list[str], require_root: None
) -> None:
    doc = scenario("two_level", tmp_path, build_dir, net_args)
    rows = {r["method"]: r for r in doc["rows"]}
    ina, ps = rows["two-level INA"], rows["PS"]
    assert ina["correct"] and ps["correct"]
    assert ina["exact_fraction"] == ps["exact_fraction"] == 1.0
    # the core aggregates one partial per rack and packet: racks x packets
    assert ina["core_contributions"] == 2 * ina["packets_per_worker"], ina
    assert ps["core_contributions"] == 0


def test_scenario_command_line_errors_are_one_line() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "inalab.scenarios", "loss", "--losses", "0,1.5"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    # argparse's usage error: exit 2, the usage, then one line naming the flag
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1] == (
        "python -m inalab.scenarios loss: error: argument --losses: '0,1.5': each must be in [0, 1)"
    )
    r = subprocess.run(
        [sys.executable, "-m", "inalab.scenarios", "nosuch"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2 and "unknown scenario 'nosuch'" in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "inalab.scenarios", "allreduce", "--help"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 0 and "--quick" in r.stdout


@pytest.mark.mininet
def test_jobs_arriving_and_leaving_share_memory_under_the_controller(
    tmp_path: Path, build_dir: Path, net_args: list[str], require_root: None
) -> None:
    doc = scenario("multi_job", tmp_path, build_dir, net_args)
    rows = {r["policy"]: r for r in doc["rows"]}
    assert set(rows) == {"static", "first-fit", "fair-share", "best-effort"}
    for r in rows.values():
        assert r["correct"] is True, r
        assert r["in_switch"] + r["at_ps"] == r["jobs"] == 3
        # every allreduce exact, 3 rounds each, configs fetched from the controller
        assert all(j["correct"] and j["time_s"] > 0 for j in r["job_runs"])
        assert all(j["rounds"] == 3 and j["epochs"] for j in r["job_runs"]), r
        assert r["makespan_s"] >= max(j["time_s"] for j in r["job_runs"])
    # 128 slots: first-fit gives each job its 64-slot demand, so the third
    # concurrent arrival finds none and the controller sends it to the PS
    assert rows["first-fit"]["at_ps"] >= 1
    ff = rows["first-fit"]["job_runs"]
    assert all(j["slots"] <= 64 for j in ff if j["via"] == "switch")
    # best-effort: all jobs on the switch, sharing its pool
    assert rows["best-effort"]["in_switch"] == 3
