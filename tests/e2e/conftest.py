"""Shared set-up of the end-to-end tests: node-name prefix and ports of their own
(they can run beside other Mininet tests), a run-record directory, our switch."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

# INALAB_E2E_PREFIX / INALAB_E2E_PORT_OFFSET let two checkouts run these tests at once
PREFIX = os.environ.get("INALAB_E2E_PREFIX", "e")
_OFFSET = int(os.environ.get("INALAB_E2E_PORT_OFFSET", "0"))
GRPC_BASE = 24551 + _OFFSET  # below the ephemeral range, away from the defaults and other tests
THRIFT_BASE = 23590 + _OFFSET


@pytest.fixture(autouse=True)
def our_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWITCH", raising=False)


@pytest.fixture
def net_args(tmp_path: Path) -> list[str]:
    """Scenario/demo options: our prefix and ports, outputs under tmp_path."""
    return [
        "--prefix", PREFIX, "--grpc-base", str(GRPC_BASE), "--thrift-base", str(THRIFT_BASE),
        "--logs", str(tmp_path / "logs"),
    ]  # fmt: skip


def leftovers(prefix: str = PREFIX, thrift_base: int = THRIFT_BASE) -> list[str]:
    """What a run with our prefix/ports left behind: interfaces, host shells
    (the namespaces), switch processes."""
    found = []
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    for line in links.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith(prefix) and "-eth" in name:
            found.append(f"interface {name}")
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    for line in ps.splitlines():
        if f"mininet:{prefix}" in line or f"--thrift-port {thrift_base}" in line:
            found.append(f"process {line.strip()}")
    return found
