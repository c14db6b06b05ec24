"""Creating tensors: `tensor` (a copy of the data, as torch.tensor), `zeros`, `ones`, `randn`
(from the generator seeded by `tinyreg.manual_seed`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import random as _random
from . import validate as check
from ._tensor import Tensor
from .device import check_device, to_device


def tensor(
    data: Any, requires_grad: bool = False, dtype: Any = None, device: str = "cpu"
) -> Tensor:
    """A new leaf tensor (a copy, as torch.tensor) on `device`: float32 for Python floats and
    float lists, float64 kept if given."""
    check.boolean("tensor", "requires_grad", requires_grad)
    if dtype is not None:
        try:
            kind = np.dtype(dtype).kind
        except TypeError:
            kind = None
        if kind not in ("b", "i", "u", "f"):
            raise TypeError(f"tensor: dtype must be a real NumPy dtype, got {dtype!r}")
    source = data.data if isinstance(data, Tensor) else data
    out = Tensor(source, requires_grad, dtype)
    if out.device != check_device(device):
        out.data = to_device(out.data, device)  # a new array on the other device
    elif out.data is source or (
        isinstance(source, np.ndarray) and np.may_share_memory(out.data, source)
    ):
        out.data = out.data.copy()  # like torch.tensor, never alias the caller's array
    return out


def _shape(op: str, shape: tuple) -> tuple[int, ...]:
    """A shape given as ints or as one tuple/list of ints, each >= 0."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    for size in shape:
        if isinstance(size, bool | np.bool_) or not isinstance(size, int | np.integer) or size < 0:
            raise ValueError(f"{op}: shape must be integers >= 0, got {shape}")
    return tuple(int(size) for size in shape)


def zeros(*shape: int, dtype: Any = np.float32, requires_grad: bool = False,
          device: str = "cpu") -> Tensor:  # fmt: skip
    """A tensor of zeros of `shape` (float32 unless `dtype` says otherwise)."""
    return Tensor(to_device(np.zeros(_shape("zeros", shape), dtype=dtype), device), requires_grad)


def ones(*shape: int, dtype: Any = np.float32, requires_grad: bool = False,
         device: str = "cpu") -> Tensor:  # fmt: skip
    """A tensor of ones of `shape` (float32 unless `dtype` says otherwise)."""
    return Tensor(to_device(np.ones(_shape("ones", shape), dtype=dtype), device), requires_grad)


def randn(*shape: int, dtype: Any = np.float32, requires_grad: bool = False,
          device: str = "cpu") -> Tensor:  # fmt: skip
    """Standard normal samples from the generator seeded by `tinyreg.manual_seed` (drawn on the
    CPU, so a seed gives the same numbers on every device)."""
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise ValueError(f"randn: dtype must be float32 or float64, got {dtype!r}")
    values = _random.generator().standard_normal(_shape("randn", shape), dtype=dtype)
    return Tensor(to_device(values, device), requires_grad)
