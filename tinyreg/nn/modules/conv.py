"""Conv2d, PyTorch's 2-D convolution layer."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import random as _random
from ... import validate as check
from ..._tensor import Tensor
from .. import functional as F
from ..parameter import Parameter
from .module import Module


class Conv2d(Module):
    """2-D convolution, PyTorch's Conv2d: weight (out_channels, in_channels, kh, kw), bias
    (out_channels,); see `functional.conv2d` for the formula. Initialized as PyTorch does:
    weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels * kh * kw. The
    weight is penalized by default (as Dense weights), the bias not."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, bias: bool = True):  # fmt: skip
        super().__init__()
        owner = "Conv2d"
        self.in_channels = check.integer(owner, "in_channels", in_channels, low=1)
        self.out_channels = check.integer(owner, "out_channels", out_channels, low=1)
        self.kernel_size = check.int_pair(owner, "kernel_size", kernel_size, 1)
        self.stride = check.int_pair(owner, "stride", stride, 1)
        self.dilation = check.int_pair(owner, "dilation", dilation, 1)
        if isinstance(padding, str):
            check.choice(owner, "padding", padding, ("same", "valid"))
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"Conv2d: padding='same' needs stride 1, got {stride!r}")
            self.padding: Any = padding
        else:
            self.padding = check.int_pair(owner, "padding", padding, 0)
        bias = check.boolean(owner, "bias", bias)
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        bound = 1.0 / math.sqrt(fan_in)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        generator = _random.generator()
        self.weight = Parameter(generator.uniform(-bound, bound, shape).astype(np.float32),
                                regularize=True)  # fmt: skip
        self.bias = (Parameter(generator.uniform(-bound, bound, out_channels).astype(np.float32))
                     if bias else None)  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        """The convolution of (N, in_channels, H, W) input."""
        shape = np.shape(check.unwrap(x))
        if len(shape) != 4 or shape[1] != self.in_channels:
            raise ValueError(f"{self!r}: expected input (N, {self.in_channels}, H, W), got shape "
                             f"{shape}")  # fmt: skip
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        """ "in, out, kernel_size=..., stride=..., padding=..."."""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")  # fmt: skip
