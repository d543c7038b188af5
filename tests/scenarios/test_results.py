"""Result output: the table, the JSON file, the PNG plot."""

from __future__ import annotations

import json
from pathlib import Path

from inalab.scenarios.results import Progress, format_table, plot, write_results


def test_table_aligns_columns_and_formats_values() -> None:
    rows = [{"m": "ina", "t": 1.23456, "g": 24749.3, "ok": True},
            {"m": "ps", "t": 0.5, "g": 0.0, "ok": False}]  # fmt: skip
    lines = format_table(rows, [("m", "method"), ("t", "time"), ("g", "goodput"), ("ok", "check")])
    text = lines.splitlines()
    assert text[0].split() == ["method", "time", "goodput", "check"]
    assert text[2].split() == ["ina", "1.23", "24,749", "OK"]
    assert text[3].split() == ["ps", "0.5", "0", "WRONG"]
    assert len({len(t) for t in text}) == 1


def test_json_has_metadata_and_rows(tmp_path: Path) -> None:
    path = write_results(tmp_path / "r", "demo", [{"a": 1}], {"quick": True})
    doc = json.loads(path.read_text())
    assert doc["scenario"] == "demo" and doc["quick"] is True and doc["rows"] == [{"a": 1}]


def test_plot_writes_a_png(tmp_path: Path) -> None:
    p = plot(tmp_path / "x.png", {"a": ([1, 2], [3, 4]), "b": ([1, 2], [1, 1])},
             title="t", xlabel="x", ylabel="y")  # fmt: skip
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bars = plot(tmp_path / "b.png", {"a": ([0, 1], [0.5, 1.0])}, title="t", xlabel="x",
                ylabel="y", bars=True, ylim=(0, 1))  # fmt: skip
    assert bars.stat().st_size > 1000


def test_progress_is_silent_off_a_terminal(capsys: object) -> None:
    p = Progress(2, "x", enabled=False)
    p.step("a")
    p.step("b")
    assert p.done == 2
