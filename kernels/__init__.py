"""The hot operations of tinyreg as pure array functions, in three versions of the same math.

Each family module (penalty, optim, ...) defines `<op>_reference` (NumPy, the readable spec, any
memory layout), `<op>_cpu` (Numba, compiled and cached) and `<op>_cuda` (numba.cuda, on NumPy
arrays under the simulator or on CuPy arrays on a GPU); the compiled versions take C-contiguous
arrays (`_layout.py`). The three backend tables below are written out, so a reader can grep
where each version is used:

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

FAMILIES = (
    "batchnorm",
    "conv",
    "dropout",
    "group",
    "noise",
    "optim",
    "penalty",
    "pool",
    "rng",
    "warp",
)
VERSIONS = ("reference", "cpu", "cuda")

_TABLES = {  # version: {op: "family.function"}
    "reference": {
        "penalty_value": "penalty.penalty_value_reference",
        "penalty_value_grad": "penalty.penalty_value_grad_reference",
        "prox": "penalty.prox_reference",
        "sgd_step": "optim.sgd_step_reference",
        "adam_step": "optim.adam_step_reference",
        "dropout_forward": "dropout.dropout_forward_reference",
        "dropout_backward": "dropout.dropout_backward_reference",
        "batchnorm_forward": "batchnorm.batchnorm_forward_reference",
        "batchnorm_backward": "batchnorm.batchnorm_backward_reference",
        "affine_warp": "warp.affine_warp_reference",
        "flip": "warp.flip_reference",
        "crop": "warp.crop_reference",
        "im2col": "conv.im2col_reference",
        "col2im": "conv.col2im_reference",
        "max_pool_forward": "pool.max_pool_forward_reference",
        "max_pool_backward": "pool.max_pool_backward_reference",
        "avg_pool_forward": "pool.avg_pool_forward_reference",
        "avg_pool_backward": "pool.avg_pool_backward_reference",
        "group_norms": "group.group_norms_reference",
        "group_scale": "group.group_scale_reference",
        "group_add_scaled": "group.group_add_scaled_reference",
        "normal_fill": "noise.normal_fill_reference",
    },
    "cpu": {
        "penalty_value": "penalty.penalty_value_cpu",
        "penalty_value_grad": "penalty.penalty_value_grad_cpu",
        "prox": "penalty.prox_cpu",
        "sgd_step": "optim.sgd_step_cpu",
        "adam_step": "optim.adam_step_cpu",
        "dropout_forward": "dropout.dropout_forward_cpu",
        "dropout_backward": "dropout.dropout_backward_cpu",
        "batchnorm_forward": "batchnorm.batchnorm_forward_cpu",
        "batchnorm_backward": "batchnorm.batchnorm_backward_cpu",
        "affine_warp": "warp.affine_warp_cpu",
        "flip": "warp.flip_cpu",
        "crop": "warp.crop_cpu",
        "im2col": "conv.im2col_cpu",
        "col2im": "conv.col2im_cpu",
        "max_pool_forward": "pool.max_pool_forward_cpu",
        "max_pool_backward": "pool.max_pool_backward_cpu",
        "avg_pool_forward": "pool.avg_pool_forward_cpu",
        "avg_pool_backward": "pool.avg_pool_backward_cpu",
        "group_norms": "group.group_norms_cpu",
        "group_scale": "group.group_scale_cpu",
        "group_add_scaled": "group.group_add_scaled_cpu",
        "normal_fill": "noise.normal_fill_cpu",
    },
    "cuda": {
        "penalty_value": "penalty.penalty_value_cuda",
        "penalty_value_grad": "penalty.penalty_value_grad_cuda",
        "prox": "penalty.prox_cuda",
        "sgd_step": "optim.sgd_step_cuda",
        "adam_step": "optim.adam_step_cuda",
        "dropout_forward": "dropout.dropout_forward_cuda",
        "dropout_backward": "dropout.dropout_backward_cuda",
        "batchnorm_forward": "batchnorm.batchnorm_forward_cuda",
        "batchnorm_backward": "batchnorm.batchnorm_backward_cuda",
        "affine_warp": "warp.affine_warp_cuda",
        "flip": "warp.flip_cuda",
        "crop": "warp.crop_cuda",
        "im2col": "conv.im2col_cuda",
        "col2im": "conv.col2im_cuda",
        "max_pool_forward": "pool.max_pool_forward_cuda",
        "max_pool_backward": "pool.max_pool_backward_cuda",
        "avg_pool_forward": "pool.avg_pool_forward_cuda",
        "avg_pool_backward": "pool.avg_pool_backward_cuda",
        "group_norms": "group.group_norms_cuda",
        "group_scale": "group.group_scale_cuda",
        "group_add_scaled": "group.group_add_scaled_cuda",
        "normal_fill": "noise.normal_fill_cuda",
    },
}

OPS = tuple(_TABLES["reference"])


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
        try:
            family, function = _TABLES[self.version][op].split(".")
        except KeyError:
            raise AttributeError(f"no kernel {op!r}; the kernels are {OPS}") from None
        kernel = getattr(importlib.import_module(f"{__name__}.{family}"), function)
        setattr(self, op, kernel)
        return kernel

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *OPS]


_BACKENDS = {version: Backend(version) for version in VERSIONS}


def backend(version: str) -> Backend:
    """All kernels of one version ("reference", "cpu" or "cuda") under their common names."""
    if version not in VERSIONS:
        raise ValueError(f"kernel version must be one of {VERSIONS}, got {version!r}")
    return _BACKENDS[version]
