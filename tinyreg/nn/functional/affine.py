"""The affine maps of the linear layers, each one op with its backward:

    linear(x, W, b) = x @ W^T + b   PyTorch's F.linear: W is (out, in), x is (*, in)
    dense(x, W, b)  = x @ W + b     tinyreg's nn.Dense: W is (in, out), x is (N, in)

Gradients (x2 = x as rows of in features, g2 = the output gradient as rows): for linear,
dx = g2 @ W, dW = g2^T @ x2; for dense, dx = g2 @ W^T, dW = x2^T @ g2; db = column sums of g2.
"""

from __future__ import annotations

from ..._tensor import Tensor, as_tensor
from ...autograd.function import op
from .conv import floating, parameter


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """PyTorch's F.linear: input @ weight^T + bias, weight (out_features, in_features), input
    (*, in_features) with any leading dimensions (or 1-D)."""
    return _affine("linear", input, weight, bias, weight_is_out_by_in=True)


def dense(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """tinyreg's Dense layer: x @ weight + bias, weight (in_features, out_features), x (N, in)."""
    return _affine("dense", x, weight, bias, weight_is_out_by_in=False)


def _affine(name: str, x: Tensor, weight: Tensor, bias: Tensor | None,
            weight_is_out_by_in: bool) -> Tensor:  # fmt: skip
    x = floating(name, "input", as_tensor(x))
    weight = parameter(name, "weight", weight, optional=False)
    a, w = x.data, weight.data
    if w.ndim != 2:
        raise ValueError(f"{name}: weight must be 2-D, got shape {w.shape}")
    fan_in = w.shape[1] if weight_is_out_by_in else w.shape[0]
    if a.ndim < 1 or a.shape[-1] != fan_in or (name == "dense" and a.ndim != 2):
        raise ValueError(f"{name}: input shape {a.shape} does not match weight shape {w.shape}")
    bias = parameter(name, "bias", bias)
    out_features = w.shape[0] if weight_is_out_by_in else w.shape[1]
    if bias is not None and bias.shape not in ((out_features,), (1,), ()):  # PyTorch broadcasts
        raise ValueError(f"{name}: bias must have shape ({out_features},), got shape "
                         f"{tuple(bias.shape)}")  # fmt: skip
    rows = a.reshape(-1, fan_in)
    out = rows @ (w.T if weight_is_out_by_in else w)
    if bias is not None:
        out += bias.data
    out = out.reshape(*a.shape[:-1], out.shape[-1])

    def backward(g):
        g2 = g.reshape(-1, g.shape[-1])
        gx = gw = None
        if x.requires_grad:
            gx = (g2 @ w if weight_is_out_by_in else g2 @ w.T).reshape(a.shape)
        if weight.requires_grad:
            gw = g2.T @ rows if weight_is_out_by_in else rows.T @ g2
        return gx, gw, (g2.sum(axis=0) if bias is not None else None)

    return op(name, out, (x, weight, bias if bias is not None else x), backward)
