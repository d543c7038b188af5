"""Counting the Python bytecode instructions a piece of the switch executes: a
measure of its work that the load of a shared machine does not move (it does not
see time spent in C, such as struct packing). Used by bench_engine.py and
bench_dataplane.py (``--bytecodes``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any


def bytecodes_per_call(
    receive: Callable[[int, bytes], None], frames: Iterable[tuple[int, bytes]]
) -> float:
    """Instructions per ``receive(port, frame)`` call, over ``frames``, traced one
    call at a time (work a call leaves to other threads is not counted)."""
    count = 0
    calls = 0

    def tracer(frame: FrameType, event: str, _arg: Any) -> Any:
        nonlocal count
        frame.f_trace_opcodes = True
        if event == "opcode":
            count += 1
        return tracer

    for port, data in frames:
        calls += 1
        sys.settrace(tracer)
        try:
            receive(port, data)
        finally:
            sys.settrace(None)
    return count / calls
