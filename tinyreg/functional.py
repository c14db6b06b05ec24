"""Activations and losses as functions of tensors.

The losses are fused: one forward computation and one closed-form backward, instead of a chain of
small ops, which is both faster and numerically safer (log-softmax with the maximum subtracted).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import random as _random
from . import validate as check
from .device import array_module, contiguous, kernels_for
from .kernels import rng
from .tensor import Tensor, as_tensor, op, scalar_array

_REDUCTIONS = ("mean", "sum")


def relu(x: Tensor) -> Tensor:
    """max(x, 0); see `Tensor.relu`."""
    return x.relu()


def tanh(x: Tensor) -> Tensor:
    """tanh(x); see `Tensor.tanh`."""
    return x.tanh()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), without overflow; see `Tensor.sigmoid`."""
    return x.sigmoid()


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`; see `Tensor.softmax`."""
    return x.softmax(axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along `axis`; see `Tensor.log_softmax`."""
    return x.log_softmax(axis)


def _check_reduction(reduction: str) -> None:
    check.choice("loss", "reduction", reduction, _REDUCTIONS)


def _target(owner: str, target: Any, like: np.ndarray) -> Any:
    """A real-valued target array on the prediction's device, in its dtype."""
    data = target.data if isinstance(target, Tensor) else target
    if not hasattr(data, "__cuda_array_interface__"):
        data = np.asarray(data)
        if data.dtype.kind not in "biuf":
            raise TypeError(f"{owner}: target must hold real numbers, got dtype {data.dtype}")
    return array_module(like).asarray(data, like.dtype)


def _labels(labels: Any, logits: np.ndarray) -> np.ndarray:
    """Integer class indices, checked against the logits and moved to their device."""
    y = array_module(logits).asarray(labels.data if isinstance(labels, Tensor) else labels)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must be (N, C), got shape {logits.shape}")
    if y.shape != (logits.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError(
            f"cross_entropy: labels must be integer class indices of shape ({logits.shape[0]},), "
            f"got dtype {y.dtype} and shape {y.shape}"
        )
    low, high = (int(y.min()), int(y.max())) if y.size else (0, 0)
    if low < 0 or high >= logits.shape[1]:
        raise ValueError(
            f"cross_entropy: labels must lie in [0, {logits.shape[1]}), got values in "
            f"[{low}, {high}]"
        )
    return y


def cross_entropy(logits: Tensor, labels: Any, reduction: str = "mean") -> Tensor:
    """-log softmax(logits)[y], averaged or summed over the batch.

    log softmax(z) = z - max(z) - log(sum(exp(z - max(z)))) is finite for logits of any size;
    the gradient is softmax(z) - onehot(y) (divided by N for the mean).
    """
    _check_reduction(reduction)
    logits = as_tensor(logits)
    z = logits.data
    y = _labels(labels, z)
    rows = array_module(z).arange(len(y))
    shifted = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    losses = log_norm[:, 0] - shifted[rows, y]
    scale = 1.0 / len(y) if reduction == "mean" and len(y) else 1.0

    def backward(g):
        grad = np.exp(shifted - log_norm)
        grad[rows, y] -= 1
        grad *= g * scale
        return (grad,)

    return op("cross_entropy", scalar_array(losses.sum() * scale, z.dtype), (logits,), backward)


def mse_loss(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """mean((prediction - target)^2); gradient 2 (prediction - target) / N."""
    _check_reduction(reduction)
    prediction = as_tensor(prediction)
    t = _target("mse_loss", target, prediction.data)
    if t.shape != prediction.shape:
        raise ValueError(
            f"mse_loss: prediction shape {prediction.shape} and target shape {t.shape} differ"
        )
    diff = prediction.data - t
    scale = 1.0 / diff.size if reduction == "mean" and diff.size else 1.0
    value = scalar_array(np.vdot(diff, diff) * scale, diff.dtype)
    return op("mse_loss", value, (prediction,), lambda g: (diff * (2 * scale * g),))


def binary_cross_entropy_with_logits(
    logits: Tensor, target: Any, reduction: str = "mean"
) -> Tensor:
    """-[t log sigmoid(x) + (1-t) log(1 - sigmoid(x))] = max(x, 0) - x t + log(1 + exp(-|x|)).

    The right-hand form never overflows; the gradient is sigmoid(x) - t.
    """
    _check_reduction(reduction)
    logits = as_tensor(logits)
    x = logits.data
    t = _target("binary_cross_entropy_with_logits", target, x)
    if t.shape != x.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits: logits shape {x.shape} and target shape "
            f"{t.shape} differ"
        )
    losses = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    scale = 1.0 / x.size if reduction == "mean" and x.size else 1.0

    def backward(g):
        e = np.exp(-np.abs(x))
        probability = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return ((probability - t) * (g * scale),)

    return op(
        "binary_cross_entropy_with_logits",
        scalar_array(losses.sum() * scale, x.dtype),
        (logits,),
        backward,
    )


def penalty(params: list[Tensor], l1: float, l2: float) -> Tensor:
    """l1 * sum(|w|) + l2 / 2 * sum(w^2) over the tensors in `params`, as one fused op.

    The value is computed by one kernel pass per tensor (float64 accumulation); the backward adds
    g * (l1 * sign(w) + l2 * w) (sign(0) = 0) straight into each tensor's `.grad` in one pass, after
    the data loss's gradients have arrived, so no zero-filled gradient array is made. The
    strengths are checked by `reg.Penalty`, which calls this.
    """
    value = sum(kernels_for(p.data).penalty_value(contiguous(p.data), l1, l2) for p in params)

    def backward(g):
        scale = float(g)
        for p in params:
            kernels_for(p.data).penalty_value_grad(contiguous(p.data), p.writable_grad(), l1, l2,
                                                   scale)  # fmt: skip
        return (None,) * len(params)

    return op("penalty", scalar_array(value, params[0].dtype), tuple(params), backward,
              adds_into_grads=True)  # fmt: skip


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


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: y = x * m / (1 - p) with m ~ Bernoulli(1 - p) per element.

    p is the probability of *dropping* a unit (PyTorch and Keras; the seed's formula writes p for
    the keep probability). Identity when not training or p = 0; zeros when p = 1. The mask is a
    pure function of (seed, call counter, element index) (kernels/rng.py), stored as one byte per
    element and reused by the backward pass.
    """
    p = check.number("dropout", "p", p, 0.0, 1.0)
    training = check.boolean("dropout", "training", training)
    x = as_tensor(x)
    if not training or p == 0.0:
        return x
    a = contiguous(x.data)
    y = np.empty_like(a)
    mask = np.empty_like(a, dtype=np.uint8)
    seed, stream = _random.next_stream()
    k = kernels_for(a)
    k.dropout_forward(a, y, mask, p, rng.stream_key(seed, stream))

    def backward(g):
        g = contiguous(g)
        dx = np.empty_like(g)
        k.dropout_backward(g, mask, p, dx)
        return (dx,)

    return op("dropout", y, (x,), backward)


def batch_norm(
    x: Tensor,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization of (N, C) input over its rows (PyTorch's BatchNorm1d semantics).

    training: xhat = (x - mean_B) / sqrt(var_B + eps) with the biased batch variance, and
        running = (1 - momentum) * running + momentum * batch with the *unbiased* variance;
    eval: xhat = (x - running_mean) / sqrt(running_var + eps).
    Then y = weight * xhat + bias. One fused kernel computes the statistics and y; one computes
    dx, dweight and dbias.
    """
    x = as_tensor(x)
    a = x.data
    if a.ndim != 2:
        raise ValueError(f"batch_norm: input must be (N, C), got shape {a.shape}")
    n, c = a.shape
    if not training:  # a few plain ops: autograd gives the gradient of the affine map
        invstd = (1.0 / np.sqrt(running_var.astype(np.float64) + eps)).astype(a.dtype)
        xhat = (x - running_mean.astype(a.dtype)) * invstd
        return xhat * weight + bias if weight is not None else xhat
    if n < 2:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, got input "
            f"shape {a.shape}"
        )
    xp = array_module(a)
    gamma = weight.data if weight is not None else xp.ones(c, a.dtype)
    beta = bias.data if bias is not None else xp.zeros(c, a.dtype)
    a = contiguous(a)
    y = xp.empty_like(a)
    mean, var = xp.empty(c), xp.empty(c)
    k = kernels_for(a)
    k.batchnorm_forward(a, gamma, beta, eps, y, mean, var)
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * var * (n / (n - 1))

    def backward(g):
        dx = xp.empty_like(a)
        dgamma, dbeta = xp.empty(c, a.dtype), xp.empty(c, a.dtype)
        k.batchnorm_backward(contiguous(g), a, gamma, mean, var, eps, dx, dgamma, dbeta)
        return dx, (dgamma if weight is not None else None), (dbeta if bias is not None else None)

    parents = (x, weight if weight is not None else x, bias if bias is not None else x)
    return op("batch_norm", y, parents, backward)


LOSSES = {
    "cross_entropy": cross_entropy,
    "mse": mse_loss,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
}
"""The losses a `Trainer` accepts by name."""
