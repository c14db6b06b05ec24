"""Convolution: conv2d as lowered columns times the weight, in tiles of images."""

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
from ...threads import map_tiles


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
    splitting an odd total as PyTorch does (the extra row at the bottom). Computed in tiles of
    images (`TILE_VALUES`): each tile is lowered to columns (im2col of kernels/conv.py) and
    multiplied by the weight as one matrix product; the backward lowers the tile again (nothing
    of the size of the columns is kept between forward and backward), takes two matrix products
    and lifts the columns' gradient back (col2im). The tiles run on every thread
    (`tinyreg.threads.map_tiles`, BLAS on one thread inside a tile), and the weight's and the
    bias's gradients add the tiles' parts in tile order: the same bits on any thread count.
    """
    return _convolve("conv2d", x, weight, bias, stride, padding, dilation, relu=False)


def conv2d_relu(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                padding: Any = 0, dilation: Any = 1) -> Tensor:  # fmt: skip
    """relu(conv2d(x, weight, bias, stride, padding, dilation)) as one op (tinyreg's own; no
    PyTorch name): what a Sequential runs for Conv2d -> ReLU while fusion is on
    (`tinyreg.nn.fusion`). Each tile's output gets max(., 0) while it is still in the cache, and
    the backward multiplies each tile's gradient by (output > 0) as it copies it for the
    products; no separate ReLU pass, no mask array. The float operations are those of
    conv2d followed by relu, so the result and every gradient are equal to theirs bit for bit.
    """
    return _convolve("conv2d_relu", x, weight, bias, stride, padding, dilation, relu=True)


def _convolve(owner: str, x: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
              padding: Any, dilation: Any, relu: bool) -> Tensor:  # fmt: skip
    """conv2d (and, with `relu`, max(., 0) on each tile's output), its checks named `owner`."""
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
    xp, k = array_module(a), kernels_for(a)
    geometry = (kh, kw, sh, sw, top, left, dh, dw, oh, ow)
    w2, columns, k2 = w.reshape(o, -1), oh * ow, c * kh * kw
    tiles = _tiles(n, k2 * columns, xp is np)
    out = xp.empty((n, o, oh, ow), a.dtype)

    def tile_forward(first: int, stop: int) -> None:
        """out[tile] = w2 @ im2col(x[tile]) (+ bias), as NCHW."""
        m = stop - first
        tile_cols = xp.empty((k2, m * columns), a.dtype)
        k.im2col(a[first:stop], tile_cols, *geometry)
        pixels = (w2 @ tile_cols).reshape(o, m, oh, ow).transpose(1, 0, 2, 3)
        if bias is not None:  # the bias joins in the copy to NCHW
            xp.add(pixels, bias.data[:, None, None], out=out[first:stop])
        else:
            out[first:stop] = pixels
        if relu:
            xp.maximum(out[first:stop], 0, out=out[first:stop])

    map_tiles(tile_forward, tiles)

    def backward(g):
        gx = xp.empty_like(a) if x.requires_grad else None
        gw = xp.zeros(w2.shape, a.dtype) if weight.requires_grad else None
        gb = xp.zeros(o, a.dtype) if bias is not None and bias.requires_grad else None

        def tile_backward(first: int, stop: int) -> tuple:
            """The output gradient as (O, pixels) (times relu's mask, out > 0), im2col again,
            the two products and col2im; returns the tile's parts of dweight and dbias."""
            m = stop - first
            tile_g = xp.empty((o, m * columns), a.dtype)
            planes = tile_g.reshape(o, m, oh, ow)
            if relu:  # relu's backward, g * (x > 0), with out > 0 exactly where x > 0
                xp.multiply(g[first:stop].transpose(1, 0, 2, 3),
                            out[first:stop].transpose(1, 0, 2, 3) > 0, out=planes)  # fmt: skip
            else:
                planes[...] = g[first:stop].transpose(1, 0, 2, 3)
            if gx is not None:
                k.col2im(w2.T @ tile_g, gx[first:stop], *geometry)
            gb_part = tile_g.sum(axis=1) if gb is not None else None
            if gw is None:
                return None, gb_part
            tile_cols = xp.empty((k2, m * columns), a.dtype)
            k.im2col(a[first:stop], tile_cols, *geometry)
            return tile_g @ tile_cols.T, gb_part

        for gw_part, gb_part in map_tiles(tile_backward, tiles):  # added in tile order
            if gw is not None:
                gw += gw_part
            if gb is not None:
                gb += gb_part
        return gx, None if gw is None else gw.reshape(w.shape), gb

    return op(owner, out, (x, weight, bias if bias is not None else x), backward)


# Values of x's im2col held at once on the CPU: a tile of images whose columns stay in the cache
# between lowering and the product (1 MiB of L2 and 32 MiB of L3 on the 2-core EPYC), and a bound
# on the memory a convolution takes beyond its input and output. Conv 16->32 5x5 on 14x14, batch
# 128, float32, im2col, one thread: forward and backward 62.6 ms in tiles of 2^20 values (13
# images) against 72.5 ms for the whole batch at once (2^18 to 2^24 were within the noise on two
# threads); workload C's peak memory went from 135 to 59 MiB.
TILE_VALUES = 1 << 20


def _tiles(n: int, per_image: int, tiled: bool) -> list[tuple[int, int]]:
    """[first, stop) ranges of images that together cover 0..n: each holds at most
    TILE_VALUES // per_image images (at least one) when `tiled`, else one range of all (the GPU
    has memory to spare and wants big products)."""
    size = max(1, TILE_VALUES // per_image) if tiled else n
    return [(first, min(n, first + size)) for first in range(0, n, size)]
