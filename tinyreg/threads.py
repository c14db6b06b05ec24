"""Threads: how many cores tinyreg's CPU work takes, and independent tiles of work spread on them.

`get_num_threads` / `set_num_threads` are PyTorch's: the threads of one operation. tinyreg's CPU
work runs in three pools, which `set_num_threads(n)` sets together: NumPy's BLAS (the matrix
products, through threadpoolctl), Numba's (the `prange` loops of the kernels) and the tile pool
here. `get_num_threads()` reads the BLAS setting, so a limit set from outside
(`threadpoolctl.threadpool_limits`, OPENBLAS_NUM_THREADS, OMP_NUM_THREADS) counts too.

`map_tiles(fn, tiles)` runs `fn(first, stop)` for every tile of a split of the batch (the
convolution's tiles of images) and returns the results in tile order. With n threads, the calling
thread and n - 1 pool threads take the next tile until none is left, each tile on one core: its
matrix products run with BLAS on one thread (set for the duration, put back after), its Numba
kernels release the GIL, and NumPy's loops do too. A tile's result does not depend on which thread
ran it, and sums over tiles are the caller's, in tile order: the same bits on any thread count.
(BLAS's own threads split a product differently for 1 and 2 threads and round differently; a tile
never sees them.)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_tile = threading.local()  # .inside: this thread runs a tile now (a nested map_tiles runs serially)
_state: dict[str, Any] = {"blas": None, "pool": None, "inside": 0, "saved": 1}


def _blas() -> list:
    """threadpoolctl's controllers of the loaded BLAS libraries (found once)."""
    if _state["blas"] is None:
        from threadpoolctl import ThreadpoolController

        _state["blas"] = ThreadpoolController().select(user_api="blas").lib_controllers
    return _state["blas"]


def get_num_threads() -> int:
    """The threads tinyreg's CPU operations use (PyTorch's torch.get_num_threads): the BLAS
    library's setting, or the machine's cores when no BLAS library reports one."""
    counts = [lib.num_threads for lib in _blas()]
    return max(counts) if counts else os.cpu_count() or 1


def set_num_threads(n: int) -> None:
    """Use `n` threads for tinyreg's CPU operations (PyTorch's torch.set_num_threads): NumPy's
    BLAS, Numba's kernels (at most NUMBA_NUM_THREADS, fixed when Numba starts) and the tiles of
    `map_tiles`.

    Coming from PyTorch: the setting is the process's, as PyTorch's is; Numba's part of it is the
    calling thread's (Numba keeps it per thread). An `n` that is not a positive int is a
    ValueError (PyTorch raises RuntimeError)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    import numba

    for lib in _blas():
        lib.set_num_threads(n)
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))


@contextmanager
def _one_blas_thread():
    """BLAS on one thread while any map_tiles runs (in any thread); yields the thread count it
    had before, which the tiles then use."""
    with _lock:
        if _state["inside"] == 0:
            _state["saved"] = get_num_threads()
            for lib in _blas():
                lib.set_num_threads(1)
        _state["inside"] += 1
        threads = _state["saved"]
    try:
        yield threads
    finally:
        with _lock:
            _state["inside"] -= 1
            if _state["inside"] == 0:
                for lib in _blas():
                    lib.set_num_threads(_state["saved"])


def _pool() -> ThreadPoolExecutor:
    if _state["pool"] is None:
        _state["pool"] = ThreadPoolExecutor(max(1, (os.cpu_count() or 2) - 1), "tinyreg-tiles")
    return _state["pool"]


def _forget_pool() -> None:
    """A forked child has none of its parent's threads: it starts a pool of its own."""
    _state["pool"], _state["inside"] = None, 0


os.register_at_fork(after_in_child=_forget_pool)


def map_tiles(fn: Callable[[int, int], Any], tiles: Sequence[tuple[int, int]]) -> list:
    """[fn(first, stop) for each tile], computed on `get_num_threads()` threads, BLAS on one
    thread inside each tile. A tile that raises stops the others from starting new tiles; the
    first error is raised once every running tile has finished."""
    with _one_blas_thread() as threads:
        if threads <= 1 or len(tiles) <= 1 or getattr(_tile, "inside", False):
            return [fn(first, stop) for first, stop in tiles]
        results: list = [None] * len(tiles)
        errors: list[BaseException] = []
        stop: list[bool] = []  # not empty: take no new tile
        claim = iter(range(len(tiles)))  # next() on it is atomic under the GIL

        def work() -> None:
            _tile.inside = True
            try:
                while not stop:
                    i = next(claim, None)
                    if i is None:
                        return
                    try:  # a claimed tile always runs: its result is never left out silently
                        results[i] = fn(*tiles[i])
                    except BaseException as error:  # re-raised by the caller below
                        errors.append(error)
                        stop.append(True)
            finally:
                _tile.inside = False

        helpers = [_pool().submit(work) for _ in range(min(threads, len(tiles)) - 1)]
        try:
            work()
        except BaseException:  # e.g. Ctrl-C between two tiles: the helpers take no new tile
            stop.append(True)
            raise
        finally:
            for helper in helpers:
                helper.result()
        if errors:
            raise errors[0]
        return results
