"""Losses as functions of tensors.

The losses are fused: one forward computation and one closed-form backward, instead of a chain of
small ops, which is both faster and numerically safer (log-softmax with the maximum subtracted).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import validate as check
from ..._tensor import Tensor, as_tensor
from ...autograd.function import op
from ...device import (
    array_module,
    on_gpu,
)
from ...ops._args import scalar_array

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str) -> None:
    check.choice("loss", "reduction", reduction, _REDUCTIONS)


def _target(owner: str, target: Any, like: np.ndarray) -> Any:
    """A real-valued target array on the prediction's device, in its dtype."""
    data = target.data if isinstance(target, Tensor) else target
    if not on_gpu(data):
        data = np.asarray(data)
        if data.dtype.kind not in "biuf":
            raise TypeError(f"{owner}: target must hold real numbers, got dtype {data.dtype}")
    return array_module(like).asarray(data, like.dtype)


def _same_shape(owner: str, prediction: Tensor, target: Any) -> Any:
    t = _target(owner, target, prediction.data)
    if t.shape != prediction.shape:
        raise ValueError(f"{owner}: prediction shape {prediction.shape} and target shape "
                         f"{t.shape} differ")  # fmt: skip
    return t


def _loss(name: str, losses: Any, vjp: Any, inputs: tuple, reduction: str, count: Any) -> Tensor:
    """The loss op for per-sample (or per-element) `losses`: reduction "none" keeps them, "sum"
    adds them, "mean" divides the sum by `count`. vjp(w) is the gradient, with respect to the
    first input, of sum(w * losses) for a weight w broadcastable to `losses`."""
    if reduction == "none":
        return op(name, losses, inputs, lambda g: (vjp(g),))
    scale = 1.0 / count if reduction == "mean" and count else 1.0
    value = scalar_array(losses.sum() * scale, losses.dtype)
    return op(name, value, inputs, lambda g: (vjp(g * scale),))


def _per_sample(w: Any) -> Any:
    """A per-sample weight as a column, so it scales the rows of an (N, C) gradient."""
    return w[:, None] if np.ndim(w) == 1 else w


def _labels(owner: str, labels: Any, logits: np.ndarray) -> np.ndarray:
    """Integer class indices, checked against the logits and moved to their device."""
    y = array_module(logits).asarray(labels.data if isinstance(labels, Tensor) else labels)
    if logits.ndim != 2:
        raise ValueError(f"{owner}: logits must be (N, C), got shape {logits.shape}")
    if y.shape != (logits.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError(
            f"{owner}: labels must be integer class indices of shape ({logits.shape[0]},) "
            f"(or class probabilities of shape {logits.shape}), got dtype {y.dtype} and "
            f"shape {y.shape}"
        )
    low, high = (int(y.min()), int(y.max())) if y.size else (0, 0)
    if low < 0 or high >= logits.shape[1]:
        raise ValueError(
            f"{owner}: labels must lie in [0, {logits.shape[1]}), got values in [{low}, {high}]"
        )
    return y


def _class_weight(owner: str, weight: Any, like: np.ndarray) -> Any:
    if weight is None:
        return None
    w = _target(owner, weight, like)
    if w.shape != (like.shape[1],):
        raise ValueError(f"{owner}: weight must have one entry per class ({like.shape[1]},), "
                         f"got shape {w.shape}")  # fmt: skip
    return w


def cross_entropy(logits: Tensor, labels: Any, weight: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:  # fmt: skip
    """Cross-entropy of (N, C) logits with PyTorch's semantics.

    With class indices y: loss_i = -(1 - e) w[y_i] logp[i, y_i] - (e / C) sum_c w[c] logp[i, c],
    and "mean" divides the sum by sum_i w[y_i] (by N without `weight`); with class probabilities
    t (N, C): loss_i = -sum_c w[c] ((1 - e) t_ic + e / C) logp[i, c], "mean" divides by N. Here
    logp = log softmax(logits) = z - max(z) - log(sum(exp(z - max(z)))) (finite for any logits),
    e = label_smoothing, w = weight (1 by default). The gradient is softmax(z) * sum_c coef_ic -
    coef for loss_i = -sum_c coef_ic logp_ic. reduction: "mean", "sum" or "none" (per sample).
    """
    owner = "cross_entropy"
    _check_reduction(reduction)
    label_smoothing = check.number(owner, "label_smoothing", label_smoothing, 0.0, 1.0)
    logits = as_tensor(logits)
    z = logits.data
    xp = array_module(z)
    shifted = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    w = _class_weight(owner, weight, z)
    raw = labels.data if isinstance(labels, Tensor) else labels
    soft = np.ndim(raw) == 2
    if not soft:
        y = _labels(owner, labels, z)
        rows = xp.arange(len(y))
        if w is None and label_smoothing == 0.0:  # the common case, without an (N, C) coef
            losses = log_norm[:, 0] - shifted[rows, y]

            def vjp(g):
                grad = np.exp(shifted - log_norm)
                grad[rows, y] -= 1
                return grad * _per_sample(g)

            return _loss(owner, losses, vjp, (logits,), reduction, len(y))
        classes = z.shape[1]
        coef = xp.zeros_like(z)
        coef[rows, y] = 1.0 - label_smoothing
        coef += label_smoothing / classes
        count = len(y)
        if w is not None:
            coef *= w
            count = float(w[y].sum())
    else:
        t = _target(owner, labels, z)
        if t.shape != z.shape:
            raise ValueError(f"{owner}: class probabilities must have the logits' shape "
                             f"{z.shape}, got {t.shape}")  # fmt: skip
        coef = t * (1.0 - label_smoothing) + label_smoothing / z.shape[1]
        if w is not None:
            coef = coef * w
        count = len(t)
    logp = shifted - log_norm
    losses = -(coef * logp).sum(axis=1)
    total = coef.sum(axis=1, keepdims=True)

    def vjp(g):
        return (np.exp(logp) * total - coef) * _per_sample(g)

    return _loss(owner, losses, vjp, (logits,), reduction, count)


def nll_loss(log_probabilities: Tensor, labels: Any, weight: Any = None,
             reduction: str = "mean") -> Tensor:  # fmt: skip
    """Negative log-likelihood of (N, C) log-probabilities, PyTorch's nll_loss:
    loss_i = -w[y_i] * input[i, y_i]; "mean" divides the sum by sum_i w[y_i] (N without weight).
    """
    owner = "nll_loss"
    _check_reduction(reduction)
    x = as_tensor(log_probabilities)
    y = _labels(owner, labels, x.data)
    w = _class_weight(owner, weight, x.data)
    xp = array_module(x.data)
    rows = xp.arange(len(y))
    picked_weight = w[y] if w is not None else xp.ones(len(y), x.dtype)
    losses = -x.data[rows, y] * picked_weight

    def vjp(g):
        grad = xp.zeros_like(x.data)
        grad[rows, y] = -picked_weight * g
        return grad

    count = float(picked_weight.sum()) if w is not None else len(y)
    return _loss(owner, losses, vjp, (x,), reduction, count)


def mse_loss(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """(prediction - target)^2 per element, averaged ("mean"), summed or kept ("none");
    gradient 2 (prediction - target) (/ N for the mean)."""
    _check_reduction(reduction)
    prediction = as_tensor(prediction)
    diff = prediction.data - _same_shape("mse_loss", prediction, target)
    return _loss("mse_loss", diff * diff, lambda g: 2 * diff * g, (prediction,), reduction,
                 diff.size)  # fmt: skip


def l1_loss(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """|prediction - target| per element, PyTorch's l1_loss; gradient sign(prediction - target)
    with sign(0) = 0."""
    _check_reduction(reduction)
    prediction = as_tensor(prediction)
    diff = prediction.data - _same_shape("l1_loss", prediction, target)
    return _loss("l1_loss", np.abs(diff), lambda g: np.sign(diff) * g, (prediction,), reduction,
                 diff.size)  # fmt: skip


def huber_loss(prediction: Tensor, target: Any, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:  # fmt: skip
    """PyTorch's huber_loss: with d = prediction - target, 0.5 d^2 where |d| < delta, else
    delta (|d| - 0.5 delta); gradient d, or delta * sign(d) in the linear part."""
    _check_reduction(reduction)
    delta = check.finite("huber_loss", "delta", delta, low=0.0, low_open=True)
    prediction = as_tensor(prediction)
    d = prediction.data - _same_shape("huber_loss", prediction, target)
    small = np.abs(d) < delta
    losses = np.where(small, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta)).astype(d.dtype)
    slope = np.where(small, d, delta * np.sign(d)).astype(d.dtype)
    return _loss("huber_loss", losses, lambda g: slope * g, (prediction,), reduction, d.size)


def binary_cross_entropy(probabilities: Tensor, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Tensor:  # fmt: skip
    """PyTorch's binary_cross_entropy on probabilities p: -w [t log p + (1 - t) log(1 - p)], each
    log clamped at -100 as PyTorch does; gradient w (p - t) / max(p (1 - p), 1e-12). Prefer
    `binary_cross_entropy_with_logits`, which is stable for any logit."""
    owner = "binary_cross_entropy"
    _check_reduction(reduction)
    x = as_tensor(probabilities)
    p = x.data
    t = _same_shape(owner, x, target)
    w = 1.0 if weight is None else _target(owner, weight, p)
    with np.errstate(divide="ignore"):
        log_p, log_q = np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)
    losses = (-(t * log_p + (1 - t) * log_q) * w).astype(p.dtype)
    slope = (w * (p - t) / np.maximum(p * (1 - p), 1e-12)).astype(p.dtype)
    return _loss(owner, losses, lambda g: slope * g, (x,), reduction, p.size)


def binary_cross_entropy_with_logits(
    logits: Tensor, target: Any, reduction: str = "mean"
) -> Tensor:
    """-[t log sigmoid(x) + (1-t) log(1 - sigmoid(x))] = max(x, 0) - x t + log(1 + exp(-|x|)).

    The right-hand form never overflows; the gradient is sigmoid(x) - t.
    """
    _check_reduction(reduction)
    logits = as_tensor(logits)
    x = logits.data
    t = _same_shape("binary_cross_entropy_with_logits", logits, target)
    losses = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))

    def vjp(g):
        e = np.exp(-np.abs(x))
        probability = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return (probability - t) * g

    return _loss("binary_cross_entropy_with_logits", losses, vjp, (logits,), reduction, x.size)


LOSSES = {
    "cross_entropy": cross_entropy,
    "mse": mse_loss,
    "l1": l1_loss,
    "huber": huber_loss,
    "nll": nll_loss,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
}
"""The losses a `Trainer` accepts by name."""
