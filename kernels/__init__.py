"""The hot operations of tinyreg as pure array functions, in three versions of the same math.

Each family module (penalty, optim, ...) defines `<op>_reference` (NumPy, the readable spec, any
memory layout), `<op>_cpu` (Numba, compiled and cached) and `<op>_cuda` (numba.cuda, on NumPy
arrays under the simulator or on CuPy arrays on a GPU); the compiled versions take C-contiguous
arrays (`_layout.py`). One table, `FAMILY`, says which family module defines each op; the
reference, cpu and cuda tables follow from the naming rule `<op>_<version>` (`kernel_name`):

    from tinyreg import kernels
    kernels.backend("cpu").sgd_step(w, g, buf, lr=0.1)

A family module (and Numba with it) is imported on first use, not with this package: `import
tinyreg` stays fast, and a run compiles only the families it calls. Which backend an array gets
(cpu for NumPy, cuda for CuPy) is decided in one place, `tinyreg.device.kernels_for`. This
package imports nothing from the rest of tinyreg.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

VERSIONS = ("reference", "cpu", "cuda")

FAMILY = {  # op: the family module that defines it, as <op>_reference, <op>_cpu, <op>_cuda
    "penalty_value": "penalty",
    "penalty_value_grad": "penalty",
    "prox": "penalty",
    "sgd_step": "optim",
    "adam_step": "optim",
    "adadelta_step": "optim",
    "adagrad_step": "optim",
    "rmsprop_step": "optim",
    "dropout_forward": "dropout",
    "dropout_backward": "dropout",
    "batchnorm_forward": "batchnorm",
    "batchnorm_backward": "batchnorm",
    "relu_dropout_forward": "fused",
    "relu_dropout_backward": "fused",
    "affine_warp": "warp",
    "flip": "warp",
    "crop": "warp",
    "im2col": "conv",
    "col2im": "conv",
    "max_pool_forward": "pool",
    "max_pool_backward": "pool",
    "avg_pool_forward": "pool",
    "avg_pool_backward": "pool",
    "group_norms": "group",
    "group_scale": "group",
    "group_add_scaled": "group",
    "normal_fill": "noise",
}
OPS = tuple(FAMILY)
FAMILIES = tuple(sorted({*FAMILY.values(), "rng"}))  # kernels.<family>; rng: the shared hash


def __getattr__(name: str) -> ModuleType:
    """`kernels.<family>`: the family module, imported on first use (PEP 562)."""
    if name in FAMILIES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Backend:
    """All kernels of one version under their common names (`backend("cpu").sgd_step`); each is
    looked up in its family module on first use and kept as an attribute after that."""

    def __init__(self, version: str) -> None:
        self.version = version

    def __getattr__(self, op: str) -> Callable:
        if op not in FAMILY:
            raise AttributeError(f"no kernel {op!r}; the kernels are {OPS}")
        kernel = getattr(
            importlib.import_module(f"{__name__}.{FAMILY[op]}"), kernel_name(op, self.version)
        )
        setattr(self, op, kernel)
        return kernel

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *OPS]


def kernel_name(op: str, version: str) -> str:
    """The naming rule: op `sgd_step` in version "cpu" is the function `sgd_step_cpu` of its
    family module (`kernels/optim.py`)."""
    return f"{op}_{version}"


_BACKENDS = {version: Backend(version) for version in VERSIONS}


def backend(version: str) -> Backend:
    """All kernels of one version ("reference", "cpu" or "cuda") under their common names."""
    if version not in VERSIONS:
        raise ValueError(f"kernel version must be one of {VERSIONS}, got {version!r}")
    return _BACKENDS[version]
