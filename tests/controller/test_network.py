"""Queue settings of network programming: per-class thresholds with per-(switch, port)
overrides, validated; the ECN and early-drop entries built from them, and (against a
real switch core over P4Runtime) the entries the switch ends up holding."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inalab.controller import gen_names
from inalab.controller.entities import Builder
from inalab.controller.errors import ConfigError
from inalab.controller.fabric import Fabric, Pipeline
from inalab.controller.names import Table
from inalab.controller.network import (
    NetworkSettings,
    PortQueue,
    QueueThreshold,
    drop_wait_us,
    queue_entities,
    service_us,
)
from inalab.controller.p4info import ControllerP4Info
from inalab.protocol.format import Importance
from inalab.switch.control import ActionCall, ExactKey, TernaryKey
from inalab.topologies.builders import single_rack

from .conftest import Network

LOW, CRIT = int(Importance.LOW), int(Importance.CRITICAL)


@pytest.fixture(scope="module")
def b() -> Builder:
    return Builder(ControllerP4Info.of(gen_names.compile_p4info()))


def _settings(**kw: object) -> NetworkSettings:
    return NetworkSettings(
        thresholds={LOW: QueueThreshold(2, 4), CRIT: QueueThreshold(10, 20)},
        **kw,  # type: ignore[arg-type]
    )


def test_threshold_and_override_validation_names_what_is_wrong() -> None:
    with pytest.raises(ConfigError, match=r"drop 1\.\.65535"):
        QueueThreshold(1, 0)
    with pytest.raises(ConfigError, match=r"s1 port 600: port out of 0\.\.510"):
        PortQueue("s1", 600)
    with pytest.raises(ConfigError, match="s1 port 2: queue threshold for unknown importance"):
        PortQueue("s1", 2, {9: QueueThreshold(1, 2)})
    with pytest.raises(ConfigError, match="s1 port 2: queue rate 0"):
        PortQueue("s1", 2, rate_pps=0)
    with pytest.raises(ConfigError, match="network settings: queue rate -5"):
        NetworkSettings(queue_rate_pps=-5)
    with pytest.raises(ConfigError, match="s1 port 2: given twice"):
        NetworkSettings(ports=(PortQueue("s1", 2), PortQueue("s1", 2)))
    with pytest.raises(ConfigError, match="class 1: 5 is not a QueueThreshold"):
        NetworkSettings(thresholds={1: 5})  # type: ignore[dict-item]


def test_an_override_for_a_port_the_switch_lacks_is_a_config_error(b: Builder) -> None:
    topo = single_rack(2)
    bad = _settings(ports=(PortQueue("s1", 42, {LOW: QueueThreshold(1, 1)}),))
    with pytest.raises(ConfigError, match="s1 port 42: the switch has no port 42"):
        queue_entities(topo, "s1", b, bad)


def test_without_a_rate_only_ecn_entries(b: Builder) -> None:
    ents = queue_entities(single_rack(2), "s1", b, _settings())
    tables = {
        b.index.table(Table.ECN_THRESHOLD).id: "ecn",
        b.index.table(Table.QUEUE_ADMISSION).id: "adm",
    }
    assert [tables[e.table_entry.table_id] for e in ents] == ["ecn", "ecn"]
    assert {e.table_entry.priority for e in ents} == {1}
    assert all(len(e.table_entry.match) == 1 for e in ents)  # importance only: port wildcard


def test_wait_is_the_threshold_in_service_times() -> None:
    assert service_us(200) == 5000 and service_us(3e6 / 3) == 1
    assert drop_wait_us(4, 5000) == 20001


def _entries(
    sw: object, table: str
) -> dict[tuple[int | None, int], tuple[tuple[int, ...], int | None]]:
    """(port or None for the wildcard, class) -> (action params, priority)."""
    out = {}
    for e in sw.table_entries(table):  # type: ignore[attr-defined]
        port_key, cls_key = e.keys
        assert isinstance(port_key, TernaryKey) and isinstance(cls_key, ExactKey)
        assert isinstance(e.action, ActionCall)
        port = None if port_key.mask == 0 else port_key.value
        out[(port, cls_key.value)] = (e.action.params, e.priority)
    return out


@pytest.mark.integration
def test_switch_holds_defaults_and_per_port_overrides(
    network: Callable[..., Network], pipeline: Pipeline
) -> None:
    topo = single_rack(2)
    ports = sorted(topo.switch_ports("s1"))
    p, q = ports[0], ports[1]
    settings = _settings(
        queue_rate_pps=200.0,
        ports=(
            PortQueue("s1", p, {LOW: QueueThreshold(1, 8)}),  # LOW differs, CRIT inherited
            PortQueue("s1", q, rate_pps=50.0),  # same thresholds, slower port
        ),
    )
    net = network(topo)
    fab = Fabric(topo, pipeline, addresses=net.addresses, settings=settings)
    try:
        fab.connect("s1")
        assert fab.read_back("s1") == fab.installed("s1")
        sw = net.procs["s1"].switch
        adm = _entries(sw, fab.index.table(Table.QUEUE_ADMISSION).name)
        ecn = _entries(sw, fab.index.table(Table.ECN_THRESHOLD).name)
    finally:
        fab.close()
    fast, slow = 5000, 20000  # us per packet at 200 and 50 packets/s
    assert adm == {
        (None, LOW): ((fast, 4 * fast + 1), 1),
        (None, CRIT): ((fast, 20 * fast + 1), 1),
        (p, LOW): ((fast, 8 * fast + 1), 2),
        (p, CRIT): ((fast, 20 * fast + 1), 2),
        (q, LOW): ((slow, 4 * slow + 1), 2),
        (q, CRIT): ((slow, 20 * slow + 1), 2),
    }
    assert ecn == {
        (None, LOW): ((2,), 1),
        (None, CRIT): ((10,), 1),
        (p, LOW): ((1,), 2),
        (p, CRIT): ((10,), 2),
        (q, LOW): ((2,), 2),
        (q, CRIT): ((10,), 2),
    }
