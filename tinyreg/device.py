"""Devices: a "cpu" tensor holds a NumPy array, a "cuda" tensor a CuPy array.

The engine's ops call NumPy functions, which NumPy hands to CuPy for CuPy arrays (through
`__array_ufunc__` and `__array_function__`), so one code path serves both devices. What does need
to know the device lives here: the device itself (`Device`, which PyTorch code knows as
`torch.device`), which kernels an array gets (`kernels_for`, the one place that choice is made:
CUDA for GPU arrays; on the CPU, by the array's size alone, the NumPy reference for small arrays
of the families in `REFERENCE_BELOW` and the compiled Numba version otherwise), moving data
between devices, and the contiguous form kernels take. CuPy is imported only when a "cuda" array
is asked for.

`tinyreg.device` is this module, and PyTorch code calls it as a class: `tinyreg.device("cuda:0")`
is `Device("cuda:0")`, and `isinstance(d, tinyreg.device)` asks whether `d` is a `Device`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
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


# CPU arrays of fewer elements than this (per kernel family, a power of two) take the family's
# NumPy reference instead of its compiled version, so a small model's run compiles none of them
# (compare --quick: arrays of 2^11 elements at most; 4.3-5.4 s of JIT before, on 2 cores). It is a
# trade, not a crossover: the compiled kernel is faster at every size from 2^8. Per call, reference
# / compiled (serial, warm, median), us, at 2^10 and 2^12 elements (AMD EPYC, 2 cores, 2026-12-07,
# the cases of `tinyreg bench`): penalty value 11/2, 15/3; value+grad 27/5, 47/8; prox 13/4, 19/4;
# sgd momentum 12/9, 14/10; adam 30/12, 24/36; dropout forward 23/5, 35/10, backward 3/3, 5/3;
# batch norm (32, n/32) forward 28/6, 38/12, backward 29/7, 42/14; group kernels 2-9/2-4. So below
# 4096 elements a call costs up to ~40 us more (a 64-32-32-10 step with batch norm: ~0.2-0.5 ms
# more; without it: within noise); from 2^14 the gap is 30-100 us and growing, so a full compare's
# 256-wide layers (8192-65536 elements) keep the compiled kernels. Compiled at every size: warp
# (the reference loops over images in Python: 2.5 ms against 12 us for 16 8x8 images), noise (5x
# slower), conv, pool. The choice depends on the size alone, never on timing, threads or a finished
# compile, so a seed gives the same bits on every run; dropout masks are the same in both versions
# (the shared counter-based hash, kernels/rng.py).
REFERENCE_BELOW = {
    "penalty": 1 << 12,
    "optim": 1 << 12,
    "dropout": 1 << 12,
    "fused": 1 << 12,
    "batchnorm": 1 << 12,
    "group": 1 << 12,
}


class _SmallArrayKernels(kernels.Backend):
    """The CPU kernels for arrays of at least `smallest` elements (and fewer than twice that):
    per op, the reference's where `smallest` is below its family's `REFERENCE_BELOW`, else the
    compiled one's, each read from that version's `kernels.backend` at every call (so this
    object holds no kernel of its own)."""

    def __init__(self, smallest: int) -> None:
        super().__init__("cpu")
        self.smallest = smallest

    def __getattr__(self, op: str) -> Callable:
        small = self.smallest < REFERENCE_BELOW.get(kernels.FAMILY.get(op, ""), 0)
        return getattr(kernels.backend("reference" if small else "cpu"), op)


def _cpu_kernels(bits: int) -> kernels.Backend:
    """The CPU kernels for arrays whose size has `bits` bits (2^(bits-1) to 2^bits - 1 elements;
    the thresholds being powers of two, all of them get the same versions)."""
    smallest = 1 << bits >> 1
    if smallest >= max(REFERENCE_BELOW.values()):
        return kernels.backend("cpu")
    return _SmallArrayKernels(smallest)


_CPU_BY_BITS = [_cpu_kernels(bits) for bits in range(65)]  # indexed by array.size.bit_length()


def kernels_for(array: Any) -> kernels.Backend:
    """The fused kernels for `array`: the CUDA versions for GPU arrays; on the CPU, per kernel
    family, the NumPy reference for arrays of fewer elements than `REFERENCE_BELOW[family]`
    (no compilation for a small model) and the compiled Numba version otherwise."""
    if on_gpu(array):
        return kernels.backend("cuda")
    return _CPU_BY_BITS[array.size.bit_length()]


def to_device(array: Any, device: str) -> Any:
    """The array on `device` ("cpu", "cuda" or a Device; the same object when it is there
    already)."""
    device = check_device(device)
    if device_of(array) == device:
        return array
    return cupy().asarray(array) if device == "cuda" else cupy().asnumpy(array)
