"""The affine map of a Linear/Dense layer."""

from __future__ import annotations

from ..._tensor import Tensor, as_tensor
from ...autograd.function import op


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight + bias as one op: dx = g @ weight^T, dweight = x^T @ g, dbias = sum_rows(g)."""
    x = as_tensor(x)
    a, w = x.data, weight.data
    if a.ndim != 2 or a.shape[1] != w.shape[0]:
        raise ValueError(f"linear: input shape {a.shape} does not match weight shape {w.shape}")
    out = a @ w
    if bias is not None:
        out += bias.data

    def backward(g):
        gx = g @ w.T if x.requires_grad else None
        gw = a.T @ g if weight.requires_grad else None
        return gx, gw, (g.sum(axis=0) if bias is not None else None)

    return op("linear", out, (x, weight, bias if bias is not None else x), backward)
