"""Fused optimizer updates (SGD, Adam / AdamW, Adadelta, Adagrad, RMSprop): each reads (w, g,
state) once and writes (w, state) once, in place.

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

Adadelta, Adagrad, RMSprop (PyTorch's rules), each after g = g + weight_decay * w:
    Adadelta: v = rho * v + (1 - rho) * g^2;  d = sqrt(u + eps) / sqrt(v + eps) * g
              u = rho * u + (1 - rho) * d^2;  w = w - lr * d
    Adagrad:  s = s + g^2;  w = w - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
    RMSprop:  v = alpha * v + (1 - alpha) * g^2
              centered: a = a + (1 - alpha) * (g - a);  r = sqrt(v - a^2) + eps
              else:                                     r = sqrt(v) + eps
              momentum > 0: b = momentum * b + g / r;  w = w - lr * b
              else:                                    w = w - lr * g / r

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


def _adagrad_lr(lr, lr_decay, step):
    """Adagrad's decayed step size at step t (from 1): lr / (1 + (t - 1) * lr_decay)."""
    return lr / (1 + (step - 1) * lr_decay)


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


def adadelta_step_reference(w, g, square_avg, acc_delta, lr=1.0, rho=0.9, eps=1e-6,
                            weight_decay=0.0) -> None:  # fmt: skip
    """One Adadelta update of w, square_avg and acc_delta, in place: the NumPy reference (any
    memory layout)."""
    g = g + weight_decay * w
    square_avg[...] = rho * square_avg + (1 - rho) * g * g
    delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
    acc_delta[...] = rho * acc_delta + (1 - rho) * delta * delta
    w -= lr * delta


def adagrad_step_reference(w, g, state_sum, lr=1e-2, lr_decay=0.0, weight_decay=0.0, eps=1e-10,
                           step=1) -> None:  # fmt: skip
    """One Adagrad update of w and state_sum at step `step` (from 1), in place: the NumPy
    reference (any memory layout)."""
    g = g + weight_decay * w
    state_sum += g * g
    w -= _adagrad_lr(lr, lr_decay, step) * g / (np.sqrt(state_sum) + eps)


def rmsprop_step_reference(w, g, square_avg, grad_avg, buf, lr=1e-2, alpha=0.99, eps=1e-8,
                           weight_decay=0.0, momentum=0.0, centered=False) -> None:  # fmt: skip
    """One RMSprop update of w, square_avg, grad_avg (read and written only if centered) and buf
    (only if momentum > 0), in place: the NumPy reference (any memory layout)."""
    g = g + weight_decay * w
    square_avg[...] = alpha * square_avg + (1 - alpha) * g * g
    if centered:
        grad_avg += (1 - alpha) * (g - grad_avg)
        avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum > 0:
        buf[...] = momentum * buf + g / avg
        w -= lr * buf
    else:
        w -= lr * g / avg


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


def _adadelta(w, g, v, u, lr, rho, eps, weight_decay):
    g = g + weight_decay * w
    v = rho[0] * v + rho[1] * g * g
    d = math.sqrt(u + eps) / math.sqrt(v + eps) * g
    u = rho[0] * u + rho[1] * d * d
    return w - lr * d, v, u


def _adagrad(w, g, s, step_size, eps, weight_decay):
    g = g + weight_decay * w
    s = s + g * g
    return w - step_size * g / (math.sqrt(s) + eps), s


def _rmsprop(w, g, v, a, b, lr, alpha, eps, weight_decay, momentum, centered):
    g = g + weight_decay * w
    v = alpha[0] * v + alpha[1] * g * g
    if centered:
        a = a + alpha[1] * (g - a)
        r = math.sqrt(v - a * a) + eps
    else:
        r = math.sqrt(v) + eps
    if momentum > 0:
        b = momentum * b + g / r
        return w - lr * b, v, a, b
    return w - lr * g / r, v, a, b


_sgd_cpu, _sgd_cuda = cpu_inline(_sgd), cuda_inline(_sgd)
_adam_cpu, _adam_cuda = cpu_inline(_adam), cuda_inline(_adam)
_adadelta_cpu, _adadelta_cuda = cpu_inline(_adadelta), cuda_inline(_adadelta)
_adagrad_cpu, _adagrad_cuda = cpu_inline(_adagrad), cuda_inline(_adagrad)
_rmsprop_cpu, _rmsprop_cuda = cpu_inline(_rmsprop), cuda_inline(_rmsprop)


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


@parallel_kernel
def _adadelta_step_cpu(w, g, v, u, lr, rho, eps, weight_decay):
    for i in prange(w.size):
        w[i], v[i], u[i] = _adadelta_cpu(w[i], g[i], v[i], u[i], lr, rho, eps, weight_decay)


@parallel_kernel
def _adagrad_step_cpu(w, g, s, step_size, eps, weight_decay):
    for i in prange(w.size):
        w[i], s[i] = _adagrad_cpu(w[i], g[i], s[i], step_size, eps, weight_decay)


@parallel_kernel
def _rmsprop_step_cpu(w, g, v, a, b, lr, alpha, eps, weight_decay, momentum, centered):
    with_buffer = momentum > 0
    for i in prange(w.size):
        new_w, v[i], new_a, new_b = _rmsprop_cpu(
            w[i], g[i], v[i], a[i] if centered else g[i], b[i] if with_buffer else g[i], lr,
            alpha, eps, weight_decay, momentum, centered,
        )  # fmt: skip
        w[i] = new_w
        if centered:
            a[i] = new_a
        if with_buffer:
            b[i] = new_b


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


def _adadelta_scalars(t, lr, rho, eps, weight_decay):
    """Adadelta's scalar arguments in dtype t; rho travels as (rho, 1 - rho)."""
    return t(lr), (t(rho), t(1 - rho)), t(eps), t(weight_decay)


def _adagrad_scalars(t, lr, lr_decay, weight_decay, eps, step):
    """Adagrad's scalar arguments in dtype t: the decayed step size, eps, weight_decay."""
    return t(_adagrad_lr(lr, lr_decay, step)), t(eps), t(weight_decay)


def _rmsprop_scalars(t, lr, alpha, eps, weight_decay, momentum, centered):
    """RMSprop's scalar arguments in dtype t; alpha travels as (alpha, 1 - alpha)."""
    return t(lr), (t(alpha), t(1 - alpha)), t(eps), t(weight_decay), t(momentum), bool(centered)


_ADADELTA_STATE = ("square_avg", "acc_delta")
_RMSPROP_STATE = ("square_avg", "grad_avg", "buf")


def adadelta_step_cpu(w, g, square_avg, acc_delta, lr=1.0, rho=0.9, eps=1e-6,
                      weight_decay=0.0) -> None:  # fmt: skip
    """One Adadelta update of w, square_avg and acc_delta, in place: the Numba CPU version
    (C-contiguous arrays)."""
    _adadelta_step_cpu(
        *_flat(w, g, square_avg, acc_delta, names=_ADADELTA_STATE),
        *_adadelta_scalars(w.dtype.type, lr, rho, eps, weight_decay),
    )


def adagrad_step_cpu(w, g, state_sum, lr=1e-2, lr_decay=0.0, weight_decay=0.0, eps=1e-10,
                     step=1) -> None:  # fmt: skip
    """One Adagrad update of w and state_sum at step `step` (from 1), in place: the Numba CPU
    version (C-contiguous arrays)."""
    _adagrad_step_cpu(
        *_flat(w, g, state_sum, names=("state_sum",)),
        *_adagrad_scalars(w.dtype.type, lr, lr_decay, weight_decay, eps, step),
    )


def rmsprop_step_cpu(w, g, square_avg, grad_avg, buf, lr=1e-2, alpha=0.99, eps=1e-8,
                     weight_decay=0.0, momentum=0.0, centered=False) -> None:  # fmt: skip
    """One RMSprop update of w, square_avg, grad_avg (only if centered) and buf (only if
    momentum > 0), in place: the Numba CPU version (C-contiguous arrays; an unused grad_avg or buf
    may be empty)."""
    _rmsprop_step_cpu(
        *_flat(w, g, square_avg, grad_avg, buf, names=_RMSPROP_STATE),
        *_rmsprop_scalars(w.dtype.type, lr, alpha, eps, weight_decay, momentum, centered),
    )


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


@cuda.jit
def _adadelta_step_cuda(w, g, v, u, lr, rho, eps, weight_decay):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        w[i], v[i], u[i] = _adadelta_cuda(w[i], g[i], v[i], u[i], lr, rho, eps, weight_decay)


@cuda.jit
def _adagrad_step_cuda(w, g, s, step_size, eps, weight_decay):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        w[i], s[i] = _adagrad_cuda(w[i], g[i], s[i], step_size, eps, weight_decay)


@cuda.jit
def _rmsprop_step_cuda(w, g, v, a, b, lr, alpha, eps, weight_decay, momentum, centered):
    with_buffer = momentum > 0
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        new_w, v[i], new_a, new_b = _rmsprop_cuda(
            w[i], g[i], v[i], a[i] if centered else g[i], b[i] if with_buffer else g[i], lr,
            alpha, eps, weight_decay, momentum, centered,
        )  # fmt: skip
        w[i] = new_w
        if centered:
            a[i] = new_a
        if with_buffer:
            b[i] = new_b


def adadelta_step_cuda(w, g, square_avg, acc_delta, lr=1.0, rho=0.9, eps=1e-6,
                       weight_decay=0.0) -> None:  # fmt: skip
    """One Adadelta update of w, square_avg and acc_delta, in place: the numba.cuda version
    (C-contiguous NumPy or CuPy arrays)."""
    if w.size:
        _adadelta_step_cuda[grid(w.size), THREADS, stream_for(w)](
            *_flat(w, g, square_avg, acc_delta, names=_ADADELTA_STATE, device=True),
            *_adadelta_scalars(w.dtype.type, lr, rho, eps, weight_decay),
        )


def adagrad_step_cuda(w, g, state_sum, lr=1e-2, lr_decay=0.0, weight_decay=0.0, eps=1e-10,
                      step=1) -> None:  # fmt: skip
    """One Adagrad update of w and state_sum at step `step` (from 1), in place: the numba.cuda
    version (C-contiguous NumPy or CuPy arrays)."""
    if w.size:
        _adagrad_step_cuda[grid(w.size), THREADS, stream_for(w)](
            *_flat(w, g, state_sum, names=("state_sum",), device=True),
            *_adagrad_scalars(w.dtype.type, lr, lr_decay, weight_decay, eps, step),
        )


def rmsprop_step_cuda(w, g, square_avg, grad_avg, buf, lr=1e-2, alpha=0.99, eps=1e-8,
                      weight_decay=0.0, momentum=0.0, centered=False) -> None:  # fmt: skip
    """One RMSprop update of w, square_avg, grad_avg (only if centered) and buf (only if
    momentum > 0), in place: the numba.cuda version (C-contiguous NumPy or CuPy arrays; an unused
    grad_avg or buf may be empty)."""
    if w.size:
        _rmsprop_step_cuda[grid(w.size), THREADS, stream_for(w)](
            *_flat(w, g, square_avg, grad_avg, buf, names=_RMSPROP_STATE, device=True),
            *_rmsprop_scalars(w.dtype.type, lr, alpha, eps, weight_decay, momentum, centered),
        )
