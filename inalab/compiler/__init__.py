"""inalab.compiler: a P4_16 (v1model) compiler to bmv2 JSON and P4Info, like p4c-bm2-ss."""

from __future__ import annotations

from .api import CompiledProgram, compile_file, compile_source
from .diagnostics import CompileWarning
from .errors import CompileError

__all__ = ["CompileError", "CompileWarning", "CompiledProgram", "compile_file", "compile_source"]
