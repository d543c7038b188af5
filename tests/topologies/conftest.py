"""Fixtures of the Mininet tests: a compiled L3 program and static routes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from inalab.compiler import compile_file
from inalab.topologies.net import InaNetwork

from .routes import route_commands

L3FWD_SOURCE = Path(__file__).with_name("l3fwd.p4")


@pytest.fixture(autouse=True)
def our_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about inalab-switch (some use its own flags), also in the
    Vagrant VM where SWITCH=bmv2 is the login default."""
    monkeypatch.delenv("SWITCH", raising=False)


@pytest.fixture
def l3fwd_build(tmp_path: Path) -> Path:
    """A build directory holding l3fwd.json / l3fwd.p4info.txtpb, compiled now."""
    build = tmp_path / "build"
    build.mkdir()
    compile_file(L3FWD_SOURCE).write(build / "l3fwd.json", build / "l3fwd.p4info.txtpb")
    return build


def _install(net: InaNetwork) -> None:
    for sw in net.topo.switches:
        commands = "\n".join(route_commands(net, sw.name)) + "\n"
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "inalab.switch.runtime_cli",
                "--thrift-port",
                str(net.thrift_port(sw.name)),
            ],
            input=commands,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert r.returncode == 0, f"{sw.name}: {r.stdout}{r.stderr}"


@pytest.fixture
def install_routes() -> Callable[[InaNetwork], None]:
    """Program every switch of a running network with static host routes."""
    return _install
