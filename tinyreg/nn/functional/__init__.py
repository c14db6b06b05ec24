"""Layers as functions of tensors, PyTorch's torch.nn.functional (`import tinyreg.nn.functional
as F`), one file per kind: activation, affine (linear), conv, pooling, normalization, noise
(dropout and Gaussian noise), loss. Each op's forward and backward sit together in its file."""

from ..._missing import missing_names
from .activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from .affine import dense, linear
from .conv import conv2d, conv2d_relu
from .loss import (
    LOSSES,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .noise import dropout, dropout2d, gaussian_dropout, gaussian_noise
from .normalization import batch_norm
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d

__all__ = [
    "LOSSES", "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv2d", "conv2d_relu", "cross_entropy", "dense",
    "dropout", "dropout2d", "elu", "gaussian_dropout", "gaussian_noise", "gelu", "huber_loss",
    "l1_loss", "leaky_relu", "linear", "log_softmax", "max_pool2d", "mse_loss", "nll_loss", "relu",
    "sigmoid", "silu", "smooth_l1_loss", "softmax", "softplus", "tanh",
]  # fmt: skip

__getattr__ = missing_names(__name__)  # PyTorch's names tinyreg lacks: a message saying so
