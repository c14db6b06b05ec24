"""tinyreg: a small, fast, honest deep-learning framework for learning regularization."""

import os as _os
import sys as _sys

# After each matrix product OpenBLAS (NumPy's BLAS) keeps its threads spinning for 2^28 cycles
# (~0.1 s), where they take the cores from Numba's kernels and NumPy's loops: workload C of
# `tinyreg bench train` took 198 instead of 148 ms. Unless the user set it, they spin 2^20
# cycles (~0.3 ms: long enough for the next product of a small model's step, which 2^4 made 37%
# slower). It only works before NumPy loads OpenBLAS: import tinyreg first, or set it yourself.
if "numpy" not in _sys.modules:
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "20")

from . import augment, functional, kernels, nn, optim, reg
from .gradcheck import GradcheckError, gradcheck
from .random import manual_seed
from .serialization import load, save
from .tensor import (
    Tensor,
    as_tensor,
    concatenate,
    is_grad_enabled,
    matmul,
    maximum,
    minimum,
    no_grad,
    ones,
    op,
    randn,
    stack,
    tensor,
    where,
    zeros,
)

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Tensor",
    "as_tensor",
    "op",
    "augment",
    "concatenate",
    "functional",
    "kernels",
    "load",
    "nn",
    "optim",
    "reg",
    "save",
    "gradcheck",
    "is_grad_enabled",
    "manual_seed",
    "matmul",
    "maximum",
    "minimum",
    "no_grad",
    "ones",
    "randn",
    "stack",
    "tensor",
    "where",
    "zeros",
]
