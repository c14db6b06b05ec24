"""DataLoader (torch.utils.data.DataLoader): batches of a dataset's samples, collated into
Tensors, in the order of a sampler.

    loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)
    for xb, yb in loader:  # xb: a (64, ...) Tensor, yb: (64,) int64 labels
        ...

`default_collate` turns a list of samples into a batch as PyTorch's does: Tensors and NumPy arrays
are stacked into one Tensor, Python ints become an int64 Tensor, floats a float64 Tensor, and a
sample that is a tuple, list or dict is collated field by field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ... import validate as check
from ..._tensor import Tensor
from ...ops.shape import stack
from .generator import Generator, checked
from .sampler import BatchSampler, RandomSampler, SequentialSampler


def _is_numbers(array: np.ndarray) -> bool:
    return array.dtype.kind in "biuf"


def default_convert(data: Any) -> Any:
    """What a loader without batching (batch_size=None) yields for a sample: NumPy arrays and
    NumPy scalars of numbers become Tensors (in tuples, lists and dicts too); the rest is kept."""
    if isinstance(data, np.ndarray | np.generic) and _is_numbers(np.asarray(data)):
        return Tensor(data)
    if isinstance(data, Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple | list):
        return type(data)(default_convert(d) for d in data)
    return data


def default_collate(batch: Sequence[Any]) -> Any:
    """A batch from a list of samples, PyTorch's rules:

    Tensors -> one Tensor stacked along a new first dimension; NumPy arrays and NumPy scalars ->
    the same, as Tensors of their dtype; Python ints (and bools) -> an int64 (bool) Tensor; Python
    floats -> a float64 Tensor; strings -> the batch of them as it is; dicts -> a dict of
    collated fields; namedtuples -> the namedtuple of collated fields; tuples and lists of equal
    length -> a list of collated fields (sample (x, y) gives [xs, ys]). Anything else is a
    TypeError.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch)
    if isinstance(elem, np.ndarray | np.generic):
        if not _is_numbers(np.asarray(elem)):
            raise TypeError(f"default_collate: NumPy samples must hold numbers, got dtype "
                            f"{np.asarray(elem).dtype}")  # fmt: skip
        if isinstance(elem, np.generic):
            return Tensor(np.asarray(batch))
        return stack([Tensor(b) for b in batch])
    if isinstance(elem, float):
        return Tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, int):
        values = np.asarray(batch)
        return Tensor(values if values.dtype == bool else values.astype(np.int64))
    if isinstance(elem, str | bytes):
        return batch
    if isinstance(elem, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(default_collate(field) for field in zip(*batch, strict=True)))
    if isinstance(elem, tuple | list):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               f"equal size, got lengths {[len(s) for s in batch]}")  # fmt: skip
        return [default_collate(field) for field in zip(*batch, strict=True)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                    f"or lists; found {type(elem).__name__}")  # fmt: skip


class DataLoader:
    """Batches of `dataset`'s samples (torch.utils.data.DataLoader).

    Order: `sampler` if given (any iterable of indices), else a `RandomSampler` drawing from
    `generator` with `shuffle=True` (a new order each epoch), else 0, 1, 2, ... Batching: groups of
    `batch_size` indices (`BatchSampler`; `drop_last` drops a short last batch), or a
    `batch_sampler` giving whole lists of indices; each group's samples go through `collate_fn`
    (default `default_collate`: Tensors). With `batch_size=None` there is no batching: each
    sample goes through `collate_fn` (default `default_convert`).

    Errors as PyTorch's: `sampler` with `shuffle`, `batch_sampler` with `batch_size`, `shuffle`,
    `sampler` or `drop_last`, and `batch_size=None` with `drop_last` are ValueErrors.

    Coming from PyTorch: samples are always loaded in the calling process: `num_workers` and
    `pin_memory` are checked and accepted, and change nothing (the batches are the same); other
    multiprocessing arguments (`worker_init_fn`, `prefetch_factor`, ...) are not taken.
    Iterable-style datasets are not supported.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Iterable[Any] | None = None,
                 batch_sampler: Iterable[list[Any]] | None = None, num_workers: int = 0,
                 collate_fn: Callable[[Any], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False,
                 generator: Generator | np.random.Generator | None = None):  # fmt: skip
        owner = "DataLoader"
        if not callable(getattr(dataset, "__getitem__", None)) or not hasattr(dataset, "__len__"):
            raise TypeError(f"{owner}: dataset must have __getitem__ and __len__ (a Dataset, e.g. "
                            f"TensorDataset(X, y)), got a {type(dataset).__name__}")  # fmt: skip
        shuffle = False if shuffle is None else check.boolean(owner, "shuffle", shuffle)
        drop_last = check.boolean(owner, "drop_last", drop_last)
        if batch_size is not None:
            batch_size = check.integer(owner, "batch_size", batch_size, low=1)
        self.num_workers = check.integer(owner, "num_workers", num_workers, low=0)
        self.pin_memory = check.boolean(owner, "pin_memory", pin_memory)
        self.generator = checked(owner, generator)
        if collate_fn is not None and not callable(collate_fn):
            raise check.fail(owner, "collate_fn", "a function or None", collate_fn, TypeError)
        if sampler is not None and shuffle:
            raise ValueError(f"{owner}: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(f"{owner}: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")  # fmt: skip
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(f"{owner}: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")  # fmt: skip
        if sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))  # fmt: skip
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn

    def _fetch(self, indices: list[Any]) -> list[Any]:
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(indices)
        return [self.dataset[i] for i in indices]

    def __iter__(self) -> Iterator[Any]:
        if self.batch_sampler is None:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        for indices in self.batch_sampler:
            yield self.collate_fn(self._fetch(list(indices)))

    def __len__(self) -> int:
        return len(self.sampler if self.batch_sampler is None else self.batch_sampler)
