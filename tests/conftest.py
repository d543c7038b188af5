"""Shared pytest set-up: paths and markers.

Unit tests run by default; integration and Mininet tests are marked and run in
CI too (``make test`` runs everything). A test that cannot run its real
component must fail, never skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONFORMANCE_DIR = Path(
    os.environ.get("INALAB_CONFORMANCE", REPO.parent / "shared" / "conformance" / "p4c-v1model-stf")
)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    if not CONFORMANCE_DIR.is_dir():
        pytest.fail(f"conformance data not found at {CONFORMANCE_DIR} (set INALAB_CONFORMANCE)")
    return CONFORMANCE_DIR


@pytest.fixture
def require_root() -> None:
    if os.geteuid() != 0:
        pytest.fail("this test needs root (network namespaces / Mininet); run it as root")
