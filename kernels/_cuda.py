"""Launching CUDA kernels on NumPy arrays (Numba's simulator, tests) or CuPy arrays (a real GPU).

Kernels read device memory through `__cuda_array_interface__` and run on CuPy's current stream, so
a GPU training step makes no host copies. Reductions write into a one-element device array that the
caller keeps on the device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import config, cuda

# Threads per block (a power of two, for the shared-memory tree reduction) and the most blocks a
# grid-stride loop uses. The simulator runs one Python thread per GPU thread, so it gets a small
# grid; the kernels are written for any grid, and the tests still cover several blocks.
THREADS = 64 if config.ENABLE_CUDASIM else 256
MAX_BLOCKS = 3 if config.ENABLE_CUDASIM else 1024

_streams: dict[int, Any] = {}


def grid(size: int) -> int:
    """Blocks for a grid-stride loop over `size` elements."""
    return max(1, min(MAX_BLOCKS, (size + THREADS - 1) // THREADS))


def stream_for(array: Any) -> Any:
    """CuPy's current stream for CuPy arrays, the default stream (0) otherwise."""
    if isinstance(array, np.ndarray):
        return 0
    import cupy

    pointer = cupy.cuda.get_current_stream().ptr
    if pointer not in _streams:
        _streams[pointer] = cuda.external_stream(pointer) if pointer else cuda.default_stream()
    return _streams[pointer]


def zeros_like_device(array: Any, size: int, dtype: Any) -> Any:
    """A zeroed array on the same device as `array` (NumPy under the simulator)."""
    if isinstance(array, np.ndarray):
        return np.zeros(size, dtype=dtype)
    import cupy

    return cupy.zeros(size, dtype=dtype)


def _block_sum_to(out, partial, value):
    """Tree-reduce one value per thread in shared memory; thread 0 adds the block sum to out[0]."""
    tid = cuda.threadIdx.x
    partial[tid] = value
    cuda.syncthreads()
    stride = cuda.blockDim.x // 2
    while stride > 0:
        if tid < stride:
            partial[tid] += partial[tid + stride]
        cuda.syncthreads()
        stride //= 2
    if tid == 0:
        cuda.atomic.add(out, 0, partial[0])


def block_sum_to(kernel_globals: dict) -> Callable:
    """The block reduction compiled with the calling kernel module's globals.

    Numba's CUDA simulator swaps the `cuda` name only in the globals of the kernel being run;
    a device function that reads `cuda` from another module's globals races with other simulated
    threads. Binding the helper to the kernel module's globals avoids that; on a GPU it changes
    nothing.
    """
    import types

    bound = types.FunctionType(_block_sum_to.__code__, kernel_globals, "block_sum_to")
    return cuda.jit(device=True)(bound)


def cuda_inline(fn: Callable) -> Callable:
    """Compile a per-element helper for the CUDA kernels (a device function)."""
    return cuda.jit(device=True)(fn)


def read_only(array: Any) -> Any:
    """A kernel input: a host (NumPy) array is sent to the device and not copied back, so a
    read-only input works; a device array passes through."""
    return cuda.In(array) if isinstance(array, np.ndarray) else array
