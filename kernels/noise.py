"""Counter-based standard normal numbers, for Gaussian noise and Gaussian dropout.

    u1 = (bits(key, 2i) + 1) / 2^32 in (0, 1],  u2 = bits(key, 2i + 1) / 2^32 in [0, 1)
    out[i] = sqrt(-2 ln u1) * cos(2 pi u2)                       (Box-Muller, one value per pair)

with bits from kernels/rng.py, so element i is a pure function of (key, i): the same numbers on
one thread, on many and on the GPU. Values are computed in float64 and stored in out's dtype.

Three versions of the same math: `*_reference` (NumPy), `*_cpu` (Numba) and `*_cuda`
(numba.cuda); the compiled ones take C-contiguous arrays.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, float64, prange

from ._cpu import cpu_inline, parallel_kernel
from ._cuda import THREADS, cuda_inline, grid, stream_for
from ._layout import flat_out
from .rng import random_bits_cpu, random_bits_cuda, random_bits_reference

_SCALE = 1.0 / 2.0**32


def normal_fill_reference(out, key: int) -> None:
    """out[i] = the i-th standard normal of the stream `key`: the NumPy reference."""
    index = np.arange(out.size, dtype=np.uint64)
    u1 = (random_bits_reference(key, 2 * index).astype(np.float64) + 1.0) * _SCALE
    u2 = random_bits_reference(key, 2 * index + 1).astype(np.float64) * _SCALE
    out[...] = (np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)).reshape(out.shape)


def _box_muller(bits1, bits2):
    u1 = (float64(bits1) + 1.0) * _SCALE
    u2 = float64(bits2) * _SCALE
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


_box_muller_cpu, _box_muller_cuda = cpu_inline(_box_muller), cuda_inline(_box_muller)


@parallel_kernel
def _normal_fill_cpu(out, key):
    for i in prange(out.size):
        k = np.uint64(2 * i)
        out[i] = _box_muller_cpu(random_bits_cpu(key, k), random_bits_cpu(key, k + np.uint64(1)))


def normal_fill_cpu(out, key: int) -> None:
    """out[i] = the i-th standard normal of the stream `key`: the Numba CPU version."""
    _normal_fill_cpu(flat_out(out, "out"), np.uint64(key))


@cuda.jit
def _normal_fill_cuda(out, key):
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        k = np.uint64(2 * i)
        out[i] = _box_muller_cuda(random_bits_cuda(key, k),
                                  random_bits_cuda(key, k + np.uint64(1)))  # fmt: skip


def normal_fill_cuda(out, key: int) -> None:
    """out[i] = the i-th standard normal of the stream `key`: the numba.cuda version."""
    flat = flat_out(out, "out")
    if flat.size:
        _normal_fill_cuda[grid(flat.size), THREADS, stream_for(out)](flat, np.uint64(key))
