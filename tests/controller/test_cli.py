"""``inalab-ctl`` as a user runs it: a real ``inalab-switch`` process, the
controller as a process, the client commands, and the error paths."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inalab.controller.cli import main
from inalab.controller.client import ControllerClient
from inalab.topologies.builders import single_rack
from inalab.topologies.loader import save_topology

from .helpers import compiled_pipeline

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _switch(port: int) -> subprocess.Popen[bytes]:
    cmd = [str(BIN / "inalab-switch"), "--no-p4", "--device-id", "0", "--no-runtime", "--",
           "--grpc-server-addr", f"127.0.0.1:{port}"]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(pred: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():  # type: ignore[operator]
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.fixture
def build(tmp_path: Path) -> Path:
    pipe = compiled_pipeline()
    (tmp_path / "ina.json").write_bytes(pipe.device_config)
    from google.protobuf import text_format

    (tmp_path / "ina.p4info.txtpb").write_text(text_format.MessageToString(pipe.p4info))
    return tmp_path


@pytest.mark.integration
def test_serve_submit_status_config_finish_with_a_switch_process(
    build: Path, tmp_path: Path
) -> None:
    grpc_port, http_port = free_port(), free_port()
    topo_file = tmp_path / "topo.json"
    save_topology(single_rack(2, grpc_base_port=grpc_port), topo_file)
    switch = _switch(grpc_port)
    url = f"http://127.0.0.1:{http_port}"
    ctl = subprocess.Popen(
        [str(BIN / "inalab-ctl"), "serve", str(topo_file), "--build-dir", str(build),
         "--listen", f"127.0.0.1:{http_port}", "--policy", "fair-share",
         "--telemetry", str(tmp_path / "tele.jsonl"), "--telemetry-interval", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        client = ControllerClient(url, timeout=2)
        _wait(lambda: client.jobs() == [], 40)

        def ctl_cmd(*a: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [str(BIN / "inalab-ctl"), *a, "--url", url], capture_output=True, text=True
            )

        r = ctl_cmd("submit", "--job", "7", "--members", "h1,h2", "--slots", "16")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["region"]["size"] == 16
        r = ctl_cmd("config", "7", "--rank", "1")
        cfg = json.loads(r.stdout)
        assert cfg["rank"] == 1 and cfg["via"] == "switch" and cfg["slots"] == 16
        r = ctl_cmd("submit", "--job", "7", "--members", "h1")
        assert (
            r.returncode == 1 and "already registered" in r.stderr and "Traceback" not in r.stderr
        )
        r = ctl_cmd("status")
        assert r.returncode == 0 and "fair-share" in r.stdout and "s1" in r.stdout
        snap = json.loads(ctl_cmd("status", "--json").stdout)
        assert snap["memory_in_use"] == 16 and snap["switches"]["s1"]["connected"]
        # the switch process dies and comes back empty: the controller reprograms it
        switch.terminate()
        switch.wait(10)
        switch = _switch(grpc_port)
        _wait(lambda: client.status()["switches"]["s1"].get("connected"), 40)
        from inalab.controller.fabric import Pipeline  # noqa: F401  (same program)

        assert client.status()["jobs"][0]["region"]["size"] == 16
        r = ctl_cmd("finish", "7")
        assert r.returncode == 0 and json.loads(r.stdout)["reason"] == "finished"
        _wait(lambda: (tmp_path / "tele.jsonl").read_text().count("\n") >= 2)
        line = json.loads((tmp_path / "tele.jsonl").read_text().splitlines()[-1])
        assert {"time", "jobs", "switches", "memory_in_use"} <= set(line)
    finally:
        ctl.terminate()
        ctl.wait(10)
        switch.terminate()
        switch.wait(10)


def test_bad_inputs_exit_non_zero_with_one_line(
    tmp_path: Path, build: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_topo = tmp_path / "bad.json"
    bad_topo.write_text(
        json.dumps(
            {
                "name": "t",
                "hosts": [{"name": "h1", "ip": "10.0.0.1/24", "mac": "02:00:00:00:00:01"}],
                "switches": [{"name": "s1", "device_id": 0, "grpc_port": 50051}],
                "links": [{"a": "h1", "b": "s9"}],
            }
        )
    )
    cases = [
        (["program", str(bad_topo), "--build-dir", str(build)], 2, "s9"),
        (["program", "single-rack", "--build-dir", str(tmp_path / "none")], 2, "cannot read"),
        (["program", "single-rack", "--build-dir", str(build), "--addr", "s1"], 2, "--addr"),
        (["program", "single-rack", "--build-dir", str(build), "--addr", "s7=1.2.3.4:5"], 2, "s7"),
        (["serve", "single-rack", "--build-dir", str(build), "--policy", "nope"], 2, "nope"),
        (["program", "single-rack", "--build-dir", str(build), "--queue-rate", "0"], 2, "rate 0"),
        (["submit", "--job", "1", "--members", "", "--url", "http://127.0.0.1:1"], 1, "members"),
        (["status", "--url", f"http://127.0.0.1:{free_port()}"], 1, "unreachable"),
        (["config", "3", "--url", "http://127.0.0.1:1"], 2, "--rank or --host"),
    ]
    for argv, code, text in cases:
        assert main(argv) == code, argv
        err = capsys.readouterr().err
        assert err.startswith("inalab-ctl: error:") and text in err, (argv, err)
        assert "Traceback" not in err


def test_queue_rate_programs_the_early_drop_and_without_it_only_ecn(build: Path) -> None:
    from inalab.controller.cli import _fabric, _parser
    from inalab.controller.names import Table

    def tables(*extra: str) -> dict[str, int]:
        args = _parser().parse_args(["program", "single-rack", "--build-dir", str(build), *extra])
        fabric = _fabric(args)
        ids = {fabric.index.table(t).id: t for t in (Table.QUEUE_ADMISSION, Table.ECN_THRESHOLD)}
        counts = dict.fromkeys(ids.values(), 0)
        for ent in fabric.desired("s1").values():
            name = ids.get(ent.table_entry.table_id)
            if name is not None:
                counts[name] += 1
        return counts

    with_rate = tables("--queue-rate", "200")
    assert with_rate[Table.QUEUE_ADMISSION] > 0 and with_rate[Table.ECN_THRESHOLD] > 0
    without = tables()
    assert without[Table.QUEUE_ADMISSION] == 0 and without[Table.ECN_THRESHOLD] > 0
