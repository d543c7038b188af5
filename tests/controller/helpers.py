"""Helpers shared by the controller tests."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from inalab.compiler import compile_file
from inalab.controller.fabric import Pipeline

REPO = Path(__file__).resolve().parents[2]
P4SRC = REPO / "p4src"
TEST_SLOTS = 64


@functools.cache
def compiled_pipeline(lanes: int = 32, slots: int = TEST_SLOTS) -> Pipeline:
    prog = compile_file(
        P4SRC / "ina.p4",
        include_dirs=[P4SRC],
        defines={"INA_LANES": str(lanes), "INA_SLOTS": str(slots)},
    )
    return Pipeline(json.dumps(prog.bmv2_json).encode(), prog.p4info)
