"""The training experiment's small configuration in Mininet: gloo vs the hook
through the switch process running p4src/ina.p4, and 20% contribution loss."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from inalab.training.errors import TrainingError
from inalab.training.experiment import PRESETS, ExperimentConfig, loss_bound, table


def test_presets_and_loss_bound() -> None:
    assert PRESETS["full"].losses == (0.0, 0.1, 0.2, 0.35) and PRESETS["full"].workers == 4
    assert loss_bound(0.1) == loss_bound(0.35) == 0.9 and loss_bound(0.0) == 0.0
    with pytest.raises(TrainingError, match=r"start with 0\.0"):
        ExperimentConfig(losses=(0.1, 0.2))
    with pytest.raises(TrainingError, match="aggregator slots"):
        ExperimentConfig(slots=512, losses=(0.0, 0.1, 0.2))


@pytest.mark.mininet
def test_small_experiment_runs_and_gives_sane_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, require_root: None
) -> None:
    from inalab.training.experiment import run_experiment

    monkeypatch.setenv("INALAB_RUN_DIR", str(tmp_path / "runs"))
    out = tmp_path / "results"
    runs = {s["name"]: s for s in run_experiment(PRESETS["small"], out, grpc_port=20671,
                                                  thrift_port=19671)}  # fmt: skip
    assert list(runs) == ["gloo", "ina-loss0", "ina-loss20"]
    gloo, ina, lossy = runs["gloo"], runs["ina-loss0"], runs["ina-loss20"]
    for s in runs.values():
        assert s["workers"] == 2 and s["epochs"] == 2
        assert 0.3 < s["final_accuracy"] <= 1.0
        assert s["seconds_per_iteration"] > 0 and s["iface_bytes_per_iteration"] > 0
    # the hook through the switch: every rank identical, every block exact, and the
    # same model as gloo's up to the quantization error
    assert ina["ranks_identical"] and ina["max_param_divergence"] == 0.0
    assert ina["blocks"]["partial"] == ina["blocks"]["missing"] == 0 and ina["blocks"]["exact"]
    p_gloo = np.load(out / "gloo.rank0.npy")
    p_ina = np.load(out / "ina-loss0.rank0.npy")
    assert float(np.max(np.abs(p_gloo - p_ina))) < 1e-4
    assert abs(ina["final_accuracy"] - gloo["final_accuracy"]) < 0.02
    assert ina["hook_bytes_per_iteration"] > 0 and gloo["hook_bytes_per_iteration"] == 0
    # 20% of contributions dropped by the P4 drop simulator: retransmissions recover
    # them (or the loss bound accepts a few), training still converges
    assert lossy["retransmissions"] > 0
    assert lossy["final_accuracy"] >= ina["final_accuracy"] - 0.1
    assert lossy["seconds_per_iteration"] > ina["seconds_per_iteration"]
    summary = json.loads((out / "summary.json").read_text())
    assert [r["name"] for r in summary["runs"]] == list(runs)
    assert "| ina-loss20 | 20% |" in (out / "table.md").read_text()
    assert (out / "accuracy.png").stat().st_size > 1000
    assert table(list(runs.values())).count("\n") == 5


def test_congestion_thresholds_grow_with_the_class_and_config_validates() -> None:
    from inalab.protocol.format import Importance
    from inalab.training.congestion import CongestionConfig
    from inalab.training.errors import UsageError

    th = CongestionConfig(rate=800, depth=16).thresholds()
    drops = [th[int(c)][1] for c in Importance]
    assert drops == [4, 8, 12, 16]  # LOW first; CRITICAL only when the queue is full
    assert all(ecn == drop for ecn, drop in th.values())  # no early ECN marking
    assert CongestionConfig(rate=800).switch_args() == (
        "--queue-depth", "16", "--queue-rate", "800",
    )  # fmt: skip
    with pytest.raises(UsageError, match="rate must be >= 4"):
        CongestionConfig(rate=2)
