"""Devices: a "cpu" tensor holds a NumPy array, a "cuda" tensor a CuPy array.

The engine's ops call NumPy functions, which NumPy hands to CuPy for CuPy arrays (through
`__array_ufunc__` and `__array_function__`), so one code path serves both devices. What does need
to know the device lives here: the device itself (`Device`, which PyTorch code knows as
`torch.device`), which kernels an array gets (`kernels_for`, the one place that choice is made),
moving data between devices, and the contiguous form kernels take. CuPy is imported only when a
"cuda" array is asked for.

`tinyreg.device` is this module, and PyTorch code calls it as a class: `tinyreg.device("cuda:0")`
is `Device("cuda:0")`, and `isinstance(d, tinyreg.device)` asks whether `d` is a `Device`.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import numpy as np

from . import kernels

DEVICES = ("cpu", "cuda")


class Device(str):
    """torch.device: "cpu" or "cuda" (tinyreg uses one GPU: "cuda" is "cuda:0").

    `Device("cpu")`, `Device("cuda:0")`, `Device("cuda", 0)`; `.type` ("cpu" or "cuda") and
    `.index` (None unless given) as PyTorch's. A Device is the string of its type, so it is
    accepted wherever a device string is and compares equal to one (`x.device == "cpu"`).

    Coming from PyTorch: `torch.device("cuda") != torch.device("cuda:0")` there; here both are
    the one GPU and compare equal, and `str()` of either is "cuda". Any index other than 0 is a
    ValueError (tinyreg computes on one GPU), raised when the device is made.
    """

    index: int | None

    def __new__(cls, type: str, index: int | None = None) -> Device:
        if isinstance(type, Device) and index is None:
            return type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got {type!r}")
        name, colon, number = type.partition(":")
        if colon:
            if index is not None or not number.isdigit():
                raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:0' (and no index= "
                                 f"with an index in the string), got {type!r}")  # fmt: skip
            index = int(number)
        if name not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, got {type!r}")
        if index is not None and (isinstance(index, bool) or index != 0):
            raise ValueError(f"device: tinyreg uses one {name.upper()} device, index 0, got "
                             f"index {index!r}")  # fmt: skip
        device = super().__new__(cls, name)
        device.index = None if index is None else int(index)
        return device

    @property
    def type(self) -> str:
        """ "cpu" or "cuda", as a plain string."""
        return str.__str__(self)

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"


class _CallableModule(ModuleType):
    """This module, which PyTorch code calls as its class `torch.device`."""

    def __call__(self, type: str, index: int | None = None) -> Device:
        return Device(type, index)

    def __instancecheck__(self, instance: Any) -> bool:
        return isinstance(instance, Device)


sys.modules[__name__].__class__ = _CallableModule
_CPU, _CUDA = Device("cpu"), Device("cuda", 0)  # what `Tensor.device` answers, as PyTorch's


def check_device(device: str) -> Device:
    """`device` ("cpu", "cuda", "cuda:0" or a Device) as a Device, else an error naming it."""
    return Device(device)


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


def device_of(array: Any) -> Device:
    """The device of an array: "cuda" for device arrays (CuPy), "cpu" for everything else."""
    return _CUDA if on_gpu(array) else _CPU


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
    """The array on `device` ("cpu", "cuda" or a Device; the same object when it is there
    already)."""
    device = check_device(device)
    if device_of(array) == device:
        return array
    return cupy().asarray(array) if device == "cuda" else cupy().asnumpy(array)
