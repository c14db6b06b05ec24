"""ReLU then dropout in one pass: the tail that batch normalization's fused op runs on its output.

Forward, per element i of v (batch normalization's output), the float operations of the unfused
ReLU (np.maximum(v, 0): NaN passes, -0 becomes +0) and dropout (kernels/dropout.py), in order:
    r_i    = v_i if v_i > 0 or v_i is NaN, else +0
    keep_i = bits(key, i) >= p * 2^32     (always true for p = 0, where no bits are drawn)
    y_i    = r_i / (1 - p) if keep_i, else +0          (scale 0 for p = 1)
    mask_i = keep_i + 2 * (v_i > 0)      (one byte: bit 0 kept, bit 1 positive)
Backward, with g = dL/dy, again the unfused order (dropout's backward, then ReLU's g * positive):
    d_i  = g_i / (1 - p) if keep_i, else +0
    dv_i = d_i * (1 if positive_i else 0)
So a seed gives the same bits with the fusion on or off; p = 0 is the plain BN + ReLU tail.

Three versions of the same math, each with its dropout family's float operations (dropout's
reference writes x * 0 where the compiled versions write +0, which differ for inf and NaN, or in
the sign of a zero gradient): `*_reference` (NumPy, any memory layout), `*_cpu` (Numba) and
`*_cuda` (numba.cuda), which take C-contiguous arrays (kernels/_layout.py). The forward's
output may be its input, but on the CPU a separate output is ~3x faster: with x and y aliased,
LLVM's overlap check sends the loop to its scalar (unvectorized) version.
"""

from __future__ import annotations

import numpy as np
from numba import cuda, prange

from ._cpu import cpu_inline, parallel_kernel
from ._cuda import THREADS, cuda_inline, grid, read_only, stream_for
from ._layout import flat, flat_out
from .dropout import _scale
from .rng import random_bits_cpu, random_bits_cuda, random_bits_reference, threshold_32

KEPT, POSITIVE = 1, 2  # the mask's bits


# --------------------------------------------------------------------------- reference
# The operations of np.maximum(x, 0), then of dropout's reference (kernels/dropout.py), so that
# for any array this equals the unfused layers on the reference kernels bit for bit too
# (`tinyreg.device` gives small arrays the references).
def relu_dropout_forward_reference(x, y, mask, p: float, key: int) -> None:
    """y = relu(x) * keep / (1 - p) and the mask (bit 0 kept, bit 1 x > 0): the NumPy reference
    (any memory layout)."""
    threshold = threshold_32(p)
    keep = np.ones(x.shape, bool)
    if threshold:  # element i of the C-order walk, whatever the layout
        keep = (random_bits_reference(key, np.arange(x.size)) >= threshold).reshape(x.shape)
    mask[...] = keep * KEPT + (x > 0) * POSITIVE
    y[...] = np.maximum(x, 0) * keep * x.dtype.type(_scale(p))


def relu_dropout_backward_reference(g, mask, p: float, dx) -> None:
    """dx = (g * keep / (1 - p)) * positive: the NumPy reference (any memory layout)."""
    dx[...] = g * (mask & KEPT) * g.dtype.type(_scale(p)) * ((mask & POSITIVE) > 0)


# --------------------------------------------------------------------------- per element
def _forward_element(v, keep, scale):
    """(y, mask byte) of one element, given its keep decision (`&`, `|` and a select, no
    branches: the loop vectorizes)."""
    positive = v > 0
    passes = keep & (positive | (v != v))
    code = np.uint8(keep) + np.uint8(positive) * np.uint8(POSITIVE)
    return (v * scale if passes else 0.0), code


def _backward_element(g, code, scale):
    """The gradient of one element from its mask byte: dropout's backward, then ReLU's."""
    dropped = g * scale if code & KEPT else 0.0
    return dropped * (1.0 if code & POSITIVE else 0.0)


_forward_cpu, _forward_cuda = cpu_inline(_forward_element), cuda_inline(_forward_element)
_backward_cpu, _backward_cuda = cpu_inline(_backward_element), cuda_inline(_backward_element)


# --------------------------------------------------------------------------- cpu
@parallel_kernel
def _relu_dropout_forward_cpu(x, y, mask, threshold, key, scale):
    for i in prange(x.size):
        keep = threshold == 0 or random_bits_cpu(key, np.uint64(i)) >= threshold
        y[i], mask[i] = _forward_cpu(x[i], keep, scale)


@parallel_kernel
def _relu_dropout_backward_cpu(g, mask, scale, dx):
    for i in prange(g.size):
        dx[i] = _backward_cpu(g[i], mask[i], scale)


def _arguments(p: float, key: int, dtype) -> tuple:
    """The kernels' constants: the 32-bit threshold, the key and the scale 1 / (1 - p)."""
    return np.uint64(threshold_32(p)), np.uint64(key), dtype.type(_scale(p))


def relu_dropout_forward_cpu(x, y, mask, p: float, key: int) -> None:
    """y = relu(x) * keep / (1 - p) and the mask (bit 0 kept, bit 1 x > 0): the Numba CPU version
    (C-contiguous arrays; y may be x)."""
    _relu_dropout_forward_cpu(flat(x, "x"), flat_out(y, "y"), flat_out(mask, "mask"),
                              *_arguments(p, key, x.dtype))  # fmt: skip


def relu_dropout_backward_cpu(g, mask, p: float, dx) -> None:
    """dx = (g / (1 - p) where kept, else 0) * positive: the Numba CPU version (C-contiguous
    arrays)."""
    _relu_dropout_backward_cpu(flat(g, "g"), flat(mask, "mask"), g.dtype.type(_scale(p)),
                               flat_out(dx, "dx"))  # fmt: skip


# --------------------------------------------------------------------------- cuda
@cuda.jit
def _relu_dropout_forward_cuda(x, y, mask, threshold, key, scale):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        keep = threshold == 0 or random_bits_cuda(key, np.uint64(i)) >= threshold
        y[i], mask[i] = _forward_cuda(x[i], keep, scale)


@cuda.jit
def _relu_dropout_backward_cuda(g, mask, scale, dx):
    for i in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        dx[i] = _backward_cuda(g[i], mask[i], scale)


def relu_dropout_forward_cuda(x, y, mask, p: float, key: int) -> None:
    """y = relu(x) * keep / (1 - p) and the mask (bit 0 kept, bit 1 x > 0): the numba.cuda
    version (C-contiguous NumPy or CuPy arrays; y may be x)."""
    arrays = read_only(flat(x, "x")), flat_out(y, "y"), flat_out(mask, "mask")
    if x.size:
        _relu_dropout_forward_cuda[grid(x.size), THREADS, stream_for(x)](
            *arrays, *_arguments(p, key, x.dtype)
        )


def relu_dropout_backward_cuda(g, mask, p: float, dx) -> None:
    """dx = (g / (1 - p) where kept, else 0) * positive: the numba.cuda version (C-contiguous
    NumPy or CuPy arrays)."""
    g1, mask1 = read_only(flat(g, "g")), read_only(flat(mask, "mask"))
    dx1 = flat_out(dx, "dx")
    if g.size:
        _relu_dropout_backward_cuda[grid(g.size), THREADS, stream_for(g)](
            g1, mask1, g.dtype.type(_scale(p)), dx1
        )
