"""tinyreg: a small, fast, honest deep-learning framework for learning regularization.

The layout follows PyTorch's wherever PyTorch has the thing (`tinyreg.nn`, `tinyreg.nn.functional`,
`tinyreg.optim`, `tinyreg.optim.lr_scheduler`, `tinyreg.utils.data`, `tinyreg.autograd`), with
tinyreg's own ideas in rooms of their own (`tinyreg.reg`, `tinyreg.training`,
`tinyreg.experiments`). README's "Architecture" section draws the layers.
"""

import os as _os
import sys as _sys

# After each matrix product OpenBLAS (NumPy's BLAS) keeps its threads spinning for 2^28 cycles
# (~0.1 s), where they take the cores from Numba's kernels and NumPy's loops: workload C of
# `tinyreg bench train` took 198 instead of 148 ms. Unless the user set it, they spin 2^20
# cycles (~0.3 ms: long enough for the next product of a small model's step, which 2^4 made 37%
# slower). It only works before NumPy loads OpenBLAS: import tinyreg first, or set it yourself.
if "numpy" not in _sys.modules:
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "20")

from . import ops  # binds the ops to Tensor's methods  # noqa: E402, I001
from . import autograd, kernels, nn, optim, reg, utils, vision  # noqa: E402
from ._tensor import Tensor, as_tensor  # noqa: E402
from .autograd import is_grad_enabled, no_grad  # noqa: E402
from .autograd.function import op  # noqa: E402
from .autograd.gradcheck import GradcheckError, gradcheck  # noqa: E402
from .creation import ones, randn, tensor, zeros  # noqa: E402
from .ops.elementwise import maximum, minimum, where  # noqa: E402
from .ops.matmul import matmul  # noqa: E402
from .ops.shape import concatenate, stack  # noqa: E402
from .random import manual_seed  # noqa: E402
from .serialization import load, save  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Tensor",
    "as_tensor",
    "autograd",
    "concatenate",
    "gradcheck",
    "is_grad_enabled",
    "kernels",
    "load",
    "manual_seed",
    "matmul",
    "maximum",
    "minimum",
    "nn",
    "no_grad",
    "ones",
    "op",
    "ops",
    "optim",
    "randn",
    "reg",
    "save",
    "stack",
    "tensor",
    "utils",
    "vision",
    "where",
    "zeros",
]
