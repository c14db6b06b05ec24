"""Compiling CPU kernels: one Python body, two compiled versions.

`parallel_kernel(fn)` compiles `fn` once serially and once with `parallel=True` (its `prange` loops
spread over threads). Small arrays take the serial version, which skips the thread pool's start-up
cost (microseconds that dominate a step of a small model); large arrays take the parallel one.
Both are `cache=True`, so a new process loads them from disk instead of compiling again.
"""

from __future__ import annotations

import types
from collections.abc import Callable

from numba import njit

PARALLEL_MIN_SIZE = 1 << 22  # elements; below this one thread is faster than waking the pool


def _renamed(fn: Callable, suffix: str) -> Callable:
    """A copy of fn with its own name, so the two compiled versions get separate cache files."""
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + suffix, fn.__defaults__)
    copy.__qualname__ = fn.__qualname__ + suffix
    copy.__module__ = fn.__module__
    return copy


# Reductions may be reassociated (so sums vectorize); NaN and Inf keep their IEEE meaning, so a
# diverging run still shows up as a NaN loss.
FASTMATH = {"reassoc", "contract"}


def parallel_kernel(fn: Callable) -> Callable:
    """Dispatch on the size of the first argument: serial below PARALLEL_MIN_SIZE, else parallel."""
    serial = njit(cache=True, fastmath=FASTMATH)(_renamed(fn, "_serial"))
    parallel = njit(cache=True, parallel=True, fastmath=FASTMATH)(_renamed(fn, "_parallel"))

    def dispatch(*args):
        return (parallel if args[0].size >= PARALLEL_MIN_SIZE else serial)(*args)

    dispatch.__name__, dispatch.__qualname__, dispatch.__doc__ = (
        fn.__name__,
        fn.__qualname__,
        fn.__doc__,
    )
    dispatch.serial, dispatch.parallel = serial, parallel
    return dispatch


def cpu_inline(fn: Callable) -> Callable:
    """Compile a per-element helper for the CPU kernels (inlined into the caller)."""
    return njit(inline="always", cache=True)(fn)
