"""inalab.protocol.constants.P4Names matches the compiled program's P4Info."""

from __future__ import annotations

import re

from inalab.compiler import compile_file
from inalab.protocol.constants import SET_JOB_REGION_PARAMS, P4Names

from .harness import P4SRC, PROGRAM


def test_every_name_exists_in_p4info() -> None:
    info = str(compile_file(PROGRAM, include_dirs=[P4SRC]).p4info)
    names = set(re.findall(r'name: "([^"]+)"', info))
    missing = {k: v for k, v in P4Names.all().items() if v not in names}
    assert not missing
    assert f"{P4Names.VALUE_REG_PREFIX}31" in names


def test_set_job_region_params_in_order() -> None:
    prog = compile_file(PROGRAM, include_dirs=[P4SRC]).p4info
    action = next(a for a in prog.actions if a.preamble.name == P4Names.SET_JOB_REGION)
    assert tuple(p.name for p in action.params) == SET_JOB_REGION_PARAMS
    assert [p.id for p in action.params] == list(range(1, len(SET_JOB_REGION_PARAMS) + 1))
