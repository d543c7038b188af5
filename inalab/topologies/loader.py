"""Read and write topologies as JSON or YAML files.

The file format is the dataclasses' fields, one mapping per node or link::

    name: single-rack
    switches:
      - {name: s1, device_id: 0, grpc_port: 50051, program: ina}
    hosts:
      - {name: h1, ip: 10.0.1.1/24, mac: "02:00:00:00:01:01", role: worker, rank: 0}
    links:
      - {a: h1, b: s1, bw_mbit: 100, delay_ms: 1}

Errors name the file and the node or link: ``topo.yaml: hosts[1] (h2): bad
ip '10.0.1.300/24' ...``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from inalab.topologies.errors import TopologyError
from inalab.topologies.spec import HostSpec, Link, SwitchSpec, Topology

T = TypeVar("T", HostSpec, SwitchSpec, Link)
_SECTIONS: tuple[tuple[str, type[Any]], ...] = (
    ("hosts", HostSpec),
    ("switches", SwitchSpec),
    ("links", Link),
)
_TOP_KEYS = {"name", "description", "hosts", "switches", "links"}


def _fields(cls: type[Any]) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.init]


def _item_label(section: str, index: int, item: object) -> str:
    if isinstance(item, Mapping):
        if "name" in item:
            return f"{section}[{index}] ({item['name']})"
        if "a" in item and "b" in item:
            return f"{section}[{index}] ({item['a']}-{item['b']})"
    return f"{section}[{index}]"


def _build(cls: type[T], section: str, index: int, item: object) -> T:
    label = _item_label(section, index, item)
    if not isinstance(item, Mapping):
        raise TopologyError(f"{label}: expected a mapping, got {type(item).__name__}")
    allowed = _fields(cls)
    unknown = sorted(str(k) for k in item if k not in allowed)
    if unknown:
        raise TopologyError(
            f"{label}: unknown key(s) {', '.join(unknown)} (known: {', '.join(allowed)})"
        )
    required = [
        f.name
        for f in dataclasses.fields(cls)
        if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    missing = [k for k in required if k not in item]
    if missing:
        raise TopologyError(f"{label}: missing key(s) {', '.join(missing)}")
    try:
        return cls(**{str(k): v for k, v in item.items()})
    except TopologyError as e:
        raise TopologyError(f"{label}: {e}") from None


def topology_from_dict(data: object) -> Topology:
    """Build a topology from parsed JSON/YAML; raises TopologyError."""
    if not isinstance(data, Mapping):
        raise TopologyError(f"top level: expected a mapping, got {type(data).__name__}")
    unknown = sorted(str(k) for k in data if k not in _TOP_KEYS)
    if unknown:
        raise TopologyError(f"top level: unknown key(s) {', '.join(unknown)}")
    if "name" not in data:
        raise TopologyError("top level: missing key 'name'")
    parts: dict[str, list[Any]] = {}
    for section, cls in _SECTIONS:
        items = data.get(section, [])
        if items is None:
            items = []
        if not isinstance(items, list):
            raise TopologyError(f"{section}: expected a list, got {type(items).__name__}")
        parts[section] = [_build(cls, section, i, item) for i, item in enumerate(items)]
    description = data.get("description", "")
    if not isinstance(description, str):
        raise TopologyError("description: expected a string")
    return Topology(
        name=data["name"],
        hosts=tuple(parts["hosts"]),
        switches=tuple(parts["switches"]),
        links=tuple(parts["links"]),
        description=description,
    )


def topology_to_dict(topo: Topology) -> dict[str, Any]:
    """The file form of a topology (None-valued fields left out)."""

    def strip(obj: object) -> dict[str, Any]:
        return {
            f.name: getattr(obj, f.name)
            for f in dataclasses.fields(obj)  # type: ignore[arg-type]
            if f.init and getattr(obj, f.name) is not None
        }

    out: dict[str, Any] = {"name": topo.name}
    if topo.description:
        out["description"] = topo.description
    out["switches"] = [strip(s) for s in topo.switches]
    out["hosts"] = [strip(h) for h in topo.hosts]
    out["links"] = [strip(link) for link in topo.links]
    return out


def _yaml() -> Any:
    try:
        import yaml
    except ImportError as e:  # pragma: no cover - PyYAML ships with Debian's python3
        raise TopologyError("YAML topologies need PyYAML (apt install python3-yaml)") from e
    return yaml


def _yaml_error(p: Path, e: Exception) -> str:
    """One line, ``file:line:col: bad YAML: problem (context)``, for PyYAML's
    multi-line message that names ``<unicode string>`` instead of the file."""
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    context = getattr(e, "context", None)
    where = f"{p}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(p)
    return f"{where}: bad YAML: {problem}" + (f" ({context})" if context else "")


def load_topology(path: str | Path) -> Topology:
    """Load a ``.json``, ``.yaml`` or ``.yml`` topology file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise TopologyError(f"{p}: cannot read: {e.strerror or e}") from None
    suffix = p.suffix.lower()
    data: object = None
    if suffix in (".yaml", ".yml"):  # parsed here: its errors carry their own file:line:col
        yaml = _yaml()
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise TopologyError(_yaml_error(p, e)) from None
    try:
        if suffix == ".json":
            data = json.loads(text)
        elif suffix not in (".yaml", ".yml"):
            raise TopologyError("unknown file type (want .json, .yaml or .yml)")
        return topology_from_dict(data)
    except json.JSONDecodeError as e:
        raise TopologyError(f"{p}:{e.lineno}:{e.colno}: bad JSON: {e.msg}") from None
    except TopologyError as e:
        raise TopologyError(f"{p}: {e}") from None


def save_topology(topo: Topology, path: str | Path) -> None:
    """Write a topology as JSON or YAML (by the file's suffix)."""
    p = Path(path)
    data = topology_to_dict(topo)
    if p.suffix.lower() == ".json":
        p.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    elif p.suffix.lower() in (".yaml", ".yml"):
        p.write_text(_yaml().safe_dump(data, sort_keys=False), encoding="utf-8")
    else:
        raise TopologyError(f"{p}: unknown file type (want .json, .yaml or .yml)")
