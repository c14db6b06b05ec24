"""Compiling CPU kernels: one Python body, two compiled versions.

`parallel_kernel(fn)` compiles `fn` once serially and once with `parallel=True` (its `prange` loops
spread over threads). Small arrays take the serial version, which skips the thread pool's start-up
cost (microseconds that dominate a step of a small model); large arrays take the parallel one.
Both are `cache=True`, so a new process loads them from disk instead of compiling again, and
`nogil=True`: several Python threads (tinyreg's tiles, tinyreg/threads.py) run them side by side.
"""

from __future__ import annotations

import types
from collections.abc import Callable

from numba import njit

# Elements below which one thread wins. In a training step the kernels run between BLAS calls;
# OpenBLAS's threads still spin for a while after each product and Numba's OpenMP threads did
# after each parallel kernel, so the two pools fought for the cores (a 784-2048-2048-10 step on
# 2 cores: 190 ms with 2^22, 143 ms with 2^24). With OpenMP's idle threads asleep
# (OMP_WAIT_POLICY=PASSIVE, set by `import tinyreg` unless the user set it) and convolutions
# multiplying on one BLAS thread per tile, kernels go parallel from 2^20 elements (4 MiB):
# measured on the 2-core EPYC, 2026-12-07, `tinyreg bench train` steps in alternating fresh
# processes, against 2^24: C 0.61x, M 0.78x, L and 784-2048-2048-10 0.94-1.0x (noise); 2^18 made
# C 1.2x slower than 2^20.
PARALLEL_MIN_SIZE = 1 << 20


def _renamed(fn: Callable, suffix: str) -> Callable:
    """A copy of fn with its own name, so the two compiled versions get separate cache files."""
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + suffix, fn.__defaults__)
    copy.__qualname__ = fn.__qualname__ + suffix
    copy.__module__ = fn.__module__
    return copy


# Reductions may be reassociated (so sums vectorize); NaN and Inf keep their IEEE meaning, so a
# diverging run still shows up as a NaN loss.
FASTMATH = {"reassoc", "contract"}


def parallel_kernel(fn: Callable | None = None, *, min_size: int = PARALLEL_MIN_SIZE) -> Callable:
    """Dispatch on the size of the first argument: serial below `min_size`, else parallel.

    Use as `@parallel_kernel` or `@parallel_kernel(min_size=...)`."""
    if fn is None:
        return lambda f: parallel_kernel(f, min_size=min_size)
    serial = njit(cache=True, nogil=True, fastmath=FASTMATH)(_renamed(fn, "_serial"))
    parallel = njit(cache=True, nogil=True, parallel=True, fastmath=FASTMATH)(
        _renamed(fn, "_parallel")
    )

    def dispatch(*args):
        return (parallel if args[0].size >= min_size else serial)(*args)

    dispatch.__name__, dispatch.__qualname__ = fn.__name__, fn.__qualname__
    dispatch.__doc__ = fn.__doc__
    dispatch.serial, dispatch.parallel = serial, parallel
    return dispatch


def cpu_inline(fn: Callable) -> Callable:
    """Compile a per-element helper for the CPU kernels (inlined into the caller)."""
    return njit(inline="always", cache=True)(fn)
