"""Weight penalties: L1, L2 and elastic net, and the proximal step that gives exact zeros.

    value(w)  = l1 * sum(|w|) + l2 / 2 * sum(w^2)        (l2 = 0: L1; l1 = 0: L2)
    grad(w)   = l1 * sign(w) + l2 * w                     (sign(0) = 0)
    prox(w)   = sign(w) * max(|w| - lr * l1, 0) / (1 + lr * l2)

`penalty_value` reads w once; `penalty_value_grad` computes the value and adds `scale * grad(w)`
into an existing gradient g in the same pass; `prox` overwrites w in place (after a gradient step,
this is one ISTA iteration). Values are accumulated in float64.

Three versions of the same math: `*_reference` (NumPy), `*_cpu` (Numba), `*_cuda` (numba.cuda).
"""

from __future__ import annotations

import numpy as np
from numba import cuda, float64, prange

from ._cpu import cpu_inline, parallel_kernel
from ._cuda import (
    THREADS,
    block_sum_to,
    cuda_inline,
    grid,
    read_only,
    stream_for,
    zeros_like_device,
)
from ._layout import flat, flat_out


# --------------------------------------------------------------------------- reference
def penalty_value_reference(w: np.ndarray, l1: float, l2: float) -> float:
    """l1 * sum(|w|) + l2 / 2 * sum(w^2), accumulated in float64: the NumPy reference (any memory
    layout)."""
    w64 = w.astype(np.float64)
    return float(l1 * np.abs(w64).sum() + 0.5 * l2 * (w64 * w64).sum())


def penalty_value_grad_reference(
    w: np.ndarray, g: np.ndarray, l1: float, l2: float, scale: float = 1.0
) -> float:
    """The penalty's value, adding scale * (l1 * sign(w) + l2 * w) into g in the same pass: the
    NumPy reference (any memory layout)."""
    g += (scale * (l1 * np.sign(w) + l2 * w)).astype(g.dtype)
    return penalty_value_reference(w, l1, l2)


def prox_reference(w: np.ndarray, lr: float, l1: float, l2: float) -> None:
    """w = sign(w) * max(|w| - lr * l1, 0) / (1 + lr * l2), in place: the NumPy reference (any
    memory layout)."""
    w[...] = np.sign(w) * np.maximum(np.abs(w) - lr * l1, 0) / (1 + lr * l2)


# --------------------------------------------------------------------------- per element
def _gradient(x, l1, l2):
    """l1 * sign(x) + l2 * x, with sign(0) = 0, branch-free (weight signs are random) and in the
    weights' dtype."""
    return (x > 0) * l1 - (x < 0) * l1 + l2 * x


def _soft_threshold(x, threshold, divisor):
    """sign(x) * max(|x| - threshold, 0) / divisor."""
    magnitude = abs(x) - threshold
    if magnitude <= 0:
        return 0.0
    return (magnitude if x > 0 else -magnitude) / divisor


_gradient_cpu, _gradient_cuda = cpu_inline(_gradient), cuda_inline(_gradient)
_soft_threshold_cpu, _soft_threshold_cuda = (
    cpu_inline(_soft_threshold),
    cuda_inline(_soft_threshold),
)
_block_sum_to = block_sum_to(globals())


# --------------------------------------------------------------------------- cpu
@parallel_kernel
def _penalty_value_cpu(w, l1, l2):
    absolute, square = 0.0, 0.0
    for i in prange(w.size):
        x = float64(w[i])
        absolute += abs(x)
        square += x * x
    return l1 * absolute + 0.5 * l2 * square


@parallel_kernel
def _penalty_value_grad_cpu(w, g, l1, l2, scale):
    absolute, square = 0.0, 0.0
    for i in prange(w.size):
        x = w[i]
        g[i] += scale * _gradient_cpu(x, l1, l2)
        absolute += abs(float64(x))
        square += float64(x) * x
    return l1 * absolute + 0.5 * l2 * square


@parallel_kernel
def _prox_cpu(w, threshold, shrink):
    for i in prange(w.size):
        w[i] = _soft_threshold_cpu(w[i], threshold, shrink)


def penalty_value_cpu(w: np.ndarray, l1: float, l2: float) -> float:
    """l1 * sum(|w|) + l2 / 2 * sum(w^2), accumulated in float64: the Numba CPU version
    (C-contiguous arrays)."""
    return _penalty_value_cpu(flat(w, "w"), float(l1), float(l2))


def penalty_value_grad_cpu(
    w: np.ndarray, g: np.ndarray, l1: float, l2: float, scale: float = 1.0
) -> float:
    """The penalty's value, adding scale * (l1 * sign(w) + l2 * w) into g in the same pass: the
    Numba CPU version (C-contiguous arrays)."""
    t = w.dtype.type
    return _penalty_value_grad_cpu(flat(w, "w"), flat_out(g, "g"), t(l1), t(l2), t(scale))


def prox_cpu(w: np.ndarray, lr: float, l1: float, l2: float) -> None:
    """w = sign(w) * max(|w| - lr * l1, 0) / (1 + lr * l2), in place: the Numba CPU version
    (C-contiguous arrays)."""
    t = w.dtype.type
    _prox_cpu(flat_out(w, "w"), t(lr * l1), t(1 + lr * l2))


# --------------------------------------------------------------------------- cuda
@cuda.jit
def _penalty_value_cuda(w, l1, l2, out):
    partial = cuda.shared.array(THREADS, float64)
    acc = 0.0
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        x = float64(w[i])
        acc += l1 * abs(x) + 0.5 * l2 * x * x
    _block_sum_to(out, partial, acc)


@cuda.jit
def _penalty_value_grad_cuda(w, g, l1, l2, scale, out):
    partial = cuda.shared.array(THREADS, float64)
    acc = 0.0
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        x = w[i]
        g[i] += scale * _gradient_cuda(x, l1, l2)
        acc += l1 * abs(float64(x)) + 0.5 * l2 * float64(x) * x
    _block_sum_to(out, partial, acc)


@cuda.jit
def _prox_cuda(w, threshold, shrink):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        w[i] = _soft_threshold_cuda(w[i], threshold, shrink)


def penalty_value_cuda(w, l1: float, l2: float):
    """Returns a one-element float64 device array (no host synchronisation)."""
    out = zeros_like_device(w, 1, np.float64)
    w1 = read_only(flat(w, "w"))
    if w.size:
        _penalty_value_cuda[grid(w.size), THREADS, stream_for(w)](w1, l1, l2, out)
    return out


def penalty_value_grad_cuda(w, g, l1: float, l2: float, scale: float = 1.0):
    """Adds scale * grad into g; returns the value as a one-element float64 device array."""
    out = zeros_like_device(w, 1, np.float64)
    w1, g1 = read_only(flat(w, "w")), flat_out(g, "g")
    if w.size:
        t = w.dtype.type
        _penalty_value_grad_cuda[grid(w.size), THREADS, stream_for(w)](
            w1, g1, t(l1), t(l2), t(scale), out
        )
    return out


def prox_cuda(w, lr: float, l1: float, l2: float) -> None:
    """w = sign(w) * max(|w| - lr * l1, 0) / (1 + lr * l2), in place: the numba.cuda version
    (C-contiguous NumPy or CuPy arrays)."""
    w1 = flat_out(w, "w")
    if w.size:
        t = w.dtype.type
        _prox_cuda[grid(w.size), THREADS, stream_for(w)](w1, t(lr * l1), t(1 + lr * l2))
