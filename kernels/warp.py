"""Batched image warps: affine (rotation and scaling, bilinear), flips and crops.

Images are (N, C, H, W), C-contiguous. Each image n has its own 2x3 matrix M_n = [A_n | t_n]
mapping an output pixel to the input position it reads, about the centre of the pixel grid
(cy, cx) = ((H - 1) / 2, (W - 1) / 2):

    (sx, sy) = A_n (c - cx, r - cy) + t_n + (cx, cy)       for output row r, column c
    out[n, k, r, c] = bilinear(image[n, k], sy, sx), each neighbour outside the image = fill

A rotation by theta counter-clockwise (as displayed, rows going down) reads from
A = [[cos, -sin], [sin, cos]]; scaling by s reads from A / s. Products of these are one matrix,
so a rotation and a scaling cost one pass. At 90 degrees A is exactly [[0, -1], [1, 0]] and the
warp equals np.rot90.

flip: out = image reversed along W (horizontal) and/or H (vertical), per image flags.
crop: out[n, k, i, j] = padded[n, k, top_n + i, left_n + j], `padded` = image with `padding`
fill pixels on every side.

Three versions of the same math: `*_reference` (NumPy), `*_cpu` (Numba, parallel over images),
`*_cuda` (numba.cuda, one thread per output pixel).
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, float64, prange

from ._cpu import cpu_inline, parallel_kernel
from ._cuda import THREADS, cuda_inline, grid, stream_for
from ._layout import c_contiguous


# --------------------------------------------------------------------------- reference
def affine_warp_reference(images, matrices, fill, out) -> None:
    """out[n] = image n warped bilinearly by its 2x3 matrix, `fill` outside: the NumPy reference
    (any memory layout)."""
    n, channels, h, w = images.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    rows, cols = np.meshgrid(np.arange(h) - cy, np.arange(w) - cx, indexing="ij")
    for i in range(n):
        (a, b, tx), (d, e, ty) = matrices[i]
        sx = np.clip(a * cols + b * rows + tx + cx, -2, w + 1)  # see _clamp
        sy = np.clip(d * cols + e * rows + ty + cy, -2, h + 1)
        x0, y0 = np.floor(sx).astype(int), np.floor(sy).astype(int)
        fx, fy = sx - x0, sy - y0
        for k in range(channels):
            image = images[i, k]

            def pixel(y, x, image=image):
                inside = (y >= 0) & (y < h) & (x >= 0) & (x < w)
                return np.where(inside, image[np.clip(y, 0, h - 1), np.clip(x, 0, w - 1)], fill)

            top = pixel(y0, x0) * (1 - fx) + pixel(y0, x0 + 1) * fx
            bottom = pixel(y0 + 1, x0) * (1 - fx) + pixel(y0 + 1, x0 + 1) * fx
            out[i, k] = top * (1 - fy) + bottom * fy


def flip_reference(images, horizontal, vertical, out) -> None:
    """out[n] = image n flipped left-right and/or upside-down by its flags: the NumPy reference (any
    memory layout)."""
    for i in range(len(images)):
        image = images[i]
        if horizontal[i]:
            image = image[..., ::-1]
        if vertical[i]:
            image = image[..., ::-1, :]
        out[i] = image


def crop_reference(images, tops, lefts, padding, fill, out) -> None:
    """out[n] = a window of image n padded with `fill`: the NumPy reference (any memory layout)."""
    pad = ((0, 0), (padding, padding), (padding, padding))
    oh, ow = out.shape[2:]
    for i in range(len(images)):
        padded = np.pad(images[i], pad, constant_values=fill)
        out[i] = padded[:, tops[i] : tops[i] + oh, lefts[i] : lefts[i] + ow]


# --------------------------------------------------------------------------- per pixel
def _bilinear(images, i, k, y0, x0, fy, fx, h, w, fill):
    """Bilinear sample of images[i, k] at (y0 + fy, x0 + fx), y0 and x0 the floors of the
    position; neighbours outside the image read `fill`."""
    if 0 <= y0 and y0 + 1 < h and 0 <= x0 and x0 + 1 < w:  # all four neighbours inside
        # lerp form, free of float64 literals so float32 images keep float32 arithmetic
        top = images[i, k, y0, x0] + (images[i, k, y0, x0 + 1] - images[i, k, y0, x0]) * fx
        bottom = images[i, k, y0 + 1, x0]
        bottom = bottom + (images[i, k, y0 + 1, x0 + 1] - bottom) * fx
        return top + (bottom - top) * fy
    total = 0.0
    for dy in range(2):
        for dx in range(2):
            y, x = y0 + dy, x0 + dx
            weight = (fy if dy else 1.0 - fy) * (fx if dx else 1.0 - fx)
            if 0 <= y < h and 0 <= x < w:
                total += weight * images[i, k, y, x]
            else:
                total += weight * fill
    return total


def _clamp(v, n):
    """v limited to [-2, n + 1]: beyond that all four neighbours are outside and read `fill`
    either way, and the floor below stays in range for any scale factor."""
    return min(max(v, -2), n + 1)


def _floor(v):
    """floor(v) for |v| < 2^20 as a truncating int conversion (faster than a libm call)."""
    return int(float64(v) + 1048576.0) - 1048576


_bilinear_cpu, _bilinear_cuda = cpu_inline(_bilinear), cuda_inline(_bilinear)
_floor_cpu, _floor_cuda = cpu_inline(_floor), cuda_inline(_floor)
_clamp_cpu, _clamp_cuda = cpu_inline(_clamp), cuda_inline(_clamp)


# --------------------------------------------------------------------------- cpu
@parallel_kernel(min_size=1 << 15)
def _affine_warp_cpu(images, matrices, fill, out):
    n, channels, h, w = images.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    t = images.dtype.type  # coordinates in the images' dtype: float32 math for float32 images
    for i in prange(n):
        a, b, tx = t(matrices[i, 0, 0]), t(matrices[i, 0, 1]), t(matrices[i, 0, 2] + cx)
        d, e, ty = t(matrices[i, 1, 0]), t(matrices[i, 1, 1]), t(matrices[i, 1, 2] + cy)
        for k in range(channels):
            for r in range(h):
                row_x, row_y = b * t(r - cy) + tx, e * t(r - cy) + ty
                for c in range(w):
                    sx, sy = a * t(c - cx) + row_x, d * t(c - cx) + row_y
                    sx, sy = _clamp_cpu(sx, t(w)), _clamp_cpu(sy, t(h))
                    x0, y0 = _floor_cpu(sx), _floor_cpu(sy)
                    fx, fy = sx - t(x0), sy - t(y0)  # t(): int - float32 would be float64
                    out[i, k, r, c] = _bilinear_cpu(images, i, k, y0, x0, fy, fx, h, w, fill)


@parallel_kernel(min_size=1 << 15)
def _flip_cpu(images, horizontal, vertical, out):
    n, channels, h, w = images.shape
    for i in prange(n):
        for k in range(channels):
            for r in range(h):
                source_row = h - 1 - r if vertical[i] else r
                for c in range(w):
                    out[i, k, r, c] = images[i, k, source_row, w - 1 - c if horizontal[i] else c]


@parallel_kernel(min_size=1 << 15)
def _crop_cpu(images, tops, lefts, padding, fill, out):
    n, channels, h, w = images.shape
    oh, ow = out.shape[2], out.shape[3]
    for i in prange(n):
        for k in range(channels):
            for r in range(oh):
                y = tops[i] + r - padding
                for c in range(ow):
                    x = lefts[i] + c - padding
                    inside = 0 <= y < h and 0 <= x < w
                    out[i, k, r, c] = images[i, k, y, x] if inside else fill


def _checked(images, out):
    return c_contiguous(images, "images"), c_contiguous(out, "out")


def affine_warp_cpu(images, matrices, fill, out) -> None:
    """out[n] = image n warped bilinearly by its 2x3 matrix, `fill` outside: the Numba CPU version
    (C-contiguous arrays)."""
    images, out = _checked(images, out)
    _affine_warp_cpu(images, matrices, images.dtype.type(fill), out)


def flip_cpu(images, horizontal, vertical, out) -> None:
    """out[n] = image n flipped left-right and/or upside-down by its flags: the Numba CPU version
    (C-contiguous arrays)."""
    images, out = _checked(images, out)
    _flip_cpu(images, horizontal, vertical, out)


def crop_cpu(images, tops, lefts, padding, fill, out) -> None:
    """out[n] = a window of image n padded with `fill`: the Numba CPU version (C-contiguous
    arrays)."""
    images, out = _checked(images, out)
    _crop_cpu(images, tops, lefts, int(padding), images.dtype.type(fill), out)


# --------------------------------------------------------------------------- cuda
@cuda.jit
def _affine_warp_cuda(images, matrices, fill, out):
    n, channels, h, w = images.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    for p in range(cuda.grid(1), n * h * w, cuda.gridsize(1)):
        i, rest = p // (h * w), p % (h * w)
        r, c = rest // w, rest % w
        sx = matrices[i, 0, 0] * (c - cx) + matrices[i, 0, 1] * (r - cy) + matrices[i, 0, 2] + cx
        sy = matrices[i, 1, 0] * (c - cx) + matrices[i, 1, 1] * (r - cy) + matrices[i, 1, 2] + cy
        sx, sy = _clamp_cuda(sx, w), _clamp_cuda(sy, h)
        x0, y0 = math.floor(sx), math.floor(sy)
        for k in range(channels):
            out[i, k, r, c] = _bilinear_cuda(images, i, k, y0, x0, sy - y0, sx - x0, h, w, fill)


@cuda.jit
def _flip_cuda(images, horizontal, vertical, out):
    n, channels, h, w = images.shape
    for p in range(cuda.grid(1), n * h * w, cuda.gridsize(1)):
        i, rest = p // (h * w), p % (h * w)
        r, c = rest // w, rest % w
        source_row = h - 1 - r if vertical[i] else r
        source_col = w - 1 - c if horizontal[i] else c
        for k in range(channels):
            out[i, k, r, c] = images[i, k, source_row, source_col]


@cuda.jit
def _crop_cuda(images, tops, lefts, padding, fill, out):
    n, channels, h, w = images.shape
    oh, ow = out.shape[2], out.shape[3]
    for p in range(cuda.grid(1), n * oh * ow, cuda.gridsize(1)):
        i, rest = p // (oh * ow), p % (oh * ow)
        r, c = rest // ow, rest % ow
        y, x = tops[i] + r - padding, lefts[i] + c - padding
        inside = 0 <= y < h and 0 <= x < w
        for k in range(channels):
            out[i, k, r, c] = images[i, k, y, x] if inside else fill


def affine_warp_cuda(images, matrices, fill, out) -> None:
    """out[n] = image n warped bilinearly by its 2x3 matrix, `fill` outside: the numba.cuda version
    (C-contiguous NumPy or CuPy arrays)."""
    images, out = _checked(images, out)
    n, _, h, w = images.shape
    if images.size:
        _affine_warp_cuda[grid(n * h * w), THREADS, stream_for(images)](
            images, matrices, images.dtype.type(fill), out
        )


def flip_cuda(images, horizontal, vertical, out) -> None:
    """out[n] = image n flipped left-right and/or upside-down by its flags: the numba.cuda version
    (C-contiguous NumPy or CuPy arrays)."""
    images, out = _checked(images, out)
    n, _, h, w = images.shape
    if images.size:
        _flip_cuda[grid(n * h * w), THREADS, stream_for(images)](images, horizontal, vertical, out)


def crop_cuda(images, tops, lefts, padding, fill, out) -> None:
    """out[n] = a window of image n padded with `fill`: the numba.cuda version (C-contiguous NumPy
    or CuPy arrays)."""
    images, out = _checked(images, out)
    n, _, oh, ow = out.shape
    if out.size:
        _crop_cuda[grid(n * oh * ow), THREADS, stream_for(images)](
            images, tops, lefts, int(padding), images.dtype.type(fill), out
        )
