"""Per-unit (group) norms and rescaling: the kernels of the group lasso and of MaxNorm.

w is 2-D; a group is a column (`columns=True`: a Dense weight (in, out), one group per output
unit) or a row (`columns=False`: a Conv2d weight seen as (out, in * kh * kw), one group per
filter).

    group_norms(w):           norms[g] = sqrt(sum over the group of w^2)     (float64)
    group_scale(w, f):        w[group g] *= f[g]                              (in place)
    group_add_scaled(w, g, f): grad[group g] += f[g] * w[group g]             (in place)

The penalty and constraint formulas (reg.py) are built from these: the group-lasso proximal
step is group_scale with f = max(0, 1 - lr * lam * sqrt(|g|) / norm), its gradient
group_add_scaled with f = lam * sqrt(|g|) / norm, MaxNorm's projection group_scale with
f = min(norm, max_value) / (norm + 1e-7) (Keras's formula).

Three versions of the same math: `*_reference` (NumPy, any memory layout), `*_cpu` (Numba) and
`*_cuda` (numba.cuda, one thread per group for the norms, per element for the updates), which
take C-contiguous arrays.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, float64, njit, prange

from ._cpu import FASTMATH, parallel_kernel
from ._cuda import THREADS, grid, read_only, stream_for
from ._layout import c_contiguous


# --------------------------------------------------------------------------- reference
def group_norms_reference(w, columns: bool, norms) -> None:
    """norms[g] = ||w_g||_2 in float64, a group per column or per row: the NumPy reference."""
    norms[...] = np.sqrt((w.astype(np.float64) ** 2).sum(axis=0 if columns else 1))


def group_scale_reference(w, columns: bool, factors) -> None:
    """w_g *= factors[g], in place: the NumPy reference (any memory layout)."""
    f = factors.astype(w.dtype)
    w *= f[None, :] if columns else f[:, None]


def group_add_scaled_reference(w, g, columns: bool, factors) -> None:
    """g_g += factors[g] * w_g, in place: the NumPy reference (any memory layout)."""
    f = factors.astype(w.dtype)
    g += (f[None, :] if columns else f[:, None]) * w


# --------------------------------------------------------------------------- cpu
@njit(cache=True, fastmath=FASTMATH)  # serial: column sums accumulate across rows
def _group_norms_cpu(w, columns, norms):
    rows, cols = w.shape
    norms[:] = 0.0
    for i in range(rows):
        for j in range(cols):
            x = float64(w[i, j])
            norms[j if columns else i] += x * x
    for k in range(norms.size):
        norms[k] = math.sqrt(norms[k])


@parallel_kernel
def _group_scale_cpu(w, columns, factors):
    rows, cols = w.shape
    for i in prange(rows):
        if columns:
            for j in range(cols):
                w[i, j] *= factors[j]
        else:
            f = factors[i]
            for j in range(cols):
                w[i, j] *= f


@parallel_kernel
def _group_add_scaled_cpu(w, g, columns, factors):
    rows, cols = w.shape
    for i in prange(rows):
        if columns:
            for j in range(cols):
                g[i, j] += factors[j] * w[i, j]
        else:
            f = factors[i]
            for j in range(cols):
                g[i, j] += f * w[i, j]


def _checked(w, factors, dtype=None):
    return c_contiguous(w, "w"), factors.astype(dtype or w.dtype)


def group_norms_cpu(w, columns: bool, norms) -> None:
    """norms[g] = ||w_g||_2 in float64: the Numba CPU version (C-contiguous arrays)."""
    _group_norms_cpu(c_contiguous(w, "w"), bool(columns), c_contiguous(norms, "norms"))


def group_scale_cpu(w, columns: bool, factors) -> None:
    """w_g *= factors[g], in place: the Numba CPU version (C-contiguous arrays)."""
    w, f = _checked(w, factors)
    _group_scale_cpu(w, bool(columns), f)


def group_add_scaled_cpu(w, g, columns: bool, factors) -> None:
    """g_g += factors[g] * w_g, in place: the Numba CPU version (C-contiguous arrays)."""
    w, f = _checked(w, factors)
    _group_add_scaled_cpu(w, c_contiguous(g, "g"), bool(columns), f)


# --------------------------------------------------------------------------- cuda
@cuda.jit
def _group_norms_cuda(w, columns, norms):
    rows, cols = w.shape
    for k in range(cuda.grid(1), norms.size, cuda.gridsize(1)):
        total = 0.0
        for e in range(rows if columns else cols):
            x = float64(w[e, k] if columns else w[k, e])
            total += x * x
        norms[k] = math.sqrt(total)


@cuda.jit
def _group_scale_cuda(w, columns, factors):
    rows, cols = w.shape
    for e in range(cuda.grid(1), rows * cols, cuda.gridsize(1)):
        i, j = e // cols, e % cols
        w[i, j] *= factors[j if columns else i]


@cuda.jit
def _group_add_scaled_cuda(w, g, columns, factors):
    rows, cols = w.shape
    for e in range(cuda.grid(1), rows * cols, cuda.gridsize(1)):
        i, j = e // cols, e % cols
        g[i, j] += factors[j if columns else i] * w[i, j]


def group_norms_cuda(w, columns: bool, norms) -> None:
    """norms[g] = ||w_g||_2 in float64: the numba.cuda version (C-contiguous arrays)."""
    w, norms = c_contiguous(w, "w"), c_contiguous(norms, "norms")
    if norms.size:
        _group_norms_cuda[grid(norms.size), THREADS, stream_for(w)](read_only(w), bool(columns),
                                                                    norms)  # fmt: skip


def group_scale_cuda(w, columns: bool, factors) -> None:
    """w_g *= factors[g], in place: the numba.cuda version (C-contiguous arrays)."""
    w, f = _checked(w, factors)
    if w.size:
        _group_scale_cuda[grid(w.size), THREADS, stream_for(w)](w, bool(columns), read_only(f))


def group_add_scaled_cuda(w, g, columns: bool, factors) -> None:
    """g_g += factors[g] * w_g, in place: the numba.cuda version (C-contiguous arrays)."""
    w, f = _checked(w, factors)
    g = c_contiguous(g, "g")
    if w.size:
        _group_add_scaled_cuda[grid(w.size), THREADS, stream_for(w)](
            read_only(w), g, bool(columns), read_only(f)
        )
