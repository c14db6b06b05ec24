"""Counter-based standard normal numbers, for Gaussian noise and Gaussian dropout.

    u1 = (bits(key, 2k) + 1) / 2^32 in (0, 1],  u2 = bits(key, 2k + 1) / 2^32 in [0, 1)
    out[2k] = sqrt(-2 ln u1) * cos(2 pi u2),  out[2k + 1] = sqrt(-2 ln u1) * sin(2 pi u2)
                                                        (Box-Muller: both values of each pair)

with bits from kernels/rng.py, so element i is a pure function of (key, i // 2): the same numbers on
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
    pair = np.arange(out.size, dtype=np.uint64) // np.uint64(2)
    u1 = (random_bits_reference(key, 2 * pair).astype(np.float64) + 1.0) * _SCALE
    u2 = random_bits_reference(key, 2 * pair + 1).astype(np.float64) * _SCALE
    angle = 2.0 * np.pi * u2
    odd = (np.arange(out.size) % 2).astype(bool)
    values = np.sqrt(-2.0 * np.log(u1)) * np.where(odd, np.sin(angle), np.cos(angle))
    out[...] = values.reshape(out.shape)


def _box_muller(bits1, bits2):
    """(r cos(theta), r sin(theta)) from two 32-bit draws."""
    u1 = (float64(bits1) + 1.0) * _SCALE
    u2 = float64(bits2) * _SCALE
    r = math.sqrt(-2.0 * math.log(u1))
    return r * math.cos(2.0 * math.pi * u2), r * math.sin(2.0 * math.pi * u2)


_box_muller_cpu, _box_muller_cuda = cpu_inline(_box_muller), cuda_inline(_box_muller)


@parallel_kernel
def _normal_fill_cpu(out, key):
    for k in prange((out.size + 1) // 2):
        j = np.uint64(2 * k)
        first, second = _box_muller_cpu(random_bits_cpu(key, j),
                                         random_bits_cpu(key, j + np.uint64(1)))  # fmt: skip
        out[2 * k] = first
        if 2 * k + 1 < out.size:
            out[2 * k + 1] = second


def normal_fill_cpu(out, key: int) -> None:
    """out[i] = the i-th standard normal of the stream `key`: the Numba CPU version."""
    _normal_fill_cpu(flat_out(out, "out"), np.uint64(key))


@cuda.jit
def _normal_fill_cuda(out, key):
    for k in range(cuda.grid(1), (out.size + 1) // 2, cuda.gridsize(1)):
        j = np.uint64(2 * k)
        first, second = _box_muller_cuda(random_bits_cuda(key, j),
                                          random_bits_cuda(key, j + np.uint64(1)))  # fmt: skip
        out[2 * k] = first
        if 2 * k + 1 < out.size:
            out[2 * k + 1] = second


def normal_fill_cuda(out, key: int) -> None:
    """out[i] = the i-th standard normal of the stream `key`: the numba.cuda version."""
    flat = flat_out(out, "out")
    if flat.size:
        pairs = (flat.size + 1) // 2
        _normal_fill_cuda[grid(pairs), THREADS, stream_for(out)](flat, np.uint64(key))
