"""The STF files under tests/dataplane/stf/ are current and pass on our switch
(they are written so that real p4c-bm2-ss + simple_switch pass them too)."""

from __future__ import annotations

import json

import pytest

from inalab.stf import run_stf

from .harness import compiled
from .stf_cases import CASES, STF_DIR


@pytest.mark.parametrize("name", sorted(CASES))
def test_stf_file_is_current(name: str) -> None:
    assert (STF_DIR / f"{name}.stf").read_text() == CASES[name](), (
        "run: python -m tests.dataplane.stf_cases"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_stf_passes(name: str) -> None:
    result = run_stf(json.loads(compiled(32)), STF_DIR / f"{name}.stf")
    assert result.passed, "\n".join(result.errors)
