"""Every (JSON, STF) pair of real p4c output passes on our switch as on real bmv2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inalab.stf import run_stf

# Collection needs the names before fixtures exist: same lookup as tests/conftest.py;
# the test itself takes the directory from the ``conformance_dir`` fixture (which fails
# when the data is absent, so an empty set can never pass silently).
_REPO = Path(__file__).resolve().parents[2]
CONFORMANCE_DIR = Path(
    os.environ.get(
        "INALAB_CONFORMANCE", _REPO.parent / "shared" / "conformance" / "p4c-v1model-stf"
    )
)

# Known failures, each with its reason (xfail strict: a fix must update this list).
KNOWN_FAILURES: dict[str, str] = {}

NAMES = sorted(p.stem for p in CONFORMANCE_DIR.glob("*.stf")) or ["<no conformance data>"]


@pytest.mark.conformance
@pytest.mark.parametrize("name", NAMES)
def test_p4c_stf_pair(name: str, conformance_dir: Path, request: pytest.FixtureRequest) -> None:
    if name in KNOWN_FAILURES:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_FAILURES[name], strict=True))
    stf = conformance_dir / f"{name}.stf"
    assert stf.exists(), f"{stf} missing"
    result = run_stf(conformance_dir / f"{name}.json", stf)
    assert result.passed, "\n".join(result.errors)
