"""Losses as functions of tensors, PyTorch's torch.nn.functional losses with their arguments.

The losses are fused: one forward computation and one closed-form backward, instead of a chain of
small ops, which is both faster and numerically safer (log-softmax with the maximum subtracted).
`reduction` is "mean", "sum" or "none"; `size_average` and `reduce` are PyTorch's deprecated
spellings of it, accepted with PyTorch's warning. A "mean" over nothing (every label ignored, or
all weights 0) is NaN, as in PyTorch.

Deliberate difference: PyTorch broadcasts a target of another shape than the prediction in the
regression losses (with a warning that the result is likely wrong); tinyreg raises a ValueError.
"""

from __future__ import annotations

import warnings
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


def resolve_reduction(owner: str, size_average: bool | None, reduce: bool | None,
                      reduction: str) -> str:  # fmt: skip
    """`reduction`, or PyTorch's legacy rule when size_average or reduce is given (reduce=False:
    "none"; else size_average=False: "sum"; else "mean"), with PyTorch's warning."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else check.boolean(owner, "size_average",
                                                                        size_average)  # fmt: skip
        reduce = True if reduce is None else check.boolean(owner, "reduce", reduce)
        reduction = "none" if not reduce else "mean" if size_average else "sum"
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)  # fmt: skip
    check.choice(owner, "reduction", reduction, _REDUCTIONS)
    return reduction


def _target(owner: str, target: Any, like: np.ndarray, name: str = "target") -> Any:
    """A real-valued array on the prediction's device, in its dtype."""
    data = target.data if isinstance(target, Tensor) else target
    if not on_gpu(data):
        data = np.asarray(data)
        if data.dtype.kind not in "biuf":
            raise TypeError(f"{owner}: {name} must hold real numbers, got dtype {data.dtype}")
    return array_module(like).asarray(data, like.dtype)


def _same_shape(owner: str, prediction: Tensor, target: Any) -> Any:
    t = _target(owner, target, prediction.data)
    if t.shape != prediction.shape:
        raise ValueError(f"{owner}: prediction shape {prediction.shape} and target shape "
                         f"{t.shape} differ")  # fmt: skip
    return t


def _broadcast_weight(owner: str, name: str, weight: Any, like: np.ndarray,
                      exact: bool = False) -> Any:  # fmt: skip
    """A weight array that broadcasts to `like`'s shape (of exactly that shape with `exact`,
    PyTorch's rule for mse, l1 and huber), or None."""
    if weight is None:
        return None
    w = _target(owner, weight, like, name)
    fits = w.shape == like.shape if exact else _broadcasts(w.shape, like.shape)
    if not fits:
        expected = "the input's shape" if exact else "a shape that broadcasts to the input's"
        raise ValueError(f"{owner}: {name} must have {expected} {like.shape}, got shape "
                         f"{w.shape}")  # fmt: skip
    return w


def _broadcasts(shape: tuple, to: tuple) -> bool:
    try:
        return np.broadcast_shapes(shape, to) == to
    except ValueError:
        return False


def _loss(name: str, losses: Any, vjp: Any, inputs: tuple, reduction: str, count: Any,
          shape: tuple | None = None) -> Tensor:  # fmt: skip
    """The loss op for per-sample (or per-element) `losses`: reduction "none" keeps them
    (reshaped to `shape` if given), "sum" adds them, "mean" divides the sum by `count` (NaN for
    a count of 0). vjp(w) is the gradient, with respect to the first input, of sum(w * losses)
    for a weight w broadcastable to `losses`."""
    if reduction == "none":
        out = op(name, losses, inputs, lambda g: (vjp(g),))
        return out if shape is None or out.shape == shape else out.reshape(shape)
    scale = (1.0 / count if count else float("nan")) if reduction == "mean" else 1.0
    value = scalar_array(losses.sum() * scale, losses.dtype)
    return op(name, value, inputs, lambda g: (vjp(g * scale),))


def _per_sample(w: Any) -> Any:
    """A per-sample weight as a column, so it scales the rows of an (N, C) gradient."""
    return w[:, None] if np.ndim(w) == 1 else w


def _classes_last(owner: str, x: Tensor, target: Any,
                  probabilities: bool = True) -> tuple[Tensor, Any, tuple]:  # fmt: skip
    """PyTorch's layouts as rows of classes: input (C,), (N, C) or (N, C, d1, ..., dk) becomes
    (M, C) (an op, so gradients flow back), the target the matching (M,) class indices or, when
    it has the input's shape, (M, C) class probabilities. Also returns the shape of the
    per-sample losses: (), (N,) or (N, d1, ..., dk)."""
    a = x.data
    xp = array_module(a)
    t = xp.asarray(target.data if isinstance(target, Tensor) else target)
    if a.ndim == 0:
        raise ValueError(f"{owner}: input must be (C,), (N, C) or (N, C, d1, ...), got a scalar")
    shape = a.shape[:1] + a.shape[2:] if a.ndim > 1 else ()
    soft = probabilities and t.shape == a.shape
    if soft and t.dtype.kind != "f":
        raise ValueError(f"{owner}: a target of the input's shape {a.shape} holds class "
                         f"probabilities, which must be floats, got dtype {t.dtype}")  # fmt: skip
    if not soft and (t.shape != shape or t.dtype.kind not in "iu"):
        also = f" (or class probabilities of shape {a.shape})" if probabilities else ""
        raise ValueError(f"{owner}: labels must be integer class indices of shape {shape}{also}, "
                         f"got dtype {t.dtype} and shape {t.shape}")  # fmt: skip
    classes = a.shape[0] if a.ndim == 1 else a.shape[1]
    if a.ndim == 1:
        x = x.reshape(1, classes)
    elif a.ndim > 2:
        x = x.permute(0, *range(2, a.ndim), 1).reshape(-1, classes)
        t = xp.moveaxis(t, 1, -1) if soft else t
    return x, t.reshape((-1, classes) if soft else (-1,)), shape


def _labels(owner: str, y: Any, classes: int, ignore_index: int) -> tuple[Any, Any]:
    """(labels with ignored entries set to 0, the bool mask of ignored entries or None), after
    checking the others lie in [0, classes)."""
    ignored = y == ignore_index
    if not bool(ignored.any()):
        ignored = None
    valid = y if ignored is None else y[~ignored]
    low, high = (int(valid.min()), int(valid.max())) if valid.size else (0, 0)
    if low < 0 or high >= classes:
        raise ValueError(f"{owner}: labels must lie in [0, {classes}) or equal ignore_index="
                         f"{ignore_index}, got values in [{low}, {high}]")  # fmt: skip
    return (y if ignored is None else array_module(y).where(ignored, 0, y)), ignored


def _class_weight(owner: str, weight: Any, like: np.ndarray) -> Any:
    if weight is None:
        return None
    w = _target(owner, weight, like, "weight")
    if w.shape != (like.shape[1],):
        raise ValueError(f"{owner}: weight must have one entry per class ({like.shape[1]},), "
                         f"got shape {w.shape}")  # fmt: skip
    return w


def cross_entropy(input: Tensor, target: Any, weight: Any = None, size_average: bool | None = None,
                  ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:  # fmt: skip
    """Cross-entropy of logits (C,), (N, C) or (N, C, d1, ...) with PyTorch's semantics.

    With class indices y: loss_i = -(1 - e) w[y_i] logp[i, y_i] - (e / C) sum_c w[c] logp[i, c],
    0 where y_i = ignore_index, and "mean" divides the sum by sum_i w[y_i] over the samples not
    ignored (their count without `weight`); with class probabilities t (the input's shape):
    loss_i = -sum_c w[c] ((1 - e) t_ic + e / C) logp[i, c], "mean" divides by N. Here
    logp = log softmax(logits) = z - max(z) - log(sum(exp(z - max(z)))) (finite for any logits),
    e = label_smoothing, w = weight (1 by default). The gradient is softmax(z) * sum_c coef_ic -
    coef for loss_i = -sum_c coef_ic logp_ic. reduction "none" keeps the shape (N, d1, ...).
    """
    owner = "cross_entropy"
    reduction = resolve_reduction(owner, size_average, reduce, reduction)
    label_smoothing = check.number(owner, "label_smoothing", label_smoothing, 0.0, 1.0)
    ignore_index = check.integer(owner, "ignore_index", ignore_index)
    logits, target, shape = _classes_last(owner, as_tensor(input), target)
    z = logits.data
    xp = array_module(z)
    classes = z.shape[1]
    shifted = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    w = _class_weight(owner, weight, z)
    if target.ndim == 1:
        y, ignored = _labels(owner, target, classes, ignore_index)
        rows = xp.arange(len(y))
        if w is None and label_smoothing == 0.0:  # the common case, without an (N, C) coef
            losses = log_norm[:, 0] - shifted[rows, y]
            if ignored is not None:
                losses[ignored] = 0

            def vjp(g):
                grad = np.exp(shifted - log_norm)
                grad[rows, y] -= 1
                if ignored is not None:
                    grad[ignored] = 0
                return grad * _per_sample(g)

            count = len(y) - (0 if ignored is None else int(ignored.sum()))
            return _loss(owner, losses, vjp, (logits,), reduction, count, shape)
        coef = xp.zeros_like(z)
        coef[rows, y] = 1.0 - label_smoothing
        coef += label_smoothing / classes
        picked = xp.ones(len(y), z.dtype) if w is None else w[y]
        if w is not None:
            coef *= w
        if ignored is not None:
            coef[ignored] = 0
            picked = xp.where(ignored, 0, picked)
        count = float(picked.sum())
    else:
        t = _target(owner, target, z)
        coef = t * (1.0 - label_smoothing) + label_smoothing / classes
        if w is not None:
            coef = coef * w
        count = len(t)
    logp = shifted - log_norm
    losses = -(coef * logp).sum(axis=1)
    total = coef.sum(axis=1, keepdims=True)

    def vjp(g):
        return (np.exp(logp) * total - coef) * _per_sample(g)

    return _loss(owner, losses, vjp, (logits,), reduction, count, shape)


def nll_loss(input: Tensor, target: Any, weight: Any = None, size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None,
             reduction: str = "mean") -> Tensor:  # fmt: skip
    """Negative log-likelihood of log-probabilities (C,), (N, C) or (N, C, d1, ...), PyTorch's
    nll_loss: loss_i = -w[y_i] * input[i, y_i], 0 where y_i = ignore_index; "mean" divides the
    sum by sum_i w[y_i] over the samples not ignored (their count without weight)."""
    owner = "nll_loss"
    reduction = resolve_reduction(owner, size_average, reduce, reduction)
    ignore_index = check.integer(owner, "ignore_index", ignore_index)
    x, target, shape = _classes_last(owner, as_tensor(input), target, probabilities=False)
    a = x.data
    y, ignored = _labels(owner, target, a.shape[1], ignore_index)
    w = _class_weight(owner, weight, a)
    xp = array_module(a)
    rows = xp.arange(len(y))
    picked = w[y] if w is not None else xp.ones(len(y), a.dtype)
    if ignored is not None:
        picked = xp.where(ignored, 0, picked).astype(a.dtype)
    losses = -a[rows, y] * picked

    def vjp(g):
        grad = xp.zeros_like(a)
        grad[rows, y] = -picked * g
        return grad

    count = float(picked.sum()) if w is not None or ignored is not None else len(y)
    return _loss(owner, losses, vjp, (x,), reduction, count, shape)


def _pointwise(owner: str, input: Tensor, target: Any, parts: Any, weight: Any,
               reduction: str, weighted_mean: bool) -> Tensor:  # fmt: skip
    """A loss of d = input - target per element: parts(d) gives (losses, slope = dloss/dd);
    `weight` (the input's shape) scales both; the weighted "mean" divides by sum(weight)
    (mse, l1) or by the element count (huber), PyTorch's rules."""
    prediction = as_tensor(input)
    d = prediction.data - _same_shape(owner, prediction, target)
    losses, slope = parts(d)
    w = _broadcast_weight(owner, "weight", weight, d, exact=True)
    count = d.size
    if w is not None:
        losses, slope = losses * w, slope * w
        count = float(w.sum()) if weighted_mean else count
    return _loss(owner, losses, lambda g: slope * g, (prediction,), reduction, count)


def mse_loss(input: Tensor, target: Any, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Any = None) -> Tensor:  # fmt: skip
    """(input - target)^2 per element (times `weight`), averaged ("mean": over the elements, or
    divided by sum(weight)), summed or kept ("none"); gradient 2 (input - target) weight."""
    reduction = resolve_reduction("mse_loss", size_average, reduce, reduction)
    return _pointwise("mse_loss", input, target, lambda d: (d * d, 2 * d), weight, reduction, True)


def l1_loss(input: Tensor, target: Any, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Any = None) -> Tensor:  # fmt: skip
    """|input - target| per element (times `weight`), PyTorch's l1_loss ("mean" divides by
    sum(weight) when given); gradient sign(input - target) with sign(0) = 0."""
    reduction = resolve_reduction("l1_loss", size_average, reduce, reduction)
    return _pointwise("l1_loss", input, target, lambda d: (np.abs(d), np.sign(d)), weight,
                      reduction, True)  # fmt: skip


def _huber_parts(d: Any, delta: float) -> tuple[Any, Any]:
    """(loss, slope) of the Huber function: 0.5 d^2 where |d| < delta, else
    delta (|d| - 0.5 delta); slope d, or delta * sign(d) in the linear part."""
    small = np.abs(d) < delta
    losses = np.where(small, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta)).astype(d.dtype)
    return losses, np.where(small, d, delta * np.sign(d)).astype(d.dtype)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0,
               weight: Any = None) -> Tensor:  # fmt: skip
    """PyTorch's huber_loss: with d = input - target, 0.5 d^2 where |d| < delta, else
    delta (|d| - 0.5 delta), times `weight` if given ("mean" divides by the element count,
    weighted or not, as PyTorch does); gradient d, or delta * sign(d) in the linear part."""
    check.choice("huber_loss", "reduction", reduction, _REDUCTIONS)
    delta = check.finite("huber_loss", "delta", delta, low=0.0, low_open=True)
    return _pointwise("huber_loss", input, target, lambda d: _huber_parts(d, delta), weight,
                      reduction, False)  # fmt: skip


def smooth_l1_loss(input: Tensor, target: Any, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:  # fmt: skip
    """PyTorch's smooth_l1_loss: with d = input - target, 0.5 d^2 / beta where |d| < beta, else
    |d| - 0.5 beta (= huber_loss with delta=beta, divided by beta; beta=0 is l1_loss);
    gradient d / beta, or sign(d) in the linear part."""
    reduction = resolve_reduction("smooth_l1_loss", size_average, reduce, reduction)
    beta = check.finite("smooth_l1_loss", "beta", beta, low=0.0)

    def parts(d):
        if beta == 0.0:
            return np.abs(d), np.sign(d)
        losses, slope = _huber_parts(d, beta)
        return losses / d.dtype.type(beta), slope / d.dtype.type(beta)

    return _pointwise("smooth_l1_loss", input, target, parts, None, reduction, False)


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:  # fmt: skip
    """PyTorch's binary_cross_entropy on probabilities p in [0, 1]:
    -w [t log p + (1 - t) log(1 - p)], each log clamped at -100 as PyTorch does; gradient
    w (p - t) / max(p (1 - p), 1e-12); `weight` broadcasts to the input. Prefer
    `binary_cross_entropy_with_logits`, which is stable for any logit."""
    owner = "binary_cross_entropy"
    reduction = resolve_reduction(owner, size_average, reduce, reduction)
    x = as_tensor(input)
    p = x.data
    t = _same_shape(owner, x, target)
    if p.size and not bool(((p >= 0) & (p <= 1)).all()):
        raise ValueError(f"{owner}: input must hold probabilities in [0, 1], got values in "
                         f"[{float(p.min()):g}, {float(p.max()):g}]")  # fmt: skip
    w = _broadcast_weight(owner, "weight", weight, p)
    w = 1.0 if w is None else w
    with np.errstate(divide="ignore"):
        log_p, log_q = np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)
    losses = (-(t * log_p + (1 - t) * log_q) * w).astype(p.dtype)
    slope = (w * (p - t) / np.maximum(p * (1 - p), 1e-12)).astype(p.dtype)
    return _loss(owner, losses, lambda g: slope * g, (x,), reduction, p.size)


def binary_cross_entropy_with_logits(
    input: Tensor, target: Any, weight: Any = None, size_average: bool | None = None,
    reduce: bool | None = None, reduction: str = "mean", pos_weight: Any = None,
) -> Tensor:  # fmt: skip
    """-w [pw t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))]
    = w [(1 - t) softplus(x) + pw t softplus(-x)], softplus(x) = max(x, 0) + log(1 + exp(-|x|)),
    which never overflows; w = weight and pw = pos_weight (1 by default; both broadcast to the
    input, pos_weight typically one entry per class). The gradient is
    w [(1 - t) sigmoid(x) - pw t (1 - sigmoid(x))], sigmoid(x) - t without weights."""
    owner = "binary_cross_entropy_with_logits"
    reduction = resolve_reduction(owner, size_average, reduce, reduction)
    logits = as_tensor(input)
    x = logits.data
    t = _same_shape(owner, logits, target)
    w = _broadcast_weight(owner, "weight", weight, x)
    pw = _broadcast_weight(owner, "pos_weight", pos_weight, x)
    e = np.exp(-np.abs(x))
    softplus = np.maximum(x, 0) + np.log1p(e)  # -log(1 - sigmoid(x)); softplus(-x) = it - x
    probability = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    if pw is None:
        losses, slope = softplus - x * t, probability - t
    else:
        losses = (1 - t) * softplus + pw * t * (softplus - x)
        slope = (1 - t) * probability - pw * t * (1 - probability)
    if w is not None:
        losses, slope = losses * w, slope * w
    return _loss(owner, losses.astype(x.dtype), lambda g: slope.astype(x.dtype) * g, (logits,),
                 reduction, x.size)  # fmt: skip


LOSSES = {
    "cross_entropy": cross_entropy,
    "mse": mse_loss,
    "l1": l1_loss,
    "huber": huber_loss,
    "smooth_l1": smooth_l1_loss,
    "nll": nll_loss,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
}
"""The losses a `Trainer` accepts by name."""
