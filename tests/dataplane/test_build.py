"""p4src/ina.p4 builds with the project's compiler CLI for both K, with the
control-plane objects the controller relies on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inalab.compiler.cli import main as p4c

from .harness import P4SRC, PROGRAM

TABLES = (
    "job_region",
    "job_member",
    "importance_class",
    "drop_simulator",
    "ipv4_lpm",
    "arp_proxy",
    "queue_admission",
    "ecn_threshold",
    "result_destination",
)


@pytest.mark.parametrize("lanes", [32, 64])
def test_cli_builds_json_and_p4info(lanes: int, tmp_path: Path) -> None:
    out, info = tmp_path / "ina.json", tmp_path / "ina.p4info.txtpb"
    rc = p4c(
        [
            "--arch", "v1model", "--std", "p4-16", "-I", str(P4SRC),
            f"-DINA_LANES={lanes}", "-o", str(out), "--p4runtime-files", str(info), str(PROGRAM),
        ]
    )  # fmt: skip
    assert rc == 0
    j = json.loads(out.read_text())
    data = next(h for h in j["header_types"] if h["name"] == "ina_data_t")
    assert len(data["fields"]) == lanes
    values = [r for r in j["register_arrays"] if ".value_reg_" in r["name"]]
    assert len(values) == lanes
    tables = {t["name"].rsplit(".", 1)[-1] for p in j["pipelines"] for t in p["tables"]}
    assert set(TABLES) <= tables
    text = info.read_text()
    for t in TABLES:
        assert f'.{t}"' in text


def test_unsupported_lane_count_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = p4c(["-I", str(P4SRC), "-DINA_LANES=48", "-o", str(tmp_path / "x.json"), str(PROGRAM)])
    assert rc != 0
    assert "INA_LANES must be 32 or 64" in capsys.readouterr().err
