"""Fused optimizer updates: each reads (w, g, state) once and writes (w, state) once, in place.

SGD (PyTorch's rule), with coupled weight decay, momentum, dampening and Nesterov:
    d = g + weight_decay * w
    b = d                                   at the first step
    b = momentum * b + (1 - dampening) * d  afterwards            (only if momentum != 0)
    d = d + momentum * b  (Nesterov)   or   d = b                 (only if momentum != 0)
    w = w - lr * d

Adam / AdamW (PyTorch's rule), step t counted from 1:
    AdamW: w = w * (1 - lr * weight_decay)           Adam: g = g + weight_decay * w
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g^2
    w = w - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

Three versions of the same math: `*_reference` (NumPy), `*_cpu` (Numba), `*_cuda` (numba.cuda);
the per-element update is written once and compiled for both the CPU and the GPU.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, prange

from ._cpu import cpu_inline, parallel_kernel
from ._cuda import THREADS, cuda_inline, grid, read_only, stream_for
from ._layout import flat, flat_out


def _adam_constants(lr, beta1, beta2, weight_decay, decoupled, step):
    """(decay factor of w, coupled weight decay, step size, sqrt of bias correction 2)."""
    decay = 1 - lr * weight_decay if decoupled else 1.0
    coupled = 0.0 if decoupled else weight_decay
    return decay, coupled, lr / (1 - beta1**step), math.sqrt(1 - beta2**step)


def _adam_scalars(t, lr, beta1, beta2, eps, weight_decay, decoupled, step):
    """The kernel's scalar arguments in dtype t; each beta travels as (beta, 1 - beta)."""
    decay, coupled, step_size, bc2_sqrt = _adam_constants(
        lr, beta1, beta2, weight_decay, decoupled, step
    )
    return (t(decay), t(coupled), (t(beta1), t(1 - beta1)), (t(beta2), t(1 - beta2)), t(eps),
            t(step_size), t(bc2_sqrt))  # fmt: skip


# --------------------------------------------------------------------------- reference
def sgd_step_reference(
    w, g, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, first_step=False
) -> None:
    """One SGD update of w (and the momentum buffer), in place: the NumPy reference (any memory
    layout)."""
    d = g + weight_decay * w
    if momentum != 0:
        buf[...] = d if first_step else momentum * buf + (1 - dampening) * d
        d = d + momentum * buf if nesterov else buf
    w -= lr * d


def adam_step_reference(
    w, g, m, v, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled=False, step=1
) -> None:
    """One Adam (or AdamW, decoupled=True) update of w, m and v, in place: the NumPy reference (any
    memory layout)."""
    decay, coupled, step_size, bc2_sqrt = _adam_constants(
        lr, beta1, beta2, weight_decay, decoupled, step
    )
    w *= decay
    g = g + coupled * w
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g * g
    w -= step_size * m / (np.sqrt(v) / bc2_sqrt + eps)


# --------------------------------------------------------------------------- per element
# Constants such as 1 - beta1 arrive precomputed in the arrays' dtype: `1 - beta1` inside a kernel
# would be int - float32 = float64 in Numba, and float64 arithmetic halves the speed.
def _sgd(w, g, b, lr, momentum, undamped, weight_decay, nesterov, first_step):
    d = g + weight_decay * w
    if momentum != 0:
        b = d if first_step else momentum * b + undamped * d
        d = d + momentum * b if nesterov else b
    return w - lr * d, b


def _adam(w, g, m, v, decay, coupled, beta1, beta2, eps, step_size, bc2_sqrt):
    w = w * decay
    g = g + coupled * w
    m = beta1[0] * m + beta1[1] * g
    v = beta2[0] * v + beta2[1] * g * g
    return w - step_size * m / (math.sqrt(v) / bc2_sqrt + eps), m, v


_sgd_cpu, _sgd_cuda = cpu_inline(_sgd), cuda_inline(_sgd)
_adam_cpu, _adam_cuda = cpu_inline(_adam), cuda_inline(_adam)


# --------------------------------------------------------------------------- cpu
@parallel_kernel
def _sgd_step_cpu(w, g, buf, lr, momentum, undamped, weight_decay, nesterov, first_step):
    with_buffer = momentum != 0
    for i in prange(w.size):
        new_w, new_b = _sgd_cpu(
            w[i], g[i], buf[i] if with_buffer else g[i], lr, momentum, undamped,
            weight_decay, nesterov, first_step,
        )  # fmt: skip
        w[i] = new_w
        if with_buffer:
            buf[i] = new_b


@parallel_kernel
def _adam_step_cpu(w, g, m, v, decay, coupled, beta1, beta2, eps, step_size, bc2_sqrt):
    for i in prange(w.size):
        w[i], m[i], v[i] = _adam_cpu(
            w[i], g[i], m[i], v[i], decay, coupled, beta1, beta2, eps, step_size, bc2_sqrt
        )


def _flat(w, g, *state, names=("buf",), device=False):
    """1-D views of the written w and state arrays and the read gradient g (sent one way to the
    device for a CUDA kernel)."""
    written = (flat_out(a, name) for a, name in zip(state, names, strict=True))
    g1 = read_only(flat(g, "g")) if device else flat(g, "g")
    return flat_out(w, "w"), g1, *written


def sgd_step_cpu(
    w, g, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, first_step=False
) -> None:
    """One SGD update of w (and the momentum buffer), in place: the Numba CPU version (C-contiguous
    arrays)."""
    t = w.dtype.type
    _sgd_step_cpu(
        *_flat(w, g, buf),
        t(lr),
        t(momentum),
        t(1 - dampening),
        t(weight_decay),
        nesterov,
        first_step,
    )


def adam_step_cpu(
    w, g, m, v, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled=False, step=1
) -> None:
    """One Adam (or AdamW, decoupled=True) update of w, m and v, in place: the Numba CPU version
    (C-contiguous arrays)."""
    t = w.dtype.type
    scalars = _adam_scalars(t, lr, beta1, beta2, eps, weight_decay, decoupled, step)
    _adam_step_cpu(*_flat(w, g, m, v, names=("m", "v")), *scalars)


# --------------------------------------------------------------------------- cuda
@cuda.jit
def _sgd_step_cuda(w, g, buf, lr, momentum, undamped, weight_decay, nesterov, first_step):
    with_buffer = momentum != 0
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        new_w, new_b = _sgd_cuda(
            w[i], g[i], buf[i] if with_buffer else g[i], lr, momentum, undamped,
            weight_decay, nesterov, first_step,
        )  # fmt: skip
        w[i] = new_w
        if with_buffer:
            buf[i] = new_b


@cuda.jit
def _adam_step_cuda(w, g, m, v, decay, coupled, beta1, beta2, eps, step_size, bc2_sqrt):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        w[i], m[i], v[i] = _adam_cuda(
            w[i], g[i], m[i], v[i], decay, coupled, beta1, beta2, eps, step_size, bc2_sqrt
        )


def sgd_step_cuda(
    w, g, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, first_step=False
) -> None:
    """One SGD update of w (and the momentum buffer), in place: the numba.cuda version (C-contiguous
    NumPy or CuPy arrays)."""
    if w.size:
        t = w.dtype.type
        _sgd_step_cuda[grid(w.size), THREADS, stream_for(w)](
            *_flat(w, g, buf, device=True), t(lr), t(momentum), t(1 - dampening), t(weight_decay),
            nesterov, first_step,
        )  # fmt: skip


def adam_step_cuda(
    w, g, m, v, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled=False, step=1
) -> None:
    """One Adam (or AdamW, decoupled=True) update of w, m and v, in place: the numba.cuda version
    (C-contiguous NumPy or CuPy arrays)."""
    if w.size:
        t = w.dtype.type
        _adam_step_cuda[grid(w.size), THREADS, stream_for(w)](
            *_flat(w, g, m, v, names=("m", "v"), device=True),
            *_adam_scalars(t, lr, beta1, beta2, eps, weight_decay, decoupled, step),
        )  # fmt: skip
