"""Optional dependencies: torch and scikit-learn come with the ``torch`` extra.

The rest of inalab never imports torch; the training modules call
:func:`require_torch` first so a missing extra is one clear message.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from inalab.training.errors import MissingExtraError

EXTRA_HINT = "pip install 'inalab[torch]'"


def require(module: str, what: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingExtraError(
            f"{what} needs the optional dependency {module.split('.')[0]!r}, which is not "
            f"installed ({e}); install the extra: {EXTRA_HINT}"
        ) from None


def require_torch() -> ModuleType:
    return require("torch", "inalab.training (DDP through the emulated network)")
