"""The STF files under tests/dataplane/stf/ are current and pass on our switch
(they are written so that real p4c-bm2-ss + simple_switch pass them too)."""

from __future__ import annotations

import json

import pytest

from inalab.stf import run_stf

from .harness import compiled
from .stf_cases import CASES, CASES_K64, STF_DIR

ALL = {**CASES, **CASES_K64}


@pytest.mark.parametrize("name", sorted(ALL))
def test_stf_file_is_current(name: str) -> None:
    assert (STF_DIR / f"{name}.stf").read_text() == ALL[name](), (
        "run: python -m tests.dataplane.stf_cases"
    )


@pytest.mark.parametrize("name", sorted(ALL))
def test_stf_passes(name: str) -> None:
    lanes = 64 if name in CASES_K64 else 32
    result = run_stf(json.loads(compiled(lanes)), STF_DIR / f"{name}.stf")
    assert result.passed, "\n".join(result.errors)
