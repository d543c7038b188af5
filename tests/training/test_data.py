from __future__ import annotations

import numpy as np
import pytest

from inalab.training import data
from inalab.training.errors import TrainingError


@pytest.mark.parametrize("name", data.DATASETS)
def test_split_is_reproducible_standardized_and_sharded(name: str) -> None:
    a, b = data.load(name, seed=3), data.load(name, seed=3)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert a.x_train.dtype == np.float32 and a.y_train.dtype == np.int64
    assert a.features == 64 and a.classes == 10
    assert abs(float(a.x_train.mean())) < 1e-3
    n = len(a.x_train) + len(a.x_test)
    assert len(a.x_test) == round(n * 0.2)
    shards = [a.shard(r, 3) for r in range(3)]
    assert len({len(x) for x, _ in shards}) == 1
    rows = np.concatenate([x for x, _ in shards])
    assert len(np.unique(rows, axis=0)) == len(rows)  # disjoint shards
    assert not np.array_equal(data.load(name, seed=4).y_test, a.y_test)


def test_bad_requests_are_clear() -> None:
    with pytest.raises(TrainingError, match="dataset 'mnist'"):
        data.load("mnist")
    with pytest.raises(TrainingError, match=r"rank 3 out of 0\.\.1"):
        data.load("synthetic").shard(3, 2)
    with pytest.raises(TrainingError, match="test_fraction"):
        data.load("synthetic", test_fraction=1.5)
