"""DataLoader: mini-batches of arrays, shuffled by the seeded generator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ... import random as _random
from ... import validate as check


def _rows(owner: str, name: str, value: Any) -> np.ndarray:
    """An array with a first (sample) axis, from an array, a list or a Tensor."""
    array = np.asarray(check.unwrap(value))
    if array.ndim == 0:
        raise ValueError(f"{owner}: {name} must have one row per sample, got a scalar")
    return array


class DataLoader:
    """Mini-batches of (X, y) NumPy arrays, reshuffled every epoch by a seeded generator."""

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        batch_size: int = 32,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int | None = None,
    ):
        X, y = _rows("DataLoader", "X", X), _rows("DataLoader", "y", y)
        if len(X) != len(y):
            raise ValueError(f"DataLoader: X has {len(X)} rows but y has {len(y)}")
        self.X, self.y = X, y
        self.batch_size = check.integer("DataLoader", "batch_size", batch_size, low=1)
        self.shuffle = check.boolean("DataLoader", "shuffle", shuffle)
        self.drop_last = check.boolean("DataLoader", "drop_last", drop_last)
        if seed is not None:
            seed = check.integer("DataLoader", "seed", seed, low=0)
        else:
            seed = int(_random.generator().integers(2**63))
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        full, rest = divmod(len(self.X), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    @property
    def last_batch_size(self) -> int:
        """The size of the last batch of an epoch."""
        rest = len(self.X) % self.batch_size
        return self.batch_size if rest == 0 or self.drop_last else rest

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.X)
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            if self.drop_last and len(idx) < self.batch_size:
                return
            yield self.X[idx], self.y[idx]
