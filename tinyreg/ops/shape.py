"""Shape and indexing ops, each with its backward beside it: size, reshape/view (and the `_as`
forms), permute/transpose/t, squeeze/unsqueeze, flatten, expand, repeat, indexing and gather,
split/chunk, cat/stack, and contiguous.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor, as_tensor
from ..autograd.function import op
from ..device import array_module
from ._args import (
    dim_index,
    is_basic_index,
    one_dim,
    operand,
)


def reshape(self, *shape: int) -> Tensor:
    """The same elements in a new shape (one dimension may be -1)."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    original = self.shape
    try:
        out = self.data.reshape(shape)
    except (ValueError, TypeError):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {original} "
                         f"({self.data.size} elements) into {shape}") from None  # fmt: skip
    return op("reshape", out, (self,), lambda g: (g.reshape(original),))


def size(self, dim: int | None = None) -> tuple | int:
    """torch.Tensor.size: the shape (a tuple), or the length of dimension `dim` (negative
    counts from the end)."""
    return self.shape if dim is None else self.shape[dim_index(dim, self.ndim, "size")]


def reshape_as(self, other: Tensor) -> Tensor:
    """`reshape` to other's shape (torch.reshape_as)."""
    return self.reshape(other.shape)


def view_as(self, other: Tensor) -> Tensor:
    """`view` to other's shape (torch.view_as)."""
    return self.view(other.shape)


def view(self, *shape: int) -> Tensor:
    """`reshape` under PyTorch's other name (tinyreg arrays are not shared views)."""
    return self.reshape(*shape)


def contiguous(self) -> Tensor:
    """This tensor if its array is C-contiguous, else a C-contiguous copy (torch's
    contiguous); the gradient passes through unchanged."""
    if self.data.flags.c_contiguous:
        return self
    return op("contiguous", array_module(self.data).ascontiguousarray(self.data), (self,),
              lambda g: (g,))  # fmt: skip


def permute(self, *dims: int) -> Tensor:
    """Reorder the dimensions: output dimension i is input dimension dims[i] (torch.permute;
    negative dims count from the end). The gradient applies the inverse permutation."""
    if len(dims) == 1 and isinstance(dims[0], tuple | list):
        dims = tuple(dims[0])
    order = tuple(dim_index(d, self.ndim, "permute") for d in dims)
    if sorted(order) != list(range(self.ndim)):
        raise ValueError(f"permute: dims must be a permutation of the {self.ndim} dimensions "
                         f"of a tensor of shape {self.shape}, got {dims}")  # fmt: skip
    inverse = tuple(np.argsort(order))
    return op("permute", self.data.transpose(order), (self,), lambda g: (g.transpose(inverse),))


def transpose(self, dim0: int, dim1: int) -> Tensor:
    """Swap dimensions dim0 and dim1 (torch.transpose; negative dims count from the end).
    For NumPy's full permutation use `permute`."""
    order = list(range(self.ndim))
    a, b = dim_index(dim0, self.ndim, "transpose"), dim_index(dim1, self.ndim, "transpose")
    order[a], order[b] = order[b], order[a]
    return self.permute(order)


def reverse_dims(self) -> Tensor:
    """All dimensions reversed (the matrix transpose for a 2-D tensor)."""
    return self.permute(tuple(reversed(range(self.ndim))))


def t(self) -> Tensor:
    """The matrix transpose of a tensor of at most 2 dimensions (torch.t; 0-d and 1-d tensors
    come back as they are)."""
    if self.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{self.ndim}D; use transpose(dim0, dim1) or permute")  # fmt: skip
    return reverse_dims(self)


def getitem(self, index: Any) -> Tensor:
    """x[index] with NumPy's basic and advanced indexing; the gradient is g scattered back into
    zeros of x's shape (summed where an advanced index repeats)."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    a = self.data

    def backward(g):
        full = np.zeros_like(a)
        if is_basic_index(index):
            full[index] = g
        else:
            np.add.at(full, index, g)
        return (full,)

    return op("index", a[index], (self,), backward)


def squeeze(self, dim: int | None = None) -> Tensor:
    """Drop size-1 dimensions (all, or `dim` if it has size 1, as torch.squeeze)."""
    shape = self.shape
    if dim is None:
        new = tuple(n for n in shape if n != 1)
    else:
        d = dim_index(dim, self.ndim, "squeeze")
        new = shape[:d] + shape[d + 1 :] if shape and shape[d] == 1 else shape
    return self.reshape(new)


def unsqueeze(self, dim: int) -> Tensor:
    """Insert a size-1 dimension at `dim` (in [-ndim - 1, ndim])."""
    d = dim_index(dim, self.ndim + 1, "unsqueeze")
    return self.reshape(self.shape[:d] + (1,) + self.shape[d:])


def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions start_dim..end_dim into one (torch.flatten); start_dim after end_dim is
    an error, as in PyTorch."""
    if self.ndim == 0:
        return self.reshape(1)
    start, end = (
        dim_index(start_dim, self.ndim, "flatten"),
        dim_index(end_dim, self.ndim, "flatten"),
    )
    if start > end:  # PyTorch's RuntimeError; a ValueError here, as tinyreg's bad values
        raise ValueError(f"flatten: start_dim {start_dim} cannot come after end_dim {end_dim} "
                         f"for a {self.ndim}-d tensor")  # fmt: skip
    merged = int(np.prod(self.shape[start : end + 1]))
    return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1 :])


def expand(self, *sizes: int) -> Tensor:
    """Broadcast to `sizes` (-1 keeps a dimension), as torch.expand; the gradient is summed
    back over the broadcast dimensions."""
    if len(sizes) == 1 and isinstance(sizes[0], tuple | list):
        sizes = tuple(sizes[0])
    lead = len(sizes) - self.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes for a {self.ndim}-d tensor")
    target = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    try:
        out = np.broadcast_to(self.data, target)
    except ValueError:
        raise ValueError(f"expand: cannot expand shape {self.shape} to {sizes}") from None
    return op("expand", out, (self,), lambda g: (g,))


def expand_as(self, other: Tensor) -> Tensor:
    """`expand` to other's shape (torch.expand_as)."""
    return self.expand(other.shape)


def repeat(self, *repeats: int) -> Tensor:
    """torch.repeat (NumPy's tile): the tensor repeated along each dimension; the gradient
    sums the copies."""
    if len(repeats) == 1 and isinstance(repeats[0], tuple | list):
        repeats = tuple(repeats[0])
    if len(repeats) < self.ndim:
        raise ValueError(f"repeat: {len(repeats)} repeats for a {self.ndim}-d tensor")
    shape = (1,) * (len(repeats) - self.ndim) + self.shape
    out = np.tile(self.data.reshape(shape), repeats)

    def backward(g):
        split = g.reshape([x for pair in zip(repeats, shape, strict=True) for x in pair])
        summed = split.sum(axis=tuple(range(0, split.ndim, 2)))
        return (summed.reshape(self.shape),)

    return op("repeat", out, (self,), backward)


def gather(self, dim: int, index: Any) -> Tensor:
    """torch.gather: out[i][j] = x[i][index[i][j]] along `dim`; the gradient is scattered
    back (summed where an index repeats)."""
    d = dim_index(dim, self.ndim, "gather")
    idx = np.asarray(operand(index))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"gather: index must be integers, got dtype {idx.dtype}")
    a = self.data

    def backward(g):
        full = np.zeros_like(a)
        grid = list(np.indices(idx.shape, sparse=True))
        grid[d] = idx
        np.add.at(full, tuple(grid), g)
        return (full,)

    return op("gather", np.take_along_axis(a, idx, axis=d), (self,), backward)


def split(self, split_size_or_sections: int | Sequence[int], dim: int = 0) -> list[Tensor]:
    """torch.split: pieces of `split_size` along `dim` (the last may be smaller), or of the
    given section sizes."""
    d = dim_index(dim, self.ndim, "split")
    n = self.shape[d]
    if isinstance(split_size_or_sections, int | np.integer):
        size = int(split_size_or_sections)
        if size < 1:
            raise ValueError(f"split: split_size must be >= 1, got {size}")
        sections = [min(size, n - start) for start in range(0, n, size)]
    else:
        sections = [int(k) for k in split_size_or_sections]
        if sum(sections) != n:
            raise ValueError(f"split: sections {sections} do not add up to {n}")
    pieces, start = [], 0
    for k in sections:
        index = (slice(None),) * d + (slice(start, start + k),)
        pieces.append(self[index])
        start += k
    return pieces


def chunk(self, chunks: int, dim: int = 0) -> list[Tensor]:
    """torch.chunk: `chunks` pieces of ceil(n / chunks) along `dim` (fewer if n is small)."""
    if chunks < 1:
        raise ValueError(f"chunk: chunks must be >= 1, got {chunks}")
    n = self.shape[dim_index(dim, self.ndim, "chunk")]
    return self.split(max(1, -(-n // chunks)), dim)


def cat(tensors: Sequence[Tensor], dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """torch.cat (also np.concatenate's name, `concatenate`, and its `axis=`): join tensors
    along an existing dimension `dim` (0 unless given); the gradient is split back into the
    pieces."""
    tensors = _joined("cat", tensors)
    d = dim_index(one_dim(dim, axis, "cat") or 0, tensors[0].ndim, "cat")
    try:
        out = np.concatenate([t.data for t in tensors], axis=d)
    except ValueError:
        raise ValueError(f"cat: tensors must have the same shape except in dimension {d}, got "
                         f"shapes {[t.shape for t in tensors]}") from None  # fmt: skip
    splits = np.cumsum([t.shape[d] for t in tensors])[:-1]
    return op("cat", out, tuple(tensors), lambda g: tuple(np.split(g, splits, axis=d)))


concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int | None = None, *, axis: int | None = None
          ) -> Tensor:  # fmt: skip
    """torch.stack (and np.stack's `axis=`): join same-shape tensors along a new dimension
    `dim` (0 unless given; in [-ndim - 1, ndim]); each input's gradient is its slice."""
    tensors = _joined("stack", tensors)
    d = dim_index(one_dim(dim, axis, "stack") or 0, tensors[0].ndim + 1, "stack")
    if len({t.shape for t in tensors}) != 1:
        raise ValueError(f"stack: tensors must all have the same shape, got shapes "
                         f"{[t.shape for t in tensors]}")  # fmt: skip
    out = np.stack([t.data for t in tensors], axis=d)
    count = len(tensors)
    return op("stack", out, tuple(tensors), lambda g: tuple(np.moveaxis(g, d, 0)[:count]))


def _joined(name: str, tensors: Any) -> list[Tensor]:
    """The tensors for cat or stack: a non-empty sequence (numbers and arrays become tensors)."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence) or not tensors:
        raise TypeError(f"{name}: tensors must be a non-empty list or tuple of tensors, got "
                        f"{tensors!r}")  # fmt: skip
    return [as_tensor(t) for t in tensors]
