"""Devices: a "cpu" tensor holds a NumPy array, a "cuda" tensor a CuPy array.

The engine's ops call NumPy functions, which NumPy hands to CuPy for CuPy arrays (through
`__array_ufunc__` and `__array_function__`), so one code path serves both devices. What does need
to know the device lives here: which kernels an array gets (`kernels_for`, the one place that
choice is made), moving data between devices, and the contiguous form kernels take. CuPy is
imported only when a "cuda" array is asked for.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from . import kernels

DEVICES = ("cpu", "cuda")


def check_device(device: str) -> str:
    """`device` if it is "cpu" or "cuda", else a ValueError naming it."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    return device


def cupy() -> ModuleType:
    """The CuPy module, or an error that says what to install."""
    try:
        import cupy as cp
    except ImportError as error:
        raise RuntimeError(
            "device='cuda' needs CuPy and a CUDA GPU: pip install 'tinyreg[cuda]' "
            "(numba-cuda and a CuPy wheel matching your CUDA version, e.g. cupy-cuda13x)"
        ) from error
    if cp.cuda.runtime.getDeviceCount() < 1:
        raise RuntimeError("device='cuda': CuPy is installed but no CUDA GPU is visible")
    return cp


def on_gpu(array: Any) -> bool:
    """Whether `array` lives on a GPU (a CuPy or other `__cuda_array_interface__` array)."""
    return hasattr(array, "__cuda_array_interface__") and not isinstance(array, np.ndarray)


def device_of(array: Any) -> str:
    """ "cuda" for device arrays (CuPy), "cpu" for everything else."""
    return "cuda" if on_gpu(array) else "cpu"


def array_module(array: Any) -> ModuleType:
    """CuPy for device arrays, NumPy otherwise."""
    return cupy() if on_gpu(array) else np


def contiguous(array: Any) -> Any:
    """The array itself if it is C-contiguous, else a C-contiguous copy on the same device: the
    form in which the engine hands arrays to kernels (kernels/_layout.py)."""
    if array.flags.c_contiguous:
        return array
    return array_module(array).ascontiguousarray(array)


def kernels_for(array: Any) -> kernels.Backend:
    """The fused kernels for `array`: the CUDA versions for GPU arrays, the CPU ones otherwise."""
    return kernels.backend("cuda" if on_gpu(array) else "cpu")


def to_device(array: Any, device: str) -> Any:
    """The array on `device` (the same object when it is there already)."""
    if device_of(array) == check_device(device):
        return array
    return cupy().asarray(array) if device == "cuda" else cupy().asnumpy(array)
