"""Matrix products: `a @ b` for 1-D, 2-D and batched operands (NumPy's rules)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, as_tensor
from ..autograd.function import op
from ._args import (
    shape_error,
)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """a @ b for 1-D, 2-D and batched operands (NumPy's rules); dA = dY @ B^T, dB = A^T @ dY."""
    a, b = as_tensor(a), as_tensor(b)
    x, w = a.data, b.data
    try:
        out = x @ w
    except (ValueError, TypeError):
        raise shape_error("matmul", x, w) from None

    def backward(g):
        if x.ndim == 1 and w.ndim == 1:  # inner product
            return g * w, g * x
        x2 = x[None, :] if x.ndim == 1 else x
        w2 = w[:, None] if w.ndim == 1 else w
        if x.ndim == 1:
            g = np.expand_dims(g, -2)
        if w.ndim == 1:
            g = np.expand_dims(g, -1)
        gx = g @ np.swapaxes(w2, -1, -2) if a.requires_grad else None
        gw = np.swapaxes(x2, -1, -2) @ g if b.requires_grad else None
        if gx is not None and x.ndim == 1:
            gx = gx[..., 0, :]
        if gw is not None and w.ndim == 1:
            gw = gw[..., 0]
        return gx, gw

    return op("matmul", out, (a, b), backward)


def rmatmul(self, other: Any) -> Tensor:
    """other @ x for a non-tensor `other` (Python's reflected @)."""
    return matmul(as_tensor(other), self)
