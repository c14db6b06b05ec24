"""Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d."""

from __future__ import annotations

from typing import Any

from ... import validate as check
from ..._tensor import Tensor
from .. import functional as F
from .module import Module


class MaxPool2d(Module):
    """Maximum over each kernel_size window, PyTorch's MaxPool2d (stride defaults to
    kernel_size; padding is -inf; the gradient goes to each window's first maximum)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0):
        super().__init__()
        self.kernel_size = check.int_pair("MaxPool2d", "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else check.int_pair("MaxPool2d", "stride",
                                                                    stride, 1)  # fmt: skip
        self.padding = check.int_pair("MaxPool2d", "padding", padding, 0)

    def forward(self, x: Tensor) -> Tensor:
        """Window maxima of (N, C, H, W) input."""
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        """ "kernel_size=..., stride=..."."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class AvgPool2d(MaxPool2d):
    """Mean over each kernel_size window, PyTorch's AvgPool2d (count_include_pad=True)."""

    def forward(self, x: Tensor) -> Tensor:
        """Window means of (N, C, H, W) input."""
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class AdaptiveAvgPool2d(Module):
    """Global average pooling (N, C, H, W) -> (N, C, 1, 1); only output_size=1."""

    def __init__(self, output_size: Any = 1):
        super().__init__()
        if check.int_pair("AdaptiveAvgPool2d", "output_size", output_size, 1) != (1, 1):
            raise ValueError(f"AdaptiveAvgPool2d: only output_size=1 is implemented, got "
                             f"{output_size!r}")  # fmt: skip
        self.output_size = 1

    def forward(self, x: Tensor) -> Tensor:
        """The mean over H x W of each channel."""
        return F.adaptive_avg_pool2d(x, 1)
