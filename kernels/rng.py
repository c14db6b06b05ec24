"""Counter-based random numbers shared by the CPU and GPU kernels.

A random value is a pure function of (key, element index): bits(i) = mix(key + i * GOLDEN), with
mix the splitmix64 finalizer (Steele, Lea & Flood, 2014) and key = mix(seed ^ mix(stream)). There is
no generator state to advance, so any thread can compute any element: the same seed gives the same
numbers on one thread, on many, and on the GPU.
"""

from __future__ import annotations

import numpy as np

from ._cpu import cpu_inline
from ._cuda import cuda_inline

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
MIX1, MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def mix_int(z: int) -> int:
    """splitmix64's finalizer on Python ints (host side)."""
    z &= MASK64
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    return z ^ (z >> 31)


def stream_key(seed: int, stream: int) -> int:
    """The 64-bit key of one (seed, stream) pair; a kernel adds the element index to it."""
    return mix_int(seed ^ mix_int(stream))


def threshold_32(probability: float) -> int:
    """An integer t with P(top 32 bits < t) = probability (exact for multiples of 2^-32)."""
    return int(round(probability * 2.0**32))


def random_bits_reference(key: int, index: np.ndarray) -> np.ndarray:
    """The top 32 bits of mix(key + index * GOLDEN), vectorized with NumPy's wrapping uint64."""
    z = np.uint64(key) + index.astype(np.uint64) * np.uint64(GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    return (z ^ (z >> np.uint64(31))) >> np.uint64(32)


def _random_bits(key, index):
    """The same function per element, for the compiled kernels (key and index are uint64)."""
    z = key + index * np.uint64(GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    return (z ^ (z >> np.uint64(31))) >> np.uint64(32)


random_bits_cpu, random_bits_cuda = cpu_inline(_random_bits), cuda_inline(_random_bits)
