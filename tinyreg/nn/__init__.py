"""Neural-network layers in PyTorch's shape.

    nn/modules/      Module and the containers (Sequential, ModuleList, ModuleDict); layers by
                     kind (linear, conv, pooling, normalization, dropout and noise, activation,
                     flatten); loss modules
    nn/functional/   the same layers and losses as functions of tensors
                     (`import tinyreg.nn.functional as F`)
    nn/init.py       weight initialization (`nn.init.kaiming_uniform_`, ...)
    nn/utils/        gradient clipping
    nn/parameter.py  Parameter

A `Module` finds its parameters and sub-modules by looking at its attributes, so a layer is a
class with a `forward` and nothing to register. `nn.Linear` is PyTorch's (weight (out, in));
`nn.Dense` is tinyreg's Keras-like layer (weight (in, out), He initialization).
"""

from .._missing import missing_names
from . import functional, init, utils
from .modules import (
    ELU,
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BCELoss,
    BCEWithLogitsLoss,
    Conv2d,
    CrossEntropyLoss,
    Dense,
    Dropout,
    Dropout2d,
    Flatten,
    GaussianDropout,
    GaussianNoise,
    HuberLoss,
    Identity,
    L1Loss,
    LazyLinear,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    Module,
    ModuleDict,
    ModuleList,
    MSELoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    SmoothL1Loss,
    Softmax,
    Softplus,
    Tanh,
)
from .parameter import Parameter

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d",
    "BatchNorm2d", "Conv2d", "CrossEntropyLoss", "Dense", "Dropout", "Dropout2d", "ELU",
    "Flatten", "GELU", "GaussianDropout", "GaussianNoise", "HuberLoss", "Identity", "L1Loss",
    "LazyLinear", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "MaxPool2d", "Module",
    "ModuleDict", "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "SiLU", "Sigmoid",
    "SmoothL1Loss", "Softmax", "Softplus", "Tanh", "functional", "init", "utils",
]  # fmt: skip

__getattr__ = missing_names(__name__)  # PyTorch's names tinyreg lacks: a message saying so
