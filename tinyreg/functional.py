"""Activations and losses as functions of tensors.

The losses are fused: one forward computation and one closed-form backward, instead of a chain of
small ops, which is both faster and numerically safer (log-softmax with the maximum subtracted).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import random as _random
from . import validate as check
from .device import array_module, contiguous, kernels_for, on_gpu
from .tensor import Tensor, as_tensor, op, scalar_array

_REDUCTIONS = ("mean", "sum", "none")


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


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope * x (PyTorch's leaky_relu); gradient 1 or the slope."""
    slope = check.finite("leaky_relu", "negative_slope", negative_slope)
    x = as_tensor(x)
    positive = x.data > 0
    factor = np.where(positive, 1.0, slope).astype(x.dtype)
    return op("leaky_relu", x.data * factor, (x,), lambda g: (g * factor,))


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1) (PyTorch's elu); gradient 1 or alpha * exp(x)."""
    alpha = check.finite("elu", "alpha", alpha)
    x = as_tensor(x)
    a = x.data
    negative = alpha * np.expm1(np.minimum(a, 0))
    out = np.where(a > 0, a, negative).astype(a.dtype)
    slope = np.where(a > 0, 1.0, negative + alpha).astype(a.dtype)
    return op("elu", out, (x,), lambda g: (g * slope,))


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's softplus);
    gradient sigmoid(beta x) (1 in the linear part)."""
    beta = check.finite("softplus", "beta", beta, low=0.0, low_open=True)
    threshold = check.finite("softplus", "threshold", threshold)
    x = as_tensor(x)
    a = x.data
    z = beta * a
    linear = z > threshold
    out = np.where(linear, a, np.logaddexp(0, z) / beta).astype(a.dtype)
    slope = np.where(linear, 1.0, 1 / (1 + np.exp(-np.clip(z, -700, 700)))).astype(a.dtype)
    return op("softplus", out, (x,), lambda g: (g * slope,))


def silu(x: Tensor) -> Tensor:
    """x * sigmoid(x) (SiLU, also called swish); gradient s + x s (1 - s) with s = sigmoid(x)."""
    x = as_tensor(x)
    a = x.data
    s = (1 / (1 + np.exp(-np.clip(a, -700, 700)))).astype(a.dtype)
    return op("silu", a * s, (x,), lambda g: (g * (s + a * s * (1 - s)),))


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2 (PyTorch's gelu);
    approximate="tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). The gradient is
    Phi(x) + x phi(x) (exact), or the derivative of the tanh form."""
    check.choice("gelu", "approximate", approximate, ("none", "tanh"))
    x = as_tensor(x)
    a = x.data.astype(np.float64)
    if approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        inner = k * (a + 0.044715 * a**3)
        t = np.tanh(inner)
        out = 0.5 * a * (1 + t)
        slope = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * k * (1 + 3 * 0.044715 * a * a)
    else:
        erf = _erf(x.data)
        cdf = 0.5 * (1 + erf(a / math.sqrt(2)))
        out = a * cdf
        slope = cdf + a * np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
    dtype = x.dtype
    slope = slope.astype(dtype)
    return op("gelu", out.astype(dtype), (x,), lambda g: (g * slope,))


def _erf(array: Any) -> Any:
    """The error function for this array's device (SciPy's, a scikit-learn dependency; CuPy's
    on the GPU)."""
    if on_gpu(array):
        from cupyx.scipy.special import erf
    else:
        from scipy.special import erf
    return erf


def _normal(x: Tensor) -> Any:
    """Standard normal numbers shaped like x, from the counter-based stream of this call."""
    z = array_module(x.data).empty(x.shape, x.dtype)
    kernels_for(z).normal_fill(z, _random.next_key())
    return z


def gaussian_noise(x: Tensor, stddev: float, training: bool = True) -> Tensor:
    """y = x + stddev * z with z ~ N(0, 1) per element while training (Keras's GaussianNoise);
    identity otherwise. The noise is counter-based like dropout masks."""
    stddev = check.finite("gaussian_noise", "stddev", stddev, low=0.0)
    x = as_tensor(x)
    if not check.boolean("gaussian_noise", "training", training) or stddev == 0:
        return x
    return x + _normal(x) * x.dtype.type(stddev)


def gaussian_dropout(x: Tensor, rate: float, training: bool = True) -> Tensor:
    """y = x * m with m ~ N(1, rate / (1 - rate)) per element while training (Keras's
    GaussianDropout: multiplicative noise with the variance of dropout at `rate`); identity
    otherwise. rate must lie in [0, 1)."""
    rate = check.number("gaussian_dropout", "rate", rate, 0.0, 1.0, high_open=True)
    x = as_tensor(x)
    if not check.boolean("gaussian_dropout", "training", training) or rate == 0:
        return x
    stddev = math.sqrt(rate / (1 - rate))
    return x * (1 + _normal(x) * x.dtype.type(stddev))


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


def unit_groups(array: Any) -> tuple[Any, bool]:
    """(2-D view, columns) of a weight, grouped by the unit each weight feeds: a Dense weight
    (in, out) by column (one group per output unit), a Conv2d weight (out, in, kh, kw) by row of
    its (out, in * kh * kw) view (one group per filter), a vector as one group."""
    if array.ndim == 2:
        return array, True
    if array.ndim == 1:
        return array.reshape(1, -1), False
    return array.reshape(array.shape[0], -1), False


def group_norms(view: Any, columns: bool) -> tuple[Any, int]:
    """(float64 norm of each group, group size) of a 2-D `unit_groups` view, in one kernel pass."""
    norms = array_module(view).empty(view.shape[1] if columns else view.shape[0], np.float64)
    kernels_for(view).group_norms(view, columns, norms)
    return norms, view.shape[0] if columns else view.shape[1]


def group_lasso(params: list[Tensor], lam: float) -> Tensor:
    """lam * sum over groups g of sqrt(|g|) * ||w_g||_2 (Yuan & Lin, 2006), a group being all the
    weights into one unit (`unit_groups`). The gradient, added into each `.grad` by one kernel
    pass, is lam * sqrt(|g|) * w_g / ||w_g||, and 0 for a group that is exactly 0 (the
    subgradient PyTorch's autograd would give for a norm at 0)."""
    pieces = []
    for p in params:
        view, columns = unit_groups(contiguous(p.data))
        norms, size = group_norms(view, columns)
        pieces.append((p, view, columns, norms, math.sqrt(size)))
    value = sum(lam * root * float(norms.sum()) for _, _, _, norms, root in pieces)

    def backward(g):
        scale = float(g)
        for p, view, columns, norms, root in pieces:
            xp = array_module(norms)
            factors = xp.where(norms > 0, scale * lam * root / xp.where(norms > 0, norms, 1), 0)
            grad, _ = unit_groups(p.writable_grad())
            kernels_for(view).group_add_scaled(view, grad, columns, factors)
        return (None,) * len(params)

    return op("group_lasso", scalar_array(value, params[0].dtype), tuple(params), backward,
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
    k = kernels_for(a)
    k.dropout_forward(a, y, mask, p, _random.next_key())

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
    """Batch normalization of (N, C) input over its rows (PyTorch's BatchNorm1d semantics), of
    (N, C, L) input per channel over (N, L) (BatchNorm1d on sequences), or of (N, C, H, W) input
    per channel over (N, H, W) (BatchNorm2d: the same kernels on the input seen as (N, C, H*W),
    no copy).

    training: xhat = (x - mean_B) / sqrt(var_B + eps) with the biased batch variance, and
        running = (1 - momentum) * running + momentum * batch with the *unbiased* variance;
    eval: xhat = (x - running_mean) / sqrt(running_var + eps).
    Then y = weight * xhat + bias. One fused kernel computes the statistics and y; one computes
    dx, dweight and dbias.
    """
    x = as_tensor(x)
    a = x.data
    if a.ndim == 4:
        n, c, h, w = a.shape
        planes = (x if a.flags.c_contiguous else x.contiguous()).reshape(n, c, h * w)
        y = batch_norm(planes, running_mean, running_var, weight, bias, training, momentum, eps)
        return y.reshape(n, c, h, w)
    if a.ndim not in (2, 3):
        raise ValueError(f"batch_norm: input must be (N, C), (N, C, L) or (N, C, H, W), got shape "
                         f"{a.shape}")  # fmt: skip
    c = a.shape[1]
    count = a.size // c if c else 0  # values per channel
    column = (c,) if a.ndim == 2 else (c, 1)  # broadcasts per-channel values against x
    if not training:  # a few plain ops: autograd gives the gradient of the affine map
        invstd = (1.0 / np.sqrt(running_var.astype(np.float64) + eps)).astype(a.dtype)
        xhat = (x - running_mean.astype(a.dtype).reshape(column)) * invstd.reshape(column)
        if weight is None:
            return xhat
        return xhat * weight.reshape(column) + bias.reshape(column)
    if count < 2:
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
        running_var += momentum * var * (count / (count - 1))

    def backward(g):
        dx = xp.empty_like(a)
        dgamma, dbeta = xp.empty(c, a.dtype), xp.empty(c, a.dtype)
        k.batchnorm_backward(contiguous(g), a, gamma, mean, var, eps, dx, dgamma, dbeta)
        return dx, (dgamma if weight is not None else None), (dbeta if bias is not None else None)

    parents = (x, weight if weight is not None else x, bias if bias is not None else x)
    return op("batch_norm", y, parents, backward)


# --------------------------------------------------------------------------- images
def _pair(owner: str, name: str, value: Any, low: int) -> tuple[int, int]:
    """An int or a pair of ints, each >= low, as a pair."""
    pair = check.pair(owner, name, value, kind="int")
    if min(pair) < low:
        raise check.fail(owner, name, f"an int >= {low} or a pair of them", value)
    return pair


def _images(owner: str, x: Tensor) -> Tensor:
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"{owner}: input must be (N, C, H, W), got shape {x.shape}")
    return x


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1) -> Tensor:  # fmt: skip
    """2-D cross-correlation, PyTorch's conv2d: x (N, C, H, W), weight (O, C, kh, kw), output
    (N, O, OH, OW) with OH = (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1.

        out[n, o, oy, ox] = bias[o] + sum_{c,i,j} weight[o, c, i, j]
                            * x[n, c, oy * stride - padding + i * dilation, ox * ... + j * dilation]

    stride, padding, dilation: an int or a pair; padding="same" (stride 1) pads so OH = H,
    splitting an odd total as PyTorch does (the extra row at the bottom). Computed as im2col
    (kernels/conv.py) and one matrix product; the backward is two matrix products and col2im.
    """
    owner = "conv2d"
    x = _images(owner, x)
    a, w = contiguous(x.data), weight.data
    if w.ndim != 4 or w.shape[1] != a.shape[1]:
        raise ValueError(f"{owner}: weight {w.shape} does not fit input {a.shape} (expected "
                         f"(out_channels, {a.shape[1]}, kh, kw))")  # fmt: skip
    n, c, h, wd = a.shape
    o, _, kh, kw = w.shape
    sh, sw = _pair(owner, "stride", stride, 1)
    dh, dw = _pair(owner, "dilation", dilation, 1)
    if isinstance(padding, str):
        check.choice(owner, "padding", padding, ("same", "valid"))
        if padding == "same" and (sh, sw) != (1, 1):
            raise ValueError(f"{owner}: padding='same' needs stride 1, got stride {(sh, sw)}")
        total_h, total_w = (dh * (kh - 1), dw * (kw - 1)) if padding == "same" else (0, 0)
        top, left = total_h // 2, total_w // 2
    else:
        top, left = _pair(owner, "padding", padding, 0)
        total_h, total_w = 2 * top, 2 * left
    oh = (h + total_h - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + total_w - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"{owner}: the kernel ({kh}, {kw}) with dilation {(dh, dw)} does not fit "
                         f"the padded input ({h + total_h}, {wd + total_w})")  # fmt: skip
    xp = array_module(a)
    geometry = (kh, kw, sh, sw, top, left, dh, dw, oh, ow)
    cols = xp.empty((c * kh * kw, n * oh * ow), a.dtype)
    k = kernels_for(a)
    k.im2col(a, cols, *geometry)
    w2 = w.reshape(o, -1)
    by_channel = (w2 @ cols).reshape(o, n, oh * ow).transpose(1, 0, 2)  # (N, O, OH*OW) view
    out = xp.empty((n, o, oh, ow), a.dtype)
    if bias is not None:  # the bias joins in the copy to NCHW
        xp.add(by_channel, bias.data[:, None], out=out.reshape(n, o, oh * ow))
    else:
        out.reshape(n, o, oh * ow)[...] = by_channel

    def backward(g):
        g2 = xp.ascontiguousarray(g.reshape(n, o, oh * ow).transpose(1, 0, 2)).reshape(o, -1)
        gw = (g2 @ cols.T).reshape(w.shape) if weight.requires_grad else None
        gb = g2.sum(axis=1) if bias is not None and bias.requires_grad else None
        gx = None
        if x.requires_grad:
            gx = xp.empty_like(a)
            k.col2im(w2.T @ g2, gx, *geometry)
        return gx, gw, gb

    return op("conv2d", out, (x, weight, bias if bias is not None else x), backward)


def _pool_geometry(owner: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any
                   ) -> tuple[int, ...]:  # fmt: skip
    """(kh, kw, sh, sw, top, left, oh, ow) of a pooling, with PyTorch's checks."""
    kh, kw = _pair(owner, "kernel_size", kernel_size, 1)
    sh, sw = (kh, kw) if stride is None else _pair(owner, "stride", stride, 1)
    top, left = _pair(owner, "padding", padding, 0)
    if 2 * top > kh or 2 * left > kw:
        raise ValueError(f"{owner}: padding {(top, left)} must be at most half the kernel size "
                         f"{(kh, kw)}")  # fmt: skip
    h, w = x.shape[2:]
    oh, ow = (h + 2 * top - kh) // sh + 1, (w + 2 * left - kw) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"{owner}: kernel {(kh, kw)} does not fit the padded input "
                         f"{(h + 2 * top, w + 2 * left)}")  # fmt: skip
    return kh, kw, sh, sw, top, left, oh, ow


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Maximum over each window (PyTorch's max_pool2d, ceil_mode=False); stride defaults to the
    kernel size; padding never wins (it is -inf), a NaN does (the output is NaN, as in PyTorch).
    The gradient goes to the first maximal element of each window (row-major), as in PyTorch."""
    x = _images("max_pool2d", x)
    kh, kw, sh, sw, top, left, oh, ow = _pool_geometry("max_pool2d", x, kernel_size, stride,
                                                       padding)  # fmt: skip
    a = contiguous(x.data)
    xp = array_module(a)
    out = xp.empty((*a.shape[:2], oh, ow), a.dtype)
    argmax = xp.empty(out.shape, np.int64)
    k = kernels_for(a)
    k.max_pool_forward(a, out, argmax, kh, kw, sh, sw, top, left)

    def backward(g):
        dx = xp.empty_like(a)
        k.max_pool_backward(contiguous(g), argmax, dx, kh, kw, sh, sw, top, left)
        return (dx,)

    return op("max_pool2d", out, (x,), backward)


def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Mean over each window, dividing by kh * kw also where the window covers padding (PyTorch's
    avg_pool2d with count_include_pad=True, ceil_mode=False); stride defaults to the kernel size.
    """
    x = _images("avg_pool2d", x)
    kh, kw, sh, sw, top, left, oh, ow = _pool_geometry("avg_pool2d", x, kernel_size, stride,
                                                       padding)  # fmt: skip
    a = contiguous(x.data)
    xp = array_module(a)
    out = xp.empty((*a.shape[:2], oh, ow), a.dtype)
    k = kernels_for(a)
    k.avg_pool_forward(a, out, kh, kw, sh, sw, top, left)

    def backward(g):
        dx = xp.empty_like(a)
        k.avg_pool_backward(contiguous(g), dx, kh, kw, sh, sw, top, left)
        return (dx,)

    return op("avg_pool2d", out, (x,), backward)


def adaptive_avg_pool2d(x: Tensor, output_size: Any = 1) -> Tensor:
    """Global average pooling: (N, C, H, W) -> (N, C, 1, 1), the mean over each channel's H x W.
    Only output_size=1 is implemented (PyTorch also takes other sizes)."""
    x = _images("adaptive_avg_pool2d", x)
    if _pair("adaptive_avg_pool2d", "output_size", output_size, 1) != (1, 1):
        raise ValueError(f"adaptive_avg_pool2d: only output_size=1 is implemented, got "
                         f"{output_size!r}")  # fmt: skip
    return x.mean(dim=(2, 3), keepdim=True)


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Channel dropout (PyTorch's Dropout2d): y = x * m / (1 - p) with one m ~ Bernoulli(1 - p) per
    (sample, channel), shared by all H x W positions. The mask comes from the same counter-based
    generator as dropout. Identity when not training or p = 0."""
    p = check.number("dropout2d", "p", p, 0.0, 1.0)
    training = check.boolean("dropout2d", "training", training)
    x = _images("dropout2d", x)
    if not training or p == 0.0:
        return x
    n, c = x.shape[:2]
    xp = array_module(x.data)
    ones = xp.ones((n, c), x.dtype)
    scale, mask = xp.empty_like(ones), xp.empty((n, c), np.uint8)
    kernels_for(ones).dropout_forward(ones, scale, mask, p, _random.next_key())
    return x * scale.reshape(n, c, 1, 1)


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
