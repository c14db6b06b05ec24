"""Datasets (torch.utils.data.dataset): `Dataset`, `TensorDataset`, `Subset`, `random_split`.

A dataset is anything with `__getitem__(index)` (one sample) and `__len__`; `DataLoader` reads
samples by index and collates them into batches. A dataset may also define `__getitems__(indices)`
(a list of samples at once), which `DataLoader` and `Subset` use when it is there, as PyTorch's.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import validate as check
from ..._tensor import Tensor, as_tensor
from .generator import Generator, checked, numpy_generator


class Dataset:
    """Base class of map-style datasets: subclasses implement `__getitem__(index)` (one sample)
    and `__len__` (how many)."""

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")


class TensorDataset(Dataset):
    """Samples that are rows of tensors: sample i is (tensors[0][i], tensors[1][i], ...).

    Every tensor needs the same length along its first dimension, else a ValueError (PyTorch
    asserts). Coming from PyTorch: NumPy arrays are accepted too and held as Tensors (no copy; a
    float64 array stays float64).
    """

    def __init__(self, *tensors: Tensor):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        held = [as_tensor(t) for t in tensors]
        for i, t in enumerate(held):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensors[{i}] is a scalar; every tensor needs a "
                                 "first dimension with one row per sample")  # fmt: skip
            if len(t) != len(held[0]):
                raise ValueError(f"TensorDataset: tensors[{i}] has {len(t)} rows but "
                                 f"tensors[0] has {len(held[0])}; every tensor needs one row "
                                 "per sample")  # fmt: skip
        self.tensors = tuple(held)

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order: subset[i] = dataset[indices[i]]."""

    def __init__(self, dataset: Any, indices: Sequence[int]):
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """The samples at `indices` (through the dataset's own `__getitems__` if it has one)."""
        mapped = [self.indices[i] for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(mapped)
        return [self.dataset[i] for i in mapped]

    def __len__(self) -> int:
        return len(self.indices)


def _split_lengths(n: int, lengths: Sequence[float]) -> list[int]:
    """Lengths as given (integers) or from fractions that sum to 1: floor(n * fraction) each, the
    remainder handed out one by one from the first split on (PyTorch's rule)."""
    owner = "random_split"
    if isinstance(lengths, str) or not isinstance(lengths, Sequence) or not lengths:
        raise check.fail(owner, "lengths", "a non-empty list of lengths or fractions", lengths,
                         TypeError)  # fmt: skip
    values = [check.number(owner, f"lengths[{i}]", v, low=0) for i, v in enumerate(lengths)]
    if math.isclose(sum(values), 1) and sum(values) <= 1:  # fractions, each in [0, 1]
        sizes = [math.floor(n * fraction) for fraction in values]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"random_split: split {i} has length 0 (an empty dataset)",
                              stacklevel=3)  # fmt: skip
        return sizes
    sizes = [check.integer(owner, f"lengths[{i}]", v, low=0) for i, v in enumerate(lengths)]
    if sum(sizes) != n:
        raise ValueError(f"random_split: the lengths {list(lengths)} sum to {sum(sizes)}, but the "
                         f"dataset has {n} samples (or give fractions that sum to 1)")  # fmt: skip
    return sizes


def random_split(dataset: Any, lengths: Sequence[float],
                 generator: Generator | np.random.Generator | None = None
                 ) -> list[Subset]:  # fmt: skip
    """Split `dataset` into disjoint random `Subset`s of the given `lengths` (integers summing to
    len(dataset), or fractions summing to 1: floor(len * fraction) each, the remainder added one
    by one to the first splits, as PyTorch 2.x). The order is one permutation drawn from
    `generator` (None: the global generator that `tinyreg.manual_seed` seeds)."""
    checked("random_split", generator)
    sizes = _split_lengths(len(dataset), lengths)
    order = numpy_generator(generator).permutation(sum(sizes)).tolist()
    ends = np.cumsum(sizes).tolist()
    return [Subset(dataset, order[end - size : end]) for end, size in zip(ends, sizes, strict=True)]
