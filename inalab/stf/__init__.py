"""inalab.stf: p4c's STF test runner on the inalab switch."""

from inalab.stf.errors import StfError
from inalab.stf.runner import StfResult, run_stf

__all__ = ["StfError", "StfResult", "run_stf"]
