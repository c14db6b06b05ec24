"""Samplers: the orders in which a `DataLoader` visits a dataset (torch.utils.data.sampler).

A sampler is an iterable of dataset indices (Python ints); `BatchSampler` groups another
sampler's indices into lists. Random samplers draw from their `generator=` (see
`tinyreg.utils.data.generator`), or from the generator `tinyreg.manual_seed` seeds.

Coming from PyTorch: the orders are PyTorch's where they are deterministic (`SequentialSampler`,
`BatchSampler`); random orders have PyTorch's distribution but not its numbers. Arguments are
checked by tinyreg's rules: a non-integer `batch_size` or `num_samples` is a TypeError (PyTorch:
ValueError), and NumPy integers are accepted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any

import numpy as np

from ... import validate as check
from .generator import Generator, checked, numpy_generator


class Sampler:
    """Base class of samplers: subclasses implement `__iter__` (dataset indices) and, where they
    know it, `__len__`."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1, in order."""

    def __init__(self, data_source: Sized):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices into `data_source`: without replacement, a random permutation (and for
    `num_samples` > len(data_source), whole permutations one after another, the last one cut);
    with `replacement=True`, `num_samples` indices drawn uniformly and independently. Each
    iteration draws new ones from `generator` (None: the global generator)."""

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None,
                 generator: Generator | np.random.Generator | None = None):  # fmt: skip
        self.data_source = data_source
        self.replacement = check.boolean("RandomSampler", "replacement", replacement)
        if num_samples is not None:
            num_samples = check.integer("RandomSampler", "num_samples", num_samples, low=1)
        self._num_samples = num_samples
        self.generator = checked("RandomSampler", generator)
        if self.num_samples < 1:
            raise ValueError(f"RandomSampler: num_samples must be a positive integer, got "
                             f"{self.num_samples} (the data source is empty)")  # fmt: skip

    @property
    def num_samples(self) -> int:
        """How many indices an iteration yields: `num_samples` if given, else the dataset's
        length."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, count = len(self.data_source), self.num_samples
        rng = numpy_generator(self.generator)
        if self.replacement:
            yield from rng.integers(n, size=count).tolist()
            return
        for _ in range(count // n):
            yield from rng.permutation(n).tolist()
        if count % n:
            yield from rng.permutation(n)[: count % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given `indices` in a random order (a new permutation each iteration)."""

    def __init__(self, indices: Sequence[int],
                 generator: Generator | np.random.Generator | None = None):  # fmt: skip
        self.indices = indices
        self.generator = checked("SubsetRandomSampler", generator)

    def __iter__(self) -> Iterator[Any]:
        for i in numpy_generator(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Lists of `batch_size` indices from `sampler`, in its order; the last list is shorter
    unless `drop_last`, which drops it. len = ceil(n / batch_size), or floor with drop_last."""

    def __init__(self, sampler: Iterable[Any], batch_size: int, drop_last: bool):
        self.sampler = sampler
        self.batch_size = check.integer("BatchSampler", "batch_size", batch_size, low=1)
        self.drop_last = check.boolean("BatchSampler", "drop_last", drop_last)

    def __iter__(self) -> Iterator[list[Any]]:
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        full, rest = divmod(len(self.sampler), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)
