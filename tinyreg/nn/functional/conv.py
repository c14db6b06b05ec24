"""Convolution: conv2d through im2col and one matrix product."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import validate as check
from ..._tensor import Tensor, as_tensor
from ...autograd.function import op
from ...device import (
    array_module,
    contiguous,
    kernels_for,
)


def as_images(owner: str, x: Tensor) -> Tensor:
    """`x` as a tensor, or a ValueError naming `owner` unless it is (N, C, H, W)."""
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"{owner}: input must be (N, C, H, W), got shape {x.shape}")
    return x


def floating(owner: str, name: str, x: Tensor) -> Tensor:
    """`x` unchanged, or a TypeError naming `owner`, the argument and its dtype unless it holds
    floating-point numbers (PyTorch refuses integer and bool input to the layers that compute on
    it, e.g. conv2d with float weights or batch_norm; computing in integers would wrap or truncate).
    """
    dtype = np.dtype(x.dtype)
    if not np.issubdtype(dtype, np.floating):
        hint = "x.float() / 255" if dtype == np.uint8 else "x.float()"
        raise TypeError(f"{owner}: {name} must be a floating-point tensor, got dtype {dtype} "
                        f"(shape {tuple(x.shape)}); convert it first, e.g. {hint}")  # fmt: skip
    return x


def parameter(owner: str, name: str, value: Any, shape: tuple | None = None,
              optional: bool = True) -> Tensor | None:  # fmt: skip
    """`value` (a Tensor, or None if optional), or a TypeError naming `owner` and the argument
    unless it is a floating-point Tensor, or a ValueError unless its shape is `shape` (if given)."""
    if value is None and optional:
        return None
    if not isinstance(value, Tensor):
        expected = "a Tensor or None" if optional else "a Tensor"
        raise TypeError(f"{owner}: {name} must be {expected}, got {type(value).__name__}; "
                        "wrap an array with tinyreg.tensor(...)")  # fmt: skip
    floating(owner, name, value)
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise ValueError(f"{owner}: {name} must have shape {tuple(shape)}, got shape "
                         f"{tuple(value.shape)}")  # fmt: skip
    return value


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1) -> Tensor:  # fmt: skip
    """2-D cross-correlation, PyTorch's conv2d: x (N, C, H, W), weight (O, C, kh, kw), output
    (N, O, OH, OW) with OH = (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1.

        out[n, o, oy, ox] = bias[o] + sum_{c,i,j} weight[o, c, i, j]
                            * x[n, c, oy * stride - padding + i * dilation, ox * ... + j * dilation]

    stride, padding, dilation: an int or a pair; padding="same" (stride 1) pads so OH = H,
    splitting an odd total as PyTorch does (the extra row at the bottom). Computed as im2col
    (kernels/conv.py) and one matrix product; the backward is two matrix products and col2im.
    """
    owner = "conv2d"
    x = floating(owner, "input", as_images(owner, x))
    weight = parameter(owner, "weight", weight, optional=False)
    a, w = contiguous(x.data), weight.data
    if w.ndim != 4 or w.shape[1] != a.shape[1]:
        raise ValueError(f"{owner}: weight {w.shape} does not fit input {a.shape} (expected "
                         f"(out_channels, {a.shape[1]}, kh, kw))")  # fmt: skip
    bias = parameter(owner, "bias", bias, (w.shape[0],))
    n, c, h, wd = a.shape
    o, _, kh, kw = w.shape
    sh, sw = check.int_pair(owner, "stride", stride, 1)
    dh, dw = check.int_pair(owner, "dilation", dilation, 1)
    if isinstance(padding, str):
        check.choice(owner, "padding", padding, ("same", "valid"))
        if padding == "same" and (sh, sw) != (1, 1):
            raise ValueError(f"{owner}: padding='same' needs stride 1, got stride {(sh, sw)}")
        total_h, total_w = (dh * (kh - 1), dw * (kw - 1)) if padding == "same" else (0, 0)
        top, left = total_h // 2, total_w // 2
    else:
        top, left = check.int_pair(owner, "padding", padding, 0)
        total_h, total_w = 2 * top, 2 * left
    oh = (h + total_h - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + total_w - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"{owner}: the kernel ({kh}, {kw}) with dilation {(dh, dw)} does not fit "
                         f"the padded input ({h + total_h}, {wd + total_w})")  # fmt: skip
    xp = array_module(a)
    geometry = (kh, kw, sh, sw, top, left, dh, dw, oh, ow)
    cols = xp.empty((c * kh * kw, n * oh * ow), a.dtype)
    k = kernels_for(a)
    k.im2col(a, cols, *geometry)
    w2 = w.reshape(o, -1)
    by_channel = (w2 @ cols).reshape(o, n, oh * ow).transpose(1, 0, 2)  # (N, O, OH*OW) view
    out = xp.empty((n, o, oh, ow), a.dtype)
    if bias is not None:  # the bias joins in the copy to NCHW
        xp.add(by_channel, bias.data[:, None], out=out.reshape(n, o, oh * ow))
    else:
        out.reshape(n, o, oh * ow)[...] = by_channel

    def backward(g):
        g2 = xp.ascontiguousarray(g.reshape(n, o, oh * ow).transpose(1, 0, 2)).reshape(o, -1)
        gw = (g2 @ cols.T).reshape(w.shape) if weight.requires_grad else None
        gb = g2.sum(axis=1) if bias is not None and bias.requires_grad else None
        gx = None
        if x.requires_grad:
            gx = xp.empty_like(a)
            k.col2im(w2.T @ g2, gx, *geometry)
        return gx, gw, gb

    return op("conv2d", out, (x, weight, bias if bias is not None else x), backward)
