"""Every tests/p4 program, compiled by inalab-p4c, passes its STF test on the inalab switch."""

from __future__ import annotations

from pathlib import Path

import pytest

from inalab.compiler import compile_file
from inalab.stf.runner import run_stf

CORPUS = Path(__file__).resolve().parent.parent / "p4"
PAIRS = sorted(p.stem for p in CORPUS.glob("*.stf") if p.with_suffix(".p4").exists())


def test_corpus_is_not_empty() -> None:
    assert len(PAIRS) >= 7


@pytest.mark.parametrize("name", PAIRS)
def test_stf(name: str) -> None:
    program = compile_file(CORPUS / f"{name}.p4").bmv2_json
    result = run_stf(program, CORPUS / f"{name}.stf")
    assert result.passed, "\n".join(result.errors)
    assert result.packets_in > 0
