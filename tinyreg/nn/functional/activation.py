"""Activations as functions of tensors (PyTorch's torch.nn.functional names)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ... import validate as check
from ..._tensor import Tensor, as_tensor
from ...autograd.function import op
from ...device import (
    on_gpu,
)
from .conv import floating


def relu(x: Tensor) -> Tensor:
    """max(x, 0); see `Tensor.relu`."""
    return x.relu()


def tanh(x: Tensor) -> Tensor:
    """tanh(x); see `Tensor.tanh`. Integer input gives float32, as in PyTorch."""
    return _promote(as_tensor(x)).tanh()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), without overflow; see `Tensor.sigmoid`. Integer input gives float32, as
    in PyTorch."""
    return _promote(as_tensor(x)).sigmoid()


def _promote(x: Tensor) -> Tensor:
    """x, or x as float32 when it holds integers or bools (PyTorch's promotion for sigmoid and
    tanh)."""
    return x if np.issubdtype(np.dtype(x.dtype), np.floating) else x.astype(np.float32)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:  # fmt: skip
    """PyTorch's F.softmax: exp(x) / sum(exp(x)) along `dim` (see `Tensor.softmax`), in `dtype`
    if given. dim=None is PyTorch's deprecated implicit choice, with its warning."""
    x = floating("softmax", "input", _cast(as_tensor(input), dtype))
    return x.softmax(_dim("softmax", x.ndim, dim, _stacklevel))


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:  # fmt: skip
    """PyTorch's F.log_softmax: x - logsumexp(x) along `dim` (see `Tensor.log_softmax`); dim and
    dtype as in `softmax`."""
    x = floating("log_softmax", "input", _cast(as_tensor(input), dtype))
    return x.log_softmax(_dim("log_softmax", x.ndim, dim, _stacklevel))


def _dim(name: str, ndim: int, dim: int | None, stacklevel: int) -> int:
    """`dim`, or PyTorch's implicit choice for dim=None (0 for 0-, 1- and 3-d input, else 1)
    with its deprecation warning."""
    if dim is not None:
        return dim
    dim = 0 if ndim in (0, 1, 3) else 1
    message = (f"Implicit dimension choice for {name} has been deprecated. Change the call to "
               "include dim=X as an argument.")  # fmt: skip
    warnings.warn(message, UserWarning, stacklevel=stacklevel)
    return dim


def _cast(x: Tensor, dtype: Any) -> Tensor:
    return x if dtype is None or x.dtype == dtype else x.astype(dtype)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope * x (PyTorch's leaky_relu); gradient 1 or the slope."""
    slope = check.finite("leaky_relu", "negative_slope", negative_slope)
    x = floating("leaky_relu", "input", as_tensor(x))
    positive = x.data > 0
    factor = np.where(positive, 1.0, slope).astype(x.dtype)
    return op("leaky_relu", x.data * factor, (x,), lambda g: (g * factor,))


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1) (PyTorch's elu); gradient 1 or alpha * exp(x)."""
    alpha = check.finite("elu", "alpha", alpha)
    x = floating("elu", "input", as_tensor(x))
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
    x = floating("softplus", "input", as_tensor(x))
    a = x.data
    z = beta * a
    linear = z > threshold
    out = np.where(linear, a, np.logaddexp(0, z) / beta).astype(a.dtype)
    slope = np.where(linear, 1.0, 1 / (1 + np.exp(-np.clip(z, -700, 700)))).astype(a.dtype)
    return op("softplus", out, (x,), lambda g: (g * slope,))


def silu(x: Tensor) -> Tensor:
    """x * sigmoid(x) (SiLU, also called swish); gradient s + x s (1 - s) with s = sigmoid(x)."""
    x = floating("silu", "input", as_tensor(x))
    a = x.data
    s = (1 / (1 + np.exp(-np.clip(a, -700, 700)))).astype(a.dtype)
    return op("silu", a * s, (x,), lambda g: (g * (s + a * s * (1 - s)),))


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2 (PyTorch's gelu);
    approximate="tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). The gradient is
    Phi(x) + x phi(x) (exact), or the derivative of the tanh form."""
    check.choice("gelu", "approximate", approximate, ("none", "tanh"))
    x = floating("gelu", "input", as_tensor(x))
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
