"""Batch normalization of an (N, C) array over its rows, or of an (N, C, S) array (images as
(N, C, H*W)) per channel over N and S: statistics, forward and backward.

Training forward, per feature c, with M = N (or N * S) values each (biased variance, as PyTorch):
    mean_c = 1/M sum x_.c.         var_c = 1/M sum (x_.c. - mean_c)^2
    xhat   = (x - mean_c) / sqrt(var_c + eps)        y = weight_c * xhat + bias_c
Backward, with g = dL/dy:
    dbias_c   = sum g_.c.           dweight_c = sum g_.c. * xhat_.c.
    dx        = weight_c / sqrt(var_c + eps) / M * (M g - dbias_c - xhat * dweight_c)

The statistics use the shifted-data algorithm in float64: sums of (x - K_c) and (x - K_c)^2 with
K_c = x_0c, so a feature with mean 1e4 and std 1 loses no precision (the naive E[x^2] - E[x]^2 in
float32 would cancel to noise). mean and var are float64 arrays; in float32, x - mean is formed as
(x - center) - resid, center being the mean rounded to float32 and resid the rest, so xhat keeps
its precision without float64 arithmetic per element. On the CPU an (N, C, S) array is walked as
(N, C * S) rows with the per-channel constants repeated over each channel's S columns, so images
need no NCHW <-> rows copy and every pass runs along rows (the contiguous direction); the column
sums are split over fixed row chunks and added up per channel at the end.

Three versions of the same math: `*_reference` (NumPy), `*_cpu` (Numba), `*_cuda` (numba.cuda).
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, float64, prange

from ._cpu import cpu_inline, parallel_kernel
from ._cuda import THREADS, stream_for
from ._layout import c_contiguous

CHUNKS = 16  # the CPU sums run over 16 fixed row chunks: the same result on any thread count


# --------------------------------------------------------------------------- reference
def _channels(x):
    """The axes a channel's statistics run over, and the shape that broadcasts (C,) against x."""
    return ((0,), (-1,)) if x.ndim == 2 else ((0, 2), (-1, 1))


def batchnorm_forward_reference(x, weight, bias, eps, y, mean, var) -> None:
    """Fills y (like x) and the batch mean and biased variance (float64 arrays of shape (C,))."""
    axes, column = _channels(x)
    x64 = x.astype(np.float64)
    mean[:] = x64.mean(axis=axes)
    var[:] = ((x64 - mean.reshape(column)) ** 2).mean(axis=axes)
    invstd = 1 / np.sqrt(var.astype(np.float64) + eps)
    y[...] = (x64 - mean.reshape(column)) * (invstd * weight).reshape(column) + bias.reshape(column)


def batchnorm_backward_reference(g, x, weight, mean, var, eps, dx, dweight, dbias) -> None:
    """dx, dweight and dbias of batch normalization in training mode: the NumPy reference (any
    memory layout)."""
    axes, column = _channels(x)
    m = x.size // x.shape[1]
    invstd = 1.0 / np.sqrt(var.astype(np.float64) + eps)
    xhat = (x - mean.reshape(column)) * invstd.reshape(column)
    dbias[:] = g.sum(axis=axes, dtype=np.float64)
    dweight[:] = (g * xhat).sum(axis=axes, dtype=np.float64)
    dx[...] = (weight * invstd / m).reshape(column) * (
        m * g - dbias.reshape(column) - xhat * dweight.reshape(column)
    )


# --------------------------------------------------------------------------- cpu
def _channel_totals(first, second, j, plane):
    """The sums of two (CHUNKS, K) arrays of partial sums over every chunk and channel j's
    columns, added in a fixed order."""
    total_first, total_second = 0.0, 0.0
    for t in range(CHUNKS):
        for k in range(j * plane, (j + 1) * plane):
            total_first += first[t, k]
            total_second += second[t, k]
    return total_first, total_second


_channel_totals_cpu = cpu_inline(_channel_totals)


# One compiled kernel per direction (one compilation each on a cold start): the column sums over
# fixed row chunks, the per-channel constants, then the elementwise pass, row by row. x is seen as
# (N, K) rows, K = C * plane; channel j owns columns j * plane ... (j + 1) * plane - 1, and
# `per_column` holds its constants repeated over them. Only the loops over chunks and rows are
# `prange`; the chunk totals are added in a fixed order.
@parallel_kernel
def _batchnorm_forward_cpu(x, plane, weight, bias, eps, y, mean, var, s1, s2, shift, per_column):
    n, k_total = x.shape
    count = n * plane
    for k in range(k_total):
        shift[k] = x[0, k - k % plane]  # the channel's first value, K_c in the module docstring
    for t in prange(CHUNKS):  # s1, s2: sums of (x - K_c) and (x - K_c)^2 per chunk and column
        for i in range(t * n // CHUNKS, (t + 1) * n // CHUNKS):
            for k in range(k_total):
                d = float64(x[i, k]) - shift[k]
                s1[t, k] += d
                s2[t, k] += d * d
    center, resid, scale, offset = per_column[0], per_column[1], per_column[2], per_column[3]
    for j in range(k_total // plane):
        m1, m2 = _channel_totals_cpu(s1, s2, j, plane)
        m1, m2 = m1 / count, m2 / count
        mean[j] = shift[j * plane] + m1
        var[j] = max(m2 - m1 * m1, 0.0)
        for k in range(j * plane, (j + 1) * plane):
            center[k] = mean[j]  # x - mean = (x - center) - resid, see the module docstring
            resid[k] = mean[j] - float64(center[k])
            scale[k] = float64(weight[j]) / math.sqrt(var[j] + eps)
            offset[k] = bias[j]
    for i in prange(n):
        for k in range(k_total):
            y[i, k] = ((x[i, k] - center[k]) - resid[k]) * scale[k] + offset[k]


@parallel_kernel
def _batchnorm_backward_cpu(g, x, plane, weight, mean, var, eps, dx, dweight, dbias, sg, sgx,
                            per_column):  # fmt: skip
    n, k_total = x.shape
    count = n * plane
    center, resid, invstd = per_column[0], per_column[1], per_column[2]
    a, b, k0 = per_column[3], per_column[4], per_column[5]
    for k in range(k_total):
        j = k // plane
        center[k] = mean[j]
        resid[k] = mean[j] - float64(center[k])
        invstd[k] = 1.0 / math.sqrt(var[j] + eps)
    for t in prange(CHUNKS):  # sg, sgx: sums of g and g * xhat per chunk and column
        for i in range(t * n // CHUNKS, (t + 1) * n // CHUNKS):
            for k in range(k_total):
                gik = float64(g[i, k])
                sg[t, k] += gik
                sgx[t, k] += gik * (((x[i, k] - center[k]) - resid[k]) * invstd[k])
    for j in range(k_total // plane):  # dx = w invstd (g - dbias / M - xhat dweight / M)
        total_g, total_gx = _channel_totals_cpu(sg, sgx, j, plane)
        dbias[j], dweight[j] = total_g, total_gx
        a64 = float64(weight[j]) / math.sqrt(var[j] + eps)
        for k in range(j * plane, (j + 1) * plane):  # = a g + b xhat + k0
            a[k], b[k], k0[k] = a64, -a64 * total_gx / count, -a64 * total_g / count
    for i in prange(n):
        for k in range(k_total):
            xhat = ((x[i, k] - center[k]) - resid[k]) * invstd[k]
            dx[i, k] = a[k] * g[i, k] + b[k] * xhat + k0[k]


def _rows(x):
    """x as (N, K) rows and the number of columns per channel (1 for (N, C), S for (N, C, S))."""
    return x.reshape(x.shape[0], -1), (x.shape[2] if x.ndim == 3 else 1)


def batchnorm_forward_cpu(x, weight, bias, eps, y, mean, var) -> None:
    """y = weight * (x - mean) / sqrt(var + eps) + bias with the batch's mean and biased var: the
    Numba CPU version (C-contiguous arrays)."""
    x, y = c_contiguous(x, "x"), c_contiguous(y, "y")
    if x.shape[0]:
        rows, plane = _rows(x)
        k = rows.shape[1]
        scratch = (np.zeros((CHUNKS, k)), np.zeros((CHUNKS, k)), np.empty(k),
                   np.empty((4, k), x.dtype))  # fmt: skip
        _batchnorm_forward_cpu(rows, plane, weight, bias, float(eps), _rows(y)[0], mean, var,
                               *scratch)  # fmt: skip


def batchnorm_backward_cpu(g, x, weight, mean, var, eps, dx, dweight, dbias) -> None:
    """dx, dweight and dbias of batch normalization in training mode: the Numba CPU version
    (C-contiguous arrays)."""
    g, x, dx = c_contiguous(g, "g"), c_contiguous(x, "x"), c_contiguous(dx, "dx")
    rows, plane = _rows(x)
    k = rows.shape[1]
    scratch = np.zeros((CHUNKS, k)), np.zeros((CHUNKS, k)), np.empty((6, k), x.dtype)
    _batchnorm_backward_cpu(_rows(g)[0], rows, plane, weight, mean, var, float(eps),
                            _rows(dx)[0], dweight, dbias, *scratch)  # fmt: skip


# --------------------------------------------------------------------------- cuda
# One thread per channel, over x seen as (N, K) rows like the CPU version. With one column per
# channel ((N, C) input) neighbouring threads read neighbouring columns of a row (coalesced).
# xhat is formed in float64, which GPUs of this class run at full memory speed.
@cuda.jit
def _batchnorm_forward_cuda(x, plane, weight, bias, eps, y, mean, var):
    j = cuda.grid(1)
    n, k_total = x.shape
    if j >= k_total // plane:
        return
    first, stop = j * plane, (j + 1) * plane
    s1, s2 = 0.0, 0.0
    for i in range(n):
        for k in range(first, stop):
            d = float64(x[i, k]) - float64(x[0, first])
            s1 += d
            s2 += d * d
    m1 = s1 / (n * plane)
    v = max(s2 / (n * plane) - m1 * m1, 0.0)
    mu = x[0, first] + m1
    mean[j], var[j] = mu, v
    scale = weight[j] / math.sqrt(v + eps)
    for i in range(n):
        for k in range(first, stop):
            y[i, k] = (x[i, k] - mu) * scale + bias[j]


@cuda.jit
def _batchnorm_backward_cuda(g, x, plane, weight, mean, var, eps, dx, dweight, dbias):
    j = cuda.grid(1)
    n, k_total = x.shape
    if j >= k_total // plane:
        return
    first, stop, count = j * plane, (j + 1) * plane, n * plane
    invstd = 1.0 / math.sqrt(var[j] + eps)
    sg, sgx = 0.0, 0.0
    for i in range(n):
        for k in range(first, stop):
            sg += g[i, k]
            sgx += g[i, k] * (x[i, k] - mean[j]) * invstd
    dbias[j], dweight[j] = sg, sgx
    a = weight[j] * invstd
    for i in range(n):
        for k in range(first, stop):
            xhat = (x[i, k] - mean[j]) * invstd
            dx[i, k] = a * (g[i, k] - sg / count - xhat * sgx / count)


def _features_grid(c: int) -> int:
    return (c + THREADS - 1) // THREADS


def batchnorm_forward_cuda(x, weight, bias, eps, y, mean, var) -> None:
    """y = weight * (x - mean) / sqrt(var + eps) + bias with the batch's mean and biased var: the
    numba.cuda version (C-contiguous NumPy or CuPy arrays)."""
    x, y = c_contiguous(x, "x"), c_contiguous(y, "y")
    if x.size:
        rows, plane = _rows(x)
        _batchnorm_forward_cuda[_features_grid(x.shape[1]), THREADS, stream_for(x)](
            rows, plane, weight, bias, float(eps), _rows(y)[0], mean, var
        )


def batchnorm_backward_cuda(g, x, weight, mean, var, eps, dx, dweight, dbias) -> None:
    """dx, dweight and dbias of batch normalization in training mode: the numba.cuda version
    (C-contiguous NumPy or CuPy arrays)."""
    g, x, dx = c_contiguous(g, "g"), c_contiguous(x, "x"), c_contiguous(dx, "dx")
    if x.size:
        rows, plane = _rows(x)
        _batchnorm_backward_cuda[_features_grid(x.shape[1]), THREADS, stream_for(x)](
            _rows(g)[0], rows, plane, weight, mean, var, float(eps), _rows(dx)[0], dweight, dbias
        )
