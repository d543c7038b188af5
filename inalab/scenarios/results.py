"""Scenario output: a text table on stdout, ``results/<name>.json`` and a PNG plot.

A scenario's result is a list of rows (dicts of plain values) plus metadata;
``write_results`` stores both as JSON, ``format_table`` prints the columns
that matter, and ``plot`` draws one or more series of a row field against
another with matplotlib (Agg backend: no display needed).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

Row = Mapping[str, Any]


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "OK" if v else "WRONG"
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 1:
            return f"{v:.2f}"
        return f"{v:.3g}"
    return str(v)


def format_table(rows: Sequence[Row], columns: Sequence[tuple[str, str]]) -> str:
    """``columns``: (row key, header). Right-aligned, one line per row."""
    head = [h for _, h in columns]
    body = [[_cell(r.get(k, "")) for k, _ in columns] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=False)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    return "\n".join(lines)


def write_results(out_dir: Path, name: str, rows: Sequence[Row], meta: Mapping[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    doc: dict[str, Any] = {
        "scenario": name,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    doc.update(meta)
    doc["rows"] = [dict(r) for r in rows]
    path.write_text(json.dumps(doc, indent=1, default=str) + "\n")
    return path


def plot(
    path: Path,
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    bars: bool = False,
    ylim: tuple[float, float] | None = None,
    logx: bool = False,
    logy: bool = False,
    xticklabels: Sequence[str] | None = None,
) -> Path:
    """Lines (or grouped bars, x = category index) of each named series."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    if bars:
        names = list(series)
        width = 0.8 / max(1, len(names))
        for i, name in enumerate(names):
            xs, ys = series[name]
            ax.bar([x + i * width for x in xs], ys, width=width, label=name)
    else:
        for name, (xs, ys) in series.items():
            ax.plot(list(xs), list(ys), marker="o", label=name)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if xticklabels is not None:
        shift = 0.4 - 0.4 / max(1, len(series)) if bars else 0.0
        ax.set_xticks([i + shift for i in range(len(xticklabels))], list(xticklabels))
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(True, alpha=0.3)
    if len(series) > 1:
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


class Progress:
    """One-line progress on a terminal (stderr); silent otherwise."""

    def __init__(self, total: int, label: str, enabled: bool | None = None) -> None:
        self.total = total
        self.label = label
        self.done = 0
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    def step(self, what: str) -> None:
        self.done += 1
        if self.enabled:
            print(f"\r{self.label}: {self.done}/{self.total} {what:<40}", end="", file=sys.stderr)
            if self.done >= self.total:
                print(file=sys.stderr)
