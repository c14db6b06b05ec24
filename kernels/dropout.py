"""Dropout with counter-based masks, forward and backward.

    keep_i = bits(key, i) >= p * 2^32      (so P(keep) = 1 - p; bits from kernels/rng.py)
    y_i    = x_i * keep_i / (1 - p)
    dx_i   = g_i * keep_i / (1 - p)

The forward draws the mask and scales in one pass and stores the mask as one byte per element; the
backward reuses it. p = 1 keeps nothing (scale 0, no division by zero).

Three versions of the same math: `*_reference` (NumPy, any memory layout), `*_cpu` (Numba) and
`*_cuda` (numba.cuda), which take C-contiguous arrays (kernels/_layout.py).
"""

from __future__ import annotations

import numpy as np
from numba import cuda, prange

from ._cpu import parallel_kernel
from ._cuda import THREADS, grid, read_only, stream_for
from ._layout import flat, flat_out
from .rng import random_bits_cpu, random_bits_cuda, random_bits_reference, threshold_32


def _scale(p: float) -> float:
    return 0.0 if p >= 1 else 1.0 / (1.0 - p)


# --------------------------------------------------------------------------- reference
def dropout_forward_reference(x, y, mask, p: float, key: int) -> None:
    """y = x * keep / (1 - p) with keep = bits(key, i) >= p * 2^32, and the mask: the NumPy
    reference (any memory layout)."""
    keep = random_bits_reference(key, np.arange(x.size)) >= threshold_32(p)
    keep = keep.reshape(x.shape)  # element i of the C-order walk, whatever the layout
    mask[...] = keep
    y[...] = x * keep * x.dtype.type(_scale(p))


def dropout_backward_reference(g, mask, p: float, dx) -> None:
    """dx = g * mask / (1 - p): the NumPy reference (any memory layout)."""
    dx[...] = g * mask * g.dtype.type(_scale(p))


# --------------------------------------------------------------------------- cpu
@parallel_kernel
def _dropout_forward_cpu(x, y, mask, threshold, key, scale):
    for i in prange(x.size):
        keep = random_bits_cpu(key, np.uint64(i)) >= threshold
        mask[i] = keep
        y[i] = x[i] * scale if keep else 0


@parallel_kernel
def _dropout_backward_cpu(g, mask, scale, dx):
    for i in prange(g.size):
        dx[i] = g[i] * scale if mask[i] else 0


def dropout_forward_cpu(x, y, mask, p: float, key: int) -> None:
    """y = x * keep / (1 - p) with keep = bits(key, i) >= p * 2^32, and the mask: the Numba CPU
    version (C-contiguous arrays)."""
    threshold, scale = np.uint64(threshold_32(p)), x.dtype.type(_scale(p))
    _dropout_forward_cpu(flat(x, "x"), flat_out(y, "y"), flat_out(mask, "mask"), threshold,
                         np.uint64(key), scale)  # fmt: skip


def dropout_backward_cpu(g, mask, p: float, dx) -> None:
    """dx = g * mask / (1 - p): the Numba CPU version (C-contiguous arrays)."""
    scale = g.dtype.type(_scale(p))
    _dropout_backward_cpu(flat(g, "g"), flat(mask, "mask"), scale, flat_out(dx, "dx"))


# --------------------------------------------------------------------------- cuda
@cuda.jit
def _dropout_forward_cuda(x, y, mask, threshold, key, scale):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        keep = random_bits_cuda(key, np.uint64(i)) >= threshold
        mask[i] = keep
        y[i] = x[i] * scale if keep else 0


@cuda.jit
def _dropout_backward_cuda(g, mask, scale, dx):
    for i in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        dx[i] = g[i] * scale if mask[i] else 0


def dropout_forward_cuda(x, y, mask, p: float, key: int) -> None:
    """y = x * keep / (1 - p) with keep = bits(key, i) >= p * 2^32, and the mask: the numba.cuda
    version (C-contiguous NumPy or CuPy arrays)."""
    arrays = read_only(flat(x, "x")), flat_out(y, "y"), flat_out(mask, "mask")
    if x.size:
        _dropout_forward_cuda[grid(x.size), THREADS, stream_for(x)](
            *arrays, np.uint64(threshold_32(p)),
            np.uint64(key), x.dtype.type(_scale(p)),
        )  # fmt: skip


def dropout_backward_cuda(g, mask, p: float, dx) -> None:
    """dx = g * mask / (1 - p): the numba.cuda version (C-contiguous NumPy or CuPy arrays)."""
    g1, mask1 = read_only(flat(g, "g")), read_only(flat(mask, "mask"))
    dx1 = flat_out(dx, "dx")
    if g.size:
        _dropout_backward_cuda[grid(g.size), THREADS, stream_for(g)](
            g1, mask1, g.dtype.type(_scale(p)), dx1
        )
