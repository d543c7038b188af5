"""Without torch, the training modules say which extra to install (no traceback)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from inalab.training.deps import EXTRA_HINT, require
from inalab.training.errors import MissingExtraError

BLOCK_TORCH = "import sys; sys.modules['torch'] = None; sys.modules['sklearn'] = None; "


def test_require_names_the_extra() -> None:
    with pytest.raises(MissingExtraError, match=r"pip install 'inalab\[torch\]'"):
        require("no_such_module_for_inalab", "the test")
    assert "inalab[torch]" in EXTRA_HINT


def test_importing_the_hook_without_torch_names_the_extra() -> None:
    r = subprocess.run(
        [sys.executable, "-c", BLOCK_TORCH + "import inalab.training.hook"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert "MissingExtraError" in last and "pip install 'inalab[torch]'" in last


def test_package_import_does_not_import_torch() -> None:
    r = subprocess.run(
        [sys.executable, "-c", BLOCK_TORCH + "import inalab.training, inalab.training.experiment"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr


def test_train_command_without_torch_exits_2_with_one_line() -> None:
    code = (
        BLOCK_TORCH + "from inalab.training.train import main; "
        "sys.exit(main(['--rank', '0', '--world', '1', '--master', '127.0.0.1:1']))"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "pip install 'inalab[torch]'" in r.stderr
    assert "Traceback" not in r.stderr
