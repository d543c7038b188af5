"""Job configuration: JSON loading and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inalab.hosts.config import ImportanceRule, JobConfig, parse_address
from inalab.hosts.errors import ConfigError
from inalab.protocol import format as fmt

BASE = {"job_id": 7, "rank": 1, "n_workers": 4, "server": "127.0.0.1"}


def test_from_json_with_defaults(tmp_path: Path) -> None:
    p = tmp_path / "job.json"
    p.write_text(json.dumps({**BASE, "importance": {"rule": "fixed", "fixed_class": 3}}))
    cfg = JobConfig.from_json(p)
    assert cfg.server_address == ("127.0.0.1", fmt.INA_PS_UDP_PORT)
    assert JobConfig.from_json(p, via="switch").server_address[1] == fmt.INA_UDP_PORT
    assert cfg.bind_port == 0 and JobConfig.from_json(p, via="switch").bind_port == fmt.INA_UDP_PORT
    assert JobConfig.from_json(p, via="switch", local_port=40000).bind_port == 40000
    assert cfg.lanes == fmt.DEFAULT_LANES and cfg.initial_window == cfg.slots
    assert cfg.importance == ImportanceRule(rule="fixed", fixed_class=3)
    assert JobConfig.from_json(p, rank=3).rank == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rank": 4}, "rank 4"),
        ({"n_workers": 33}, "n_workers"),
        ({"lanes": 16}, "K=16"),
        ({"loss_bound": 0.1}, "needs a deadline"),
        ({"loss_bound": 1.5, "deadline": 1}, "loss_bound"),
        ({"window": 100}, "window"),
        ({"via": "carrier-pigeon"}, "via"),
        ({"server": "h:99999"}, "port 99999"),
        ({"rank": "1"}, "rank='1' must be of type int"),
        ({"colour": "red"}, "unknown key"),
        ({"importance": {"thresholds": [0.1, 0.5, 0.01]}}, "descending"),
    ],
)
def test_bad_config_is_rejected_with_the_reason(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        JobConfig.from_dict({**BASE, **change})


def test_bad_json_names_the_file_and_position(tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text('{"job_id": 7,\n "rank": }')
    with pytest.raises(ConfigError, match=r"bad.json:2:\d+: invalid JSON"):
        JobConfig.from_json(p)
    with pytest.raises(ConfigError, match="cannot read"):
        JobConfig.from_json(tmp_path / "missing.json")


def test_parse_address() -> None:
    assert parse_address("10.0.0.1:5000") == ("10.0.0.1", 5000)
    with pytest.raises(ConfigError, match="not a number"):
        parse_address("h:x")
