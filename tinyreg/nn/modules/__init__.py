"""The layers, one file per kind, as in PyTorch's torch/nn/modules."""

from .activation import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .container import Sequential
from .conv import Conv2d
from .dropout import Dropout, Dropout2d, GaussianDropout, GaussianNoise
from .flatten import Flatten
from .linear import Dense, Identity
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

__all__ = [
    "ELU", "GELU", "AdaptiveAvgPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv2d",
    "Dense", "Dropout", "Dropout2d", "Flatten", "GaussianDropout", "GaussianNoise", "Identity",
    "LeakyReLU", "LogSoftmax", "MaxPool2d", "Module", "ReLU", "Sequential", "SiLU", "Sigmoid",
    "Softmax", "Softplus", "Tanh",
]  # fmt: skip
