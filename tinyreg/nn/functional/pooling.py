"""Pooling: max_pool2d, avg_pool2d, adaptive_avg_pool2d."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import validate as check
from ..._tensor import Tensor
from ...autograd.function import op
from ...device import (
    array_module,
    contiguous,
    kernels_for,
)
from .conv import as_images, floating


def _pool_geometry(owner: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any
                   ) -> tuple[int, ...]:  # fmt: skip
    """(kh, kw, sh, sw, top, left, oh, ow) of a pooling, with PyTorch's checks."""
    kh, kw = check.int_pair(owner, "kernel_size", kernel_size, 1)
    sh, sw = (kh, kw) if stride is None else check.int_pair(owner, "stride", stride, 1)
    top, left = check.int_pair(owner, "padding", padding, 0)
    if 2 * top > kh or 2 * left > kw:
        raise ValueError(f"{owner}: padding {(top, left)} must be at most half the kernel size "
                         f"{(kh, kw)}")  # fmt: skip
    h, w = x.shape[2:]
    oh, ow = (h + 2 * top - kh) // sh + 1, (w + 2 * left - kw) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"{owner}: kernel {(kh, kw)} does not fit the padded input "
                         f"{(h + 2 * top, w + 2 * left)}")  # fmt: skip
    return kh, kw, sh, sw, top, left, oh, ow


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Maximum over each window (PyTorch's max_pool2d, ceil_mode=False); stride defaults to the
    kernel size; padding never wins (it is -inf), a NaN does (the output is NaN, as in PyTorch).
    The gradient goes to the first maximal element of each window (row-major), as in PyTorch."""
    x = as_images("max_pool2d", x)
    kh, kw, sh, sw, top, left, oh, ow = _pool_geometry("max_pool2d", x, kernel_size, stride,
                                                       padding)  # fmt: skip
    a = contiguous(x.data)
    xp = array_module(a)
    out = xp.empty((*a.shape[:2], oh, ow), a.dtype)
    argmax = xp.empty(out.shape, np.int64)
    k = kernels_for(a)
    k.max_pool_forward(a, out, argmax, kh, kw, sh, sw, top, left)

    def backward(g):
        dx = xp.empty_like(a)
        k.max_pool_backward(contiguous(g), argmax, dx, kh, kw, sh, sw, top, left)
        return (dx,)

    return op("max_pool2d", out, (x,), backward)


def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Mean over each window, dividing by kh * kw also where the window covers padding (PyTorch's
    avg_pool2d with count_include_pad=True, ceil_mode=False); stride defaults to the kernel size.
    Integer input is a TypeError (PyTorch refuses uint8 but truncates int64 averages)."""
    x = floating("avg_pool2d", "input", as_images("avg_pool2d", x))
    kh, kw, sh, sw, top, left, oh, ow = _pool_geometry("avg_pool2d", x, kernel_size, stride,
                                                       padding)  # fmt: skip
    a = contiguous(x.data)
    xp = array_module(a)
    out = xp.empty((*a.shape[:2], oh, ow), a.dtype)
    k = kernels_for(a)
    k.avg_pool_forward(a, out, kh, kw, sh, sw, top, left)

    def backward(g):
        dx = xp.empty_like(a)
        k.avg_pool_backward(contiguous(g), dx, kh, kw, sh, sw, top, left)
        return (dx,)

    return op("avg_pool2d", out, (x,), backward)


def adaptive_avg_pool2d(x: Tensor, output_size: Any = 1) -> Tensor:
    """Global average pooling: (N, C, H, W) -> (N, C, 1, 1), the mean over each channel's H x W.
    Only output_size=1 is implemented (PyTorch also takes other sizes)."""
    x = floating("adaptive_avg_pool2d", "input", as_images("adaptive_avg_pool2d", x))
    if check.int_pair("adaptive_avg_pool2d", "output_size", output_size, 1) != (1, 1):
        raise ValueError(f"adaptive_avg_pool2d: only output_size=1 is implemented, got "
                         f"{output_size!r}")  # fmt: skip
    return x.mean(dim=(2, 3), keepdim=True)
