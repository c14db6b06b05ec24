"""Conv2d, PyTorch's 2-D convolution layer."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import validate as check
from ..._tensor import Tensor
from .. import functional as F
from ..parameter import Parameter
from .linear import reset_affine
from .module import Module


class Conv2d(Module):
    """2-D convolution, PyTorch's Conv2d: weight (out_channels, in_channels, kh, kw), bias
    (out_channels,); see `functional.conv2d` for the formula. Initialized as PyTorch does:
    weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels * kh * kw. The
    weight is penalized by default (as Dense weights), the bias not; it is marked unit_axis=0 (a
    group penalty or MaxNorm groups it by filter). PyTorch's arguments, in its order; groups must
    be 1 and padding_mode "zeros" (tinyreg has neither grouped convolutions nor padding modes)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros"):  # fmt: skip
        super().__init__()
        owner = "Conv2d"
        if check.integer(owner, "groups", groups, low=1) != 1:
            raise ValueError(f"Conv2d: groups must be 1 (tinyreg has no grouped convolutions), "
                             f"got {groups}")  # fmt: skip
        check.choice(owner, "padding_mode", padding_mode, ("zeros",))
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
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, np.float32), regularize=True, unit_axis=0)
        self.bias = Parameter(np.empty(self.out_channels, np.float32)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw new weights with PyTorch's initialization (see the class docstring)."""
        reset_affine(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        """The convolution of (N, in_channels, H, W) input."""
        return F.conv2d(*self._conv_arguments(x))

    def _conv_arguments(self, x: Tensor) -> tuple:
        """The arguments of `F.conv2d` for this call, after checking x's shape (what `forward`
        and the fused Conv2d -> ReLU path of `Sequential` share)."""
        shape = np.shape(check.unwrap(x))
        if len(shape) != 4 or shape[1] != self.in_channels:
            raise ValueError(f"{self!r}: expected input (N, {self.in_channels}, H, W), got shape "
                             f"{shape}")  # fmt: skip
        return x, self.weight, self.bias, self.stride, self.padding, self.dilation

    def extra_repr(self) -> str:
        """ "in, out, kernel_size=..., stride=..., padding=..."."""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")  # fmt: skip
