"""The example's data: scikit-learn's digits (8x8 images, 10 classes; the data
ships inside scikit-learn, nothing is downloaded) or a generated stand-in.

Every rank derives the same split from the seed and takes its own shard of the
training set, as ``DistributedSampler`` would, with numpy index arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inalab.training.deps import require
from inalab.training.errors import UsageError

DATASETS = ("digits", "synthetic")


@dataclass(frozen=True)
class Split:
    """Features (float32, standardized) and labels (int64) of train and test sets."""

    x_train: npt.NDArray[np.float32]
    y_train: npt.NDArray[np.int64]
    x_test: npt.NDArray[np.float32]
    y_test: npt.NDArray[np.int64]
    classes: int

    def __post_init__(self) -> None:
        if len(self.x_train) != len(self.y_train) or len(self.x_test) != len(self.y_test):
            raise UsageError("dataset: features and labels differ in length")
        if self.x_train.shape[1:] != self.x_test.shape[1:]:
            raise UsageError("dataset: train and test features differ in shape")

    @property
    def features(self) -> int:
        return int(self.x_train.shape[1])

    def shard(self, rank: int, world: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """This rank's training examples: every ``world``-th, equal counts on every rank."""
        if not 0 <= rank < world:
            raise UsageError(f"rank {rank} out of 0..{world - 1}")
        per = len(self.x_train) // world
        if per == 0:
            raise UsageError(f"{len(self.x_train)} training examples for {world} workers")
        idx = np.arange(rank, per * world, world)
        return self.x_train[idx], self.y_train[idx]


def _standardize(x_train: npt.NDArray, x_test: npt.NDArray) -> tuple[npt.NDArray, npt.NDArray]:
    mu = x_train.mean(axis=0)
    sd = x_train.std(axis=0) + 1e-6
    return ((x_train - mu) / sd).astype(np.float32), ((x_test - mu) / sd).astype(np.float32)


def _split(x: npt.NDArray, y: npt.NDArray, test_fraction: float, seed: int, classes: int) -> Split:
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = round(len(x) * test_fraction)
    te, tr = order[:n_test], order[n_test:]
    xtr, xte = _standardize(x[tr], x[te])
    return Split(xtr, y[tr].astype(np.int64), xte, y[te].astype(np.int64), classes)


def load(name: str = "digits", seed: int = 0, test_fraction: float = 0.2) -> Split:
    """The dataset ``name`` (see :data:`DATASETS`) split reproducibly by ``seed``."""
    if not 0.0 < test_fraction < 1.0:
        raise UsageError(f"test_fraction {test_fraction} out of (0, 1)")
    if name == "digits":
        datasets = require("sklearn.datasets", "the digits dataset")
        d = datasets.load_digits()
        return _split(np.asarray(d.data, np.float64), np.asarray(d.target), test_fraction, seed, 10)
    if name == "synthetic":
        # 10 Gaussian clusters in 64 dimensions, overlapping enough to need training.
        rng = np.random.default_rng(1234)
        centers = rng.standard_normal((10, 64)) * 1.5
        y = rng.integers(0, 10, 2000)
        x = centers[y] + rng.standard_normal((2000, 64)) * 2.0
        return _split(x, y, test_fraction, seed, 10)
    raise UsageError(f"dataset {name!r}: choose one of {DATASETS}")
