"""Argument parsing shared by the ops: operands, dimensions, and array results.

PyTorch spells reductions with `dim`/`keepdim`, NumPy with `axis`/`keepdims`; tinyreg accepts
both, and every bad dimension is an error that names the op.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..device import device_of, on_gpu


def operand(x: Any) -> Any:
    """The array of a tensor operand, or the operand itself (a number or an array)."""
    return x.data if isinstance(x, Tensor) else x


def scaled(other: Any, alpha: float) -> Any:
    """alpha * other, for the `alpha=` of add and sub (a tensor stays a tensor, so its gradient
    flows)."""
    if alpha == 1:
        return other
    return other * alpha if isinstance(other, Tensor) else np.multiply(other, alpha)


def shape_error(op: str, a: Any, b: Any) -> ValueError:
    """The error for operands that do not fit: their shapes, or their devices if those differ."""
    if device_of(a) != device_of(b):
        return ValueError(f"{op}: operands are on different devices ({device_of(a)} and "
                          f"{device_of(b)}); move one with .to(device)")  # fmt: skip
    return ValueError(f"{op}: shapes {np.shape(a)} and {np.shape(b)} are not compatible")


def dim_index(dim: Any, ndim: int, op: str) -> int:
    """A dimension index in [-ndim, ndim) as a non-negative int, or an IndexError naming op."""
    if isinstance(dim, bool | np.bool_) or not isinstance(dim, int | np.integer):
        raise TypeError(f"{op}: dims must be integers, got {dim!r}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dimension {dim} is out of range for a {ndim}-d tensor "
                         f"(expected [{-max(ndim, 1)}, {max(ndim, 1) - 1}])")  # fmt: skip
    return int(dim) % max(ndim, 1)


def one_dim(dim: Any, axis: Any, op: str) -> Any:
    """The dimension given as PyTorch's `dim` or NumPy's `axis` (None if neither)."""
    if axis is None:
        return dim
    if dim is not None:
        raise TypeError(f"{op}: pass dim or axis, not both")
    return axis


def reduction_dims(ndim: int, dim: Any, axis: Any, keepdim: bool, keepdims: bool | None,
                    op: str) -> tuple[tuple | None, bool]:  # fmt: skip
    """(dims as a tuple of non-negative ints or None for all, keepdim) from PyTorch's or
    NumPy's spelling."""
    dim = one_dim(dim, axis, op)
    keep = keepdim if keepdims is None else keepdims
    if dim is None:
        return None, bool(keep)
    dims = dim if isinstance(dim, tuple | list) else (dim,)
    dims = tuple(dim_index(d, ndim, op) for d in dims) if ndim else ()
    if len(set(dims)) != len(dims):
        raise ValueError(f"{op}: dim {dim} names a dimension twice")
    return dims, bool(keep)


def is_basic_index(index: Any) -> bool:
    """Whether `index` uses only ints, slices, None and Ellipsis (no repeated positions)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, int | slice | type(None) | type(Ellipsis)) for i in parts)


def scalar_array(value: Any, dtype: Any) -> Any:
    """A scalar result (Python or NumPy scalar, or a 0-d or one-element device array) as a 0-d
    array of `dtype` on the device it was computed on."""
    if on_gpu(value):
        return value.reshape(()).astype(dtype)
    return np.asarray(value, dtype=dtype)


def keep_array(value: Any) -> Any:
    """NumPy reductions return scalars; keep 0-d arrays so every tensor holds an array."""
    return np.asarray(value) if isinstance(value, np.generic) else value


def index_result(indices: Any) -> Tensor:
    """Indices (argmax, argmin) as an int64 tensor with no gradient."""
    return Tensor(keep_array(indices).astype(np.int64))
