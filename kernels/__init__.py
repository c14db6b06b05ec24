"""The hot operations of tinyreg as pure array functions, in three versions of the same math.

Each family module (penalty, optim, ...) defines `<op>_reference` (NumPy, the readable spec),
`<op>_cpu` (Numba, compiled and cached) and `<op>_cuda` (numba.cuda, on NumPy arrays under the
simulator or on CuPy arrays on a GPU). A caller picks a version by name or by its arrays:

    from tinyreg import kernels
    kernels.backend("cpu").sgd_step(w, g, buf, lr=0.1)
    kernels.for_array(w).penalty_value(w, l1=1e-4, l2=0.0)

This package imports nothing from the rest of tinyreg.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import Any

import numpy as np

from . import batchnorm, dropout, optim, penalty, warp

FAMILIES = (penalty, optim, dropout, batchnorm, warp)
VERSIONS = ("reference", "cpu", "cuda")


@cache
def backend(version: str) -> SimpleNamespace:
    """All kernels of one version under their common names (e.g. `.sgd_step`)."""
    if version not in VERSIONS:
        raise ValueError(f"kernel version must be one of {VERSIONS}, got {version!r}")
    return SimpleNamespace(
        **{op: getattr(family, f"{op}_{version}") for family in FAMILIES for op in family.OPS}
    )


def for_array(array: Any) -> SimpleNamespace:
    """The `cuda` kernels for device arrays (CuPy), the `cpu` kernels for NumPy arrays."""
    on_device = not isinstance(array, np.ndarray) and hasattr(array, "__cuda_array_interface__")
    return backend("cuda" if on_device else "cpu")
