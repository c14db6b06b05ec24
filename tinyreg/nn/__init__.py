"""Neural-network layers in PyTorch's shape.

    nn/modules/      Module and Sequential; layers by kind (linear, conv, pooling,
                     normalization, dropout and noise, activation, flatten)
    nn/functional/   the same layers as functions of tensors (`import tinyreg.nn.functional as F`)
    nn/utils/        gradient clipping
    nn/parameter.py  Parameter

A `Module` finds its parameters, buffers and sub-modules by looking at its attributes, so a layer
is a class with a `forward` and nothing to register.
"""

from . import functional, utils
from .modules import (
    ELU,
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dense,
    Dropout,
    Dropout2d,
    Flatten,
    GaussianDropout,
    GaussianNoise,
    Identity,
    LeakyReLU,
    LogSoftmax,
    MaxPool2d,
    Module,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .parameter import Parameter

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv2d", "Dense",
    "Dropout", "Dropout2d", "ELU", "Flatten", "GELU", "GaussianDropout", "GaussianNoise",
    "Identity", "LeakyReLU", "LogSoftmax", "MaxPool2d", "Module", "Parameter", "ReLU",
    "Sequential", "SiLU", "Sigmoid", "Softmax", "Softplus", "Tanh", "functional", "utils",
]  # fmt: skip
