"""tinyreg: a small, fast, honest deep-learning framework for learning regularization."""

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
