"""Batch normalization (training statistics and running averages), fused kernels; batch norm
followed by ReLU and dropout as one op (`batch_norm_relu`, what `tinyreg.nn.fusion` runs)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import random as _random
from ... import validate as check
from ..._tensor import Tensor, as_tensor
from ...autograd.function import op
from ...device import (
    array_module,
    contiguous,
    kernels_for,
)
from ...validate import unwrap
from .conv import floating, parameter
from .noise import dropout


def batch_norm(
    x: Tensor,
    running_mean: Any,
    running_var: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization of (N, C) input over its rows (PyTorch's BatchNorm1d semantics), of
    (N, C, L) input per channel over (N, L) (BatchNorm1d on sequences), or of (N, C, H, W) input
    per channel over (N, H, W) (BatchNorm2d: the same kernels on the input seen as (N, C, H*W),
    no copy).

    training: xhat = (x - mean_B) / sqrt(var_B + eps) with the biased batch variance, and
        running = (1 - momentum) * running + momentum * batch with the *unbiased* variance;
    eval: xhat = (x - running_mean) / sqrt(running_var + eps).
    Then y = weight * xhat + bias (either may be None). One fused kernel computes the statistics
    and y; one computes dx, dweight and dbias. PyTorch's signature and default (training=False,
    which needs the running statistics); running_mean and running_var are arrays or Tensors,
    updated in place while training.
    """
    return _normalize(x, running_mean, running_var, weight, bias, training, momentum, eps, None)


def batch_norm_relu(
    x: Tensor,
    running_mean: Any,
    running_var: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    p: float = 0.0,
) -> Tensor:
    """relu(batch_norm(x, ...)), then dropout(., p) when p > 0 (tinyreg's own; no PyTorch name):
    what a Sequential runs for BatchNorm -> ReLU (-> Dropout) while fusion is on
    (`tinyreg.nn.fusion`).

    The arguments are batch_norm's, plus p, the dropout probability (0: no dropout, no random
    stream taken). Training: one op (autograd node "batch_norm_relu" or
    "batch_norm_relu_dropout"): the batch-norm kernel, then one pass of y = relu(v) * keep /
    (1 - p) over its output v (kernels/fused.py), keeping one mask byte per element; the
    backward is one pass dv = (g * keep / (1 - p)) * (v > 0), then the batch-norm backward. The
    float operations and their order are the unfused layers', and the dropout mask comes from
    the same counter-based stream, so the result is equal bit for bit to
    dropout(relu(batch_norm(x, ...)), p), running statistics included. Eval
    (training=False): exactly those unfused ops.
    """
    p = check.number("batch_norm_relu", "p", p, 0.0, 1.0)
    if not check.boolean("batch_norm_relu", "training", training):
        y = batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps).relu()
        return dropout(y, p) if p else y
    return _normalize(x, running_mean, running_var, weight, bias, True, momentum, eps, p)


def _normalize(x: Tensor, running_mean: Any, running_var: Any, weight: Tensor | None,
               bias: Tensor | None, training: bool, momentum: float, eps: float,
               relu_p: float | None) -> Tensor:  # fmt: skip
    """batch_norm's checks, and (N, C, H, W) input seen as (N, C, H*W); then `_batch_norm`
    (followed by ReLU and dropout(relu_p) unless relu_p is None)."""
    x = floating("batch_norm", "input", as_tensor(x))
    shape = x.shape  # the caller's shape, for messages
    if x.ndim not in (2, 3, 4):
        raise ValueError(f"batch_norm: input must be (N, C), (N, C, L) or (N, C, H, W), got shape "
                         f"{shape}")  # fmt: skip
    c = shape[1]
    running_mean, running_var = unwrap(running_mean), unwrap(running_var)
    for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
        if stat is not None and np.shape(stat) != (c,):
            raise ValueError(f"batch_norm: {name} must have shape ({c},) for input of shape "
                             f"{shape}, got shape {np.shape(stat)}")  # fmt: skip
    weight = parameter("batch_norm", "weight", weight, (c,))
    bias = parameter("batch_norm", "bias", bias, (c,))
    settings = running_mean, running_var, weight, bias, training, momentum, eps, relu_p
    if x.ndim == 4:
        n, _, h, w = shape
        planes = (x if x.data.flags.c_contiguous else x.contiguous()).reshape(n, c, h * w)
        return _batch_norm(planes, shape, *settings).reshape(shape)
    return _batch_norm(x, shape, *settings)


def _batch_norm(x: Tensor, shape: tuple, running_mean: Any, running_var: Any,
                weight: Tensor | None, bias: Tensor | None, training: bool, momentum: float,
                eps: float, relu_p: float | None) -> Tensor:  # fmt: skip
    """batch_norm of checked (N, C) or (N, C, L) input; `shape` is the caller's, for messages.
    In training, relu_p = p (not None) runs ReLU and dropout(p) in the same op."""
    a = x.data
    c = a.shape[1]
    count = a.size // c if c else 0  # values per channel
    column = (c,) if a.ndim == 2 else (c, 1)  # broadcasts per-channel values against x
    if not training:  # a few plain ops: autograd gives the gradient of the affine map
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var must be given in "
                             "evaluation mode (training=False)")  # fmt: skip
        invstd = (1.0 / np.sqrt(running_var.astype(np.float64) + eps)).astype(a.dtype)
        y = (x - running_mean.astype(a.dtype).reshape(column)) * invstd.reshape(column)
        y = y if weight is None else y * weight.reshape(column)
        return y if bias is None else y + bias.reshape(column)
    if count < 2:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, got input "
            f"shape {shape}"
        )
    xp = array_module(a)
    gamma = weight.data if weight is not None else xp.ones(c, a.dtype)
    beta = bias.data if bias is not None else xp.zeros(c, a.dtype)
    a = contiguous(a)
    y = xp.empty_like(a)
    mean, var = xp.empty(c), xp.empty(c)
    k = kernels_for(a)
    k.batchnorm_forward(a, gamma, beta, eps, y, mean, var)
    if relu_p is not None:  # the unfused ReLU and dropout's operations in one pass over y
        v, y, mask = y, xp.empty_like(y), xp.empty(y.shape, np.uint8)
        k.relu_dropout_forward(v, y, mask, relu_p, _random.next_key() if relu_p else 0)
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * var * (count / (count - 1))

    def backward(g):
        g = contiguous(g)
        if relu_p is not None:
            dv = xp.empty_like(g)
            k.relu_dropout_backward(g, mask, relu_p, dv)
            g = dv
        dx = xp.empty_like(a)
        dgamma, dbeta = xp.empty(c, a.dtype), xp.empty(c, a.dtype)
        k.batchnorm_backward(g, a, gamma, mean, var, eps, dx, dgamma, dbeta)
        return dx, (dgamma if weight is not None else None), (dbeta if bias is not None else None)

    parents = (x, weight if weight is not None else x, bias if bias is not None else x)
    name = "batch_norm" if relu_p is None else "batch_norm_relu" + ("_dropout" if relu_p else "")
    return op(name, y, parents, backward)
