"""The example model: a small MLP (digits are 64 pixels, 10 classes)."""

from __future__ import annotations

from typing import Any

from inalab.training.deps import require_torch


def mlp(features: int, hidden: int, classes: int, seed: int) -> Any:
    """``features -> hidden -> hidden -> classes`` with ReLU, initialized from ``seed``
    (every rank builds the same weights; DDP's broadcast then only confirms them)."""
    torch = require_torch()
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(features, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, classes),
    )
