"""Batch normalization over the rows of an (N, C) array: statistics, forward and backward.

Training forward, per feature c (biased variance, as the seed and PyTorch):
    mean_c = 1/N sum_n x_nc        var_c = 1/N sum_n (x_nc - mean_c)^2
    xhat   = (x - mean_c) / sqrt(var_c + eps)        y = weight_c * xhat + bias_c
Backward, with g = dL/dy:
    dbias_c   = sum_n g_nc          dweight_c = sum_n g_nc * xhat_nc
    dx        = weight_c / sqrt(var_c + eps) / N * (N g - dbias_c - xhat * dweight_c)

The statistics use the shifted-data algorithm in float64: sums of (x - K_c) and (x - K_c)^2 with
K_c = x_0c, so a feature with mean 1e4 and std 1 loses no precision (the naive E[x^2] - E[x]^2 in
float32 would cancel to noise). mean and var are float64 arrays; in float32, x - mean is formed as
(x - center) - resid, center being the mean rounded to float32 and resid the rest, so xhat keeps
its precision without float64 arithmetic per element. On the CPU each pass runs along rows (the
contiguous direction); the column sums are split over fixed row chunks and added up at the end.

Three versions of the same math: `*_reference` (NumPy), `*_cpu` (Numba), `*_cuda` (numba.cuda).
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, float64, prange

from ._cpu import parallel_kernel
from ._cuda import THREADS, stream_for
from ._layout import c_contiguous

CHUNKS = 16  # the CPU sums run over 16 fixed row chunks: the same result on any thread count


# --------------------------------------------------------------------------- reference
def batchnorm_forward_reference(x, weight, bias, eps, y, mean, var) -> None:
    """Fills y (N, C) and the batch mean and biased variance (float64 arrays of shape (C,))."""
    x64 = x.astype(np.float64)
    mean[:] = x64.mean(axis=0)
    var[:] = ((x64 - x64.mean(axis=0)) ** 2).mean(axis=0)
    y[:] = (x64 - mean) / np.sqrt(var.astype(np.float64) + eps) * weight + bias


def batchnorm_backward_reference(g, x, weight, mean, var, eps, dx, dweight, dbias) -> None:
    """dx, dweight and dbias of batch normalization in training mode: the NumPy reference (any
    memory layout)."""
    n = x.shape[0]
    invstd = 1.0 / np.sqrt(var.astype(np.float64) + eps)
    xhat = (x - mean) * invstd
    dbias[:] = g.sum(axis=0, dtype=np.float64)
    dweight[:] = (g * xhat).sum(axis=0, dtype=np.float64)
    dx[:] = weight * invstd / n * (n * g - dbias - xhat * dweight)


# --------------------------------------------------------------------------- cpu
# One compiled kernel per direction (one compilation each on a cold start): the column sums over
# fixed row chunks, the per-feature constants, then the elementwise pass, row by row. Only the
# loops over chunks and rows are `prange`; the chunk totals are added in a fixed order.
@parallel_kernel
def _batchnorm_forward_cpu(x, weight, bias, eps, y, mean, var, s1, s2, constants):
    n, c = x.shape
    for t in prange(CHUNKS):  # s1, s2: sums of (x - x_0) and (x - x_0)^2 per chunk
        for i in range(t * n // CHUNKS, (t + 1) * n // CHUNKS):
            for j in range(c):
                d = float64(x[i, j]) - float64(x[0, j])
                s1[t, j] += d
                s2[t, j] += d * d
    center, resid, scale, offset = constants[0], constants[1], constants[2], constants[3]
    for j in range(c):
        m1, m2 = 0.0, 0.0
        for t in range(CHUNKS):
            m1 += s1[t, j]
            m2 += s2[t, j]
        m1, m2 = m1 / n, m2 / n
        mean[j] = float64(x[0, j]) + m1
        var[j] = max(m2 - m1 * m1, 0.0)
        center[j] = mean[j]  # x - mean = (x - center) - resid, see the module docstring
        resid[j] = mean[j] - float64(center[j])
        scale[j] = float64(weight[j]) / math.sqrt(var[j] + eps)
        offset[j] = bias[j]
    for i in prange(n):
        for j in range(c):
            y[i, j] = ((x[i, j] - center[j]) - resid[j]) * scale[j] + offset[j]


@parallel_kernel
def _batchnorm_backward_cpu(g, x, weight, mean, var, eps, dx, dweight, dbias, sg, sgx, constants):
    n, c = x.shape
    center, resid, invstd = constants[0], constants[1], constants[2]
    a, b, k = constants[3], constants[4], constants[5]
    for j in range(c):
        center[j] = mean[j]
        resid[j] = mean[j] - float64(center[j])
        invstd[j] = 1.0 / math.sqrt(var[j] + eps)
    for t in prange(CHUNKS):  # sg, sgx: sums of g and g * xhat per chunk
        for i in range(t * n // CHUNKS, (t + 1) * n // CHUNKS):
            for j in range(c):
                gij = float64(g[i, j])
                sg[t, j] += gij
                sgx[t, j] += gij * (((x[i, j] - center[j]) - resid[j]) * invstd[j])
    for j in range(c):  # dx = w invstd (g - dbias / N - xhat dweight / N) = a g + b xhat + k
        total_g, total_gx = 0.0, 0.0
        for t in range(CHUNKS):
            total_g += sg[t, j]
            total_gx += sgx[t, j]
        dbias[j], dweight[j] = total_g, total_gx
        a64 = float64(weight[j]) / math.sqrt(var[j] + eps)
        a[j], b[j], k[j] = a64, -a64 * total_gx / n, -a64 * total_g / n
    for i in prange(n):
        for j in range(c):
            xhat = ((x[i, j] - center[j]) - resid[j]) * invstd[j]
            dx[i, j] = a[j] * g[i, j] + b[j] * xhat + k[j]


def batchnorm_forward_cpu(x, weight, bias, eps, y, mean, var) -> None:
    """y = weight * (x - mean) / sqrt(var + eps) + bias with the batch's mean and biased var: the
    Numba CPU version (C-contiguous arrays)."""
    x, y = c_contiguous(x, "x"), c_contiguous(y, "y")
    if x.shape[0]:
        c = x.shape[1]
        scratch = np.zeros((CHUNKS, c)), np.zeros((CHUNKS, c)), np.empty((4, c), x.dtype)
        _batchnorm_forward_cpu(x, weight, bias, float(eps), y, mean, var, *scratch)


def batchnorm_backward_cpu(g, x, weight, mean, var, eps, dx, dweight, dbias) -> None:
    """dx, dweight and dbias of batch normalization in training mode: the Numba CPU version
    (C-contiguous arrays)."""
    g, x, dx = c_contiguous(g, "g"), c_contiguous(x, "x"), c_contiguous(dx, "dx")
    c = x.shape[1]
    scratch = np.zeros((CHUNKS, c)), np.zeros((CHUNKS, c)), np.empty((6, c), x.dtype)
    _batchnorm_backward_cpu(g, x, weight, mean, var, float(eps), dx, dweight, dbias, *scratch)


# --------------------------------------------------------------------------- cuda
# One thread per feature: neighbouring threads read neighbouring columns of a row (coalesced).
# xhat is formed in float64, which GPUs of this class run at full memory speed.
@cuda.jit
def _batchnorm_forward_cuda(x, weight, bias, eps, y, mean, var):
    j = cuda.grid(1)
    n, c = x.shape
    if j >= c:
        return
    s1, s2 = 0.0, 0.0
    for i in range(n):
        d = float64(x[i, j]) - float64(x[0, j])
        s1 += d
        s2 += d * d
    m1 = s1 / n
    v = max(s2 / n - m1 * m1, 0.0)
    mu = x[0, j] + m1
    mean[j], var[j] = mu, v
    scale = weight[j] / math.sqrt(v + eps)
    for i in range(n):
        y[i, j] = (x[i, j] - mu) * scale + bias[j]


@cuda.jit
def _batchnorm_backward_cuda(g, x, weight, mean, var, eps, dx, dweight, dbias):
    j = cuda.grid(1)
    n, c = x.shape
    if j >= c:
        return
    invstd = 1.0 / math.sqrt(var[j] + eps)
    sg, sgx = 0.0, 0.0
    for i in range(n):
        sg += g[i, j]
        sgx += g[i, j] * (x[i, j] - mean[j]) * invstd
    dbias[j], dweight[j] = sg, sgx
    a = weight[j] * invstd
    for i in range(n):
        xhat = (x[i, j] - mean[j]) * invstd
        dx[i, j] = a * (g[i, j] - sg / n - xhat * sgx / n)


def _features_grid(c: int) -> int:
    return (c + THREADS - 1) // THREADS


def batchnorm_forward_cuda(x, weight, bias, eps, y, mean, var) -> None:
    """y = weight * (x - mean) / sqrt(var + eps) + bias with the batch's mean and biased var: the
    numba.cuda version (C-contiguous NumPy or CuPy arrays)."""
    x, y = c_contiguous(x, "x"), c_contiguous(y, "y")
    if x.size:
        _batchnorm_forward_cuda[_features_grid(x.shape[1]), THREADS, stream_for(x)](
            x, weight, bias, float(eps), y, mean, var
        )


def batchnorm_backward_cuda(g, x, weight, mean, var, eps, dx, dweight, dbias) -> None:
    """dx, dweight and dbias of batch normalization in training mode: the numba.cuda version
    (C-contiguous NumPy or CuPy arrays)."""
    g, x, dx = c_contiguous(g, "g"), c_contiguous(x, "x"), c_contiguous(dx, "dx")
    if x.size:
        _batchnorm_backward_cuda[_features_grid(x.shape[1]), THREADS, stream_for(x)](
            g, x, weight, mean, var, float(eps), dx, dweight, dbias
        )
