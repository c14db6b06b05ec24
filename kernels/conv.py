"""2-D convolution as im2col + one matrix product, and its gradients.

x is (N, C, H, W), the weight (O, C, kh, kw), the output (N, O, OH, OW) with

    OH = (H + top + bottom - dh * (kh - 1) - 1) // sh + 1          (and OW alike)

`cols` is (C * kh * kw, N * OH * OW): row k = (c, i, j), column r = (n, oy, ox), and

    cols[k, r] = x[n, c, oy * sh - top + i * dh, ox * sw - left + j * dw]     (0 outside x)

so the forward is one matrix product, out2 = weight.reshape(O, K) @ cols, and the backward two:
dweight = g2 @ cols.T and dcols = weight2.T @ g2, with g2 the output gradient as (O, N*OH*OW).
The products go to BLAS (cuBLAS through CuPy on a GPU); the kernels here are the two data
movements:

    im2col: x -> cols
    col2im: dcols -> dx, dx[n, c, y, x] = sum of dcols[k, r] over the (k, r) that read it

With a tap (c, i, j) per row, each row of cols is the image plane shifted by the tap: im2col and
col2im read and write runs of OW neighbouring values (at stride 1, plain copies), instead of
gathering C * kh * kw scattered values per output pixel. On the CPU both work on one (image,
channel) plane at a time: the plane is copied once into a zero-padded buffer P of the rows and
columns the windows read, and every tap's rows are runs read from P (im2col) or added into a zero
P, taps in order, whose interior is then dx (col2im): no bounds test per value, and no two
iterations write the same value. On the GPU col2im gathers (each input pixel sums what read it),
so it needs no atomics. Both sum in a fixed order: the same bits on any thread count.

Three versions of the same math: `*_reference` (NumPy, any memory layout), `*_cpu` (Numba) and
`*_cuda` (numba.cuda), which take C-contiguous arrays. tinyreg's conv2d calls them on tiles of
images (`tinyreg/nn/functional/conv.py`).
"""

from __future__ import annotations

import numpy as np
from numba import cuda, prange

from ._cpu import cpu_inline, parallel_kernel
from ._cuda import THREADS, cuda_inline, grid, read_only, stream_for
from ._layout import c_contiguous


# --------------------------------------------------------------------------- reference
def _padded(x, kh, kw, sh, sw, top, left, dh, dw, oh, ow):
    """x with `top`/`left` zeros before and enough zeros after for every window."""
    h, w = x.shape[2:]
    bottom = max(0, (oh - 1) * sh + (kh - 1) * dh + 1 - top - h)
    right = max(0, (ow - 1) * sw + (kw - 1) * dw + 1 - left - w)
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))


def _tap(i, j, sh, sw, dh, dw, oh, ow):
    """(rows, columns): the slices of the padded image that kernel tap (i, j) reads for the
    (OH, OW) outputs."""
    return (slice(i * dh, i * dh + (oh - 1) * sh + 1, sh),
            slice(j * dw, j * dw + (ow - 1) * sw + 1, sw))  # fmt: skip


def im2col_reference(x, cols, kh, kw, sh, sw, top, left, dh, dw, oh, ow) -> None:
    """cols[(c, i, j), (n, oy, ox)] = x[n, c, oy*sh - top + i*dh, ox*sw - left + j*dw]: the NumPy
    reference (any memory layout)."""
    n, c = x.shape[:2]
    xp = _padded(x, kh, kw, sh, sw, top, left, dh, dw, oh, ow)
    view = np.empty((c, kh, kw, n, oh, ow), x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _tap(i, j, sh, sw, dh, dw, oh, ow)
            patch = xp[..., rows, columns]
            view[:, i, j] = patch.transpose(1, 0, 2, 3)
    cols[...] = view.reshape(cols.shape)


def col2im_reference(dcols, dx, kh, kw, sh, sw, top, left, dh, dw, oh, ow) -> None:
    """dx = the sum, over every place im2col copied a pixel to, of dcols there: the NumPy
    reference (any memory layout)."""
    n, c, h, w = dx.shape
    dxp = np.zeros_like(_padded(dx, kh, kw, sh, sw, top, left, dh, dw, oh, ow))
    view = dcols.reshape(c, kh, kw, n, oh, ow)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _tap(i, j, sh, sw, dh, dw, oh, ow)
            dxp[..., rows, columns] += view[:, i, j].transpose(1, 0, 2, 3)
    dx[...] = dxp[:, :, top : top + h, left : left + w]


# --------------------------------------------------------------------------- per element
def _source(o, i, stride, offset, dilation, size):
    """The input coordinate that output position o reads at kernel tap i, or -1 outside."""
    y = o * stride - offset + i * dilation
    return y if 0 <= y < size else -1


def _plane_shape(kh, kw, sh, sw, dh, dw, oh, ow):
    """(rows, columns) of P: the zero-padded image cut to what the windows read."""
    return (oh - 1) * sh + (kh - 1) * dh + 1, (ow - 1) * sw + (kw - 1) * dw + 1


def _gathered(dcols, n, c, y, x, kh, kw, sh, sw, top, left, dh, dw, oh, ow):
    """The sum of dcols over every (row, column) whose im2col entry read x[n, c, y, x]."""
    total = 0.0  # accumulated in float64
    for i in range(kh):
        oy_scaled = y + top - i * dh
        if oy_scaled < 0 or oy_scaled % sh != 0:
            continue
        oy = oy_scaled // sh
        if oy >= oh:
            continue
        for j in range(kw):
            ox_scaled = x + left - j * dw
            if ox_scaled < 0 or ox_scaled % sw != 0:
                continue
            ox = ox_scaled // sw
            if ox < ow:
                total += dcols[(c * kh + i) * kw + j, (n * oh + oy) * ow + ox]
    return total


_source_cuda = cuda_inline(_source)
_plane_shape_cpu = cpu_inline(_plane_shape)
_gathered_cuda = cuda_inline(_gathered)  # the CPU col2im scatters instead


# --------------------------------------------------------------------------- cpu
# One (image, channel) plane per iteration, P in a buffer of the iteration's own. Inner loops index
# 1-D views from 0 (no negative-index test, so they vectorize). Parallel from images of 2^18
# values; tinyreg's conv2d calls these on tiles of ~2^20 lowered values, each tile on a thread of
# its own (tinyreg/threads.py), so a tile's images (~2^20 / (kh * kw) values) mostly run
# serially (before the tiles ran on threads, parallel kernels between the products fought BLAS's
# spinning threads: 2-core EPYC, workload C 80.7 ms serial against 99.6 ms parallel). One thread,
# conv 16->32 5x5 on 14x14, batch 128, forward and backward: 42.5 ms against 51.7 ms with the
# NumPy copies before.
@parallel_kernel(min_size=1 << 18)
def _im2col_cpu(x, cols, kh, kw, sh, sw, top, left, dh, dw, oh, ow):
    n, c, h, w = x.shape
    rows, width = _plane_shape_cpu(kh, kw, sh, sw, dh, dw, oh, ow)
    for p in prange(c * n):
        ch, b = p // n, p % n
        plane = np.zeros(rows * width, x.dtype)
        for y in range(min(h, rows - top)):
            row, source = plane[(top + y) * width + left :], x[b, ch, y]
            for xx in range(min(w, width - left)):
                row[xx] = source[xx]
        for i in range(kh):
            for j in range(kw):
                k = (ch * kh + i) * kw + j
                for oy in range(oh):
                    run = cols[k, (b * oh + oy) * ow :]
                    source = plane[(oy * sh + i * dh) * width + j * dw :]
                    if sw == 1:  # a plain copy (vectorized)
                        for ox in range(ow):
                            run[ox] = source[ox]
                    else:
                        for ox in range(ow):
                            run[ox] = source[ox * sw]


@parallel_kernel(min_size=1 << 18)
def _col2im_cpu(dx, dcols, kh, kw, sh, sw, top, left, dh, dw, oh, ow):
    n, c, h, w = dx.shape
    rows, width = _plane_shape_cpu(kh, kw, sh, sw, dh, dw, oh, ow)
    for p in prange(n * c):
        b, ch = p // c, p % c
        plane = np.zeros(rows * width, dx.dtype)
        for i in range(kh):
            for j in range(kw):
                k = (ch * kh + i) * kw + j
                for oy in range(oh):
                    run = dcols[k, (b * oh + oy) * ow :]
                    target = plane[(oy * sh + i * dh) * width + j * dw :]
                    if sw == 1:
                        for ox in range(ow):
                            target[ox] += run[ox]
                    else:
                        for ox in range(ow):
                            target[ox * sw] += run[ox]
        for y in range(h):
            row, target = plane[(top + y) * width + left :], dx[b, ch, y]
            for xx in range(w):  # pixels past the windows' reach get no gradient
                inside = top + y < rows and left + xx < width
                target[xx] = row[xx] if inside else 0


def im2col_cpu(x, cols, kh, kw, sh, sw, top, left, dh, dw, oh, ow) -> None:
    """cols[(c, i, j), (n, oy, ox)] = x[n, c, oy*sh - top + i*dh, ox*sw - left + j*dw]: the Numba
    CPU version (C-contiguous arrays)."""
    _im2col_cpu(c_contiguous(x, "x"), c_contiguous(cols, "cols"), kh, kw, sh, sw, top, left, dh,
                dw, oh, ow)  # fmt: skip


def col2im_cpu(dcols, dx, kh, kw, sh, sw, top, left, dh, dw, oh, ow) -> None:
    """dx = the sum, over every place im2col copied a pixel to, of dcols there: the Numba CPU
    version (C-contiguous arrays)."""
    _col2im_cpu(c_contiguous(dx, "dx"), c_contiguous(dcols, "dcols"), kh, kw, sh, sw, top, left,
                dh, dw, oh, ow)  # fmt: skip


# --------------------------------------------------------------------------- cuda
@cuda.jit
def _im2col_cuda(x, cols, kh, kw, sh, sw, top, left, dh, dw, oh, ow):
    n, c, h, w = x.shape
    columns = cols.shape[1]
    for e in range(cuda.grid(1), cols.shape[0] * columns, cuda.gridsize(1)):
        k, r = e // columns, e % columns
        b, rest = r // (oh * ow), r % (oh * ow)
        oy, ox = rest // ow, rest % ow
        ch, tap = k // (kh * kw), k % (kh * kw)
        y = _source_cuda(oy, tap // kw, sh, top, dh, h)
        xx = _source_cuda(ox, tap % kw, sw, left, dw, w)
        cols[k, r] = x[b, ch, y, xx] if y >= 0 and xx >= 0 else 0


@cuda.jit
def _col2im_cuda(dx, dcols, kh, kw, sh, sw, top, left, dh, dw, oh, ow):
    n, c, h, w = dx.shape
    for p in range(cuda.grid(1), n * c * h * w, cuda.gridsize(1)):
        b, rest = p // (c * h * w), p % (c * h * w)
        ch, rest = rest // (h * w), rest % (h * w)
        y, xx = rest // w, rest % w
        dx[b, ch, y, xx] = _gathered_cuda(dcols, b, ch, y, xx, kh, kw, sh, sw, top, left, dh, dw,
                                          oh, ow)  # fmt: skip


def im2col_cuda(x, cols, kh, kw, sh, sw, top, left, dh, dw, oh, ow) -> None:
    """cols[(c, i, j), (n, oy, ox)] = x[n, c, oy*sh - top + i*dh, ox*sw - left + j*dw]: the
    numba.cuda version (C-contiguous NumPy or CuPy arrays)."""
    x, cols = c_contiguous(x, "x"), c_contiguous(cols, "cols")
    if cols.size:
        _im2col_cuda[grid(cols.size), THREADS, stream_for(cols)](
            read_only(x), cols, kh, kw, sh, sw, top, left, dh, dw, oh, ow
        )


def col2im_cuda(dcols, dx, kh, kw, sh, sw, top, left, dh, dw, oh, ow) -> None:
    """dx = the sum, over every place im2col copied a pixel to, of dcols there: the numba.cuda
    version (C-contiguous NumPy or CuPy arrays)."""
    dcols, dx = c_contiguous(dcols, "dcols"), c_contiguous(dx, "dx")
    if dx.size:
        _col2im_cuda[grid(dx.size), THREADS, stream_for(dx)](
            dx, read_only(dcols), kh, kw, sh, sw, top, left, dh, dw, oh, ow
        )
