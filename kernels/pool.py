"""2-D max and average pooling, forward and backward.

x is (N, C, H, W); window (kh, kw), stride (sh, sw), padding (top, left) on each side; the output
(N, C, OH, OW) has OH = (H + 2 * top - kh) // sh + 1 (PyTorch's rule with ceil_mode=False). The
window of output (oy, ox) covers rows oy * sh - top ... + kh - 1 and columns alike.

    max:  out = max over the window's pixels inside x (padding never wins, as PyTorch pads with
          -inf; a NaN wins, as in PyTorch); argmax = y * W + x of the *first* maximal pixel in
          row-major order, or of the *last* NaN (PyTorch's choices); backward: dx[p] = sum of g
          over the windows whose argmax is p
    avg:  out = sum over the window's pixels inside x / (kh * kw)   (count_include_pad=True, as
          PyTorch's default); backward: dx[p] = sum of g / (kh * kw) over the windows covering p

The max-pool backward scatters on the CPU (one plane per thread, dx[argmax] += g) and gathers on
the GPU (each input pixel sums over the windows that cover it, no atomics); the average-pool
backward gathers on both. Sums run in a fixed order: the same bits on any thread count.

Three versions of the same math: `*_reference` (NumPy, any memory layout), `*_cpu` (Numba) and
`*_cuda` (numba.cuda), which take C-contiguous arrays.
"""

from __future__ import annotations

import numpy as np
from numba import cuda, prange

from ._cpu import cpu_inline, parallel_kernel
from ._cuda import THREADS, cuda_inline, grid, read_only, stream_for
from ._layout import c_contiguous


# --------------------------------------------------------------------------- reference
def max_pool_forward_reference(x, out, argmax, kh, kw, sh, sw, top, left) -> None:
    """Window maxima and the flat index of each window's first maximum: the NumPy reference (any
    memory layout)."""
    n, c, h, w = x.shape
    oh, ow = out.shape[2:]
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = oy * sh - top, ox * sw - left
            ys, xs = slice(max(y0, 0), min(y0 + kh, h)), slice(max(x0, 0), min(x0 + kw, w))
            window = x[:, :, ys, xs].reshape(n, c, -1)
            first = window.argmax(axis=2)  # NumPy's argmax is the first maximum too
            nan = np.isnan(window)  # PyTorch: a NaN wins, the last one gives the index
            last_nan = window.shape[2] - 1 - nan[..., ::-1].argmax(axis=2)
            first = np.where(nan.any(axis=2), last_nan, first)
            width = xs.stop - xs.start
            out[:, :, oy, ox] = np.take_along_axis(window, first[..., None], 2)[..., 0]
            argmax[:, :, oy, ox] = (ys.start + first // width) * w + xs.start + first % width


def max_pool_backward_reference(g, argmax, dx, kh, kw, sh, sw, top, left) -> None:
    """dx[p] = sum of g over the windows whose argmax is p: the NumPy reference (any layout)."""
    n, c = dx.shape[:2]
    flat = np.zeros((n, c, dx.shape[2] * dx.shape[3]), dx.dtype)
    for b in range(n):
        for ch in range(c):
            np.add.at(flat[b, ch], argmax[b, ch].ravel(), g[b, ch].ravel())
    dx[...] = flat.reshape(dx.shape)


def avg_pool_forward_reference(x, out, kh, kw, sh, sw, top, left) -> None:
    """Window sums over the pixels inside x, divided by kh * kw: the NumPy reference."""
    h, w = x.shape[2:]
    oh, ow = out.shape[2:]
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = oy * sh - top, ox * sw - left
            window = x[:, :, max(y0, 0) : min(y0 + kh, h), max(x0, 0) : min(x0 + kw, w)]
            out[:, :, oy, ox] = window.sum(axis=(2, 3), dtype=np.float64) / (kh * kw)


def avg_pool_backward_reference(g, dx, kh, kw, sh, sw, top, left) -> None:
    """dx[p] = sum of g / (kh * kw) over the windows covering p: the NumPy reference."""
    h, w = dx.shape[2:]
    oh, ow = g.shape[2:]
    total = np.zeros(dx.shape, np.float64)
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = oy * sh - top, ox * sw - left
            total[:, :, max(y0, 0) : min(y0 + kh, h), max(x0, 0) : min(x0 + kw, w)] += g[
                :, :, oy, ox, None, None
            ]
    dx[...] = total / (kh * kw)


# --------------------------------------------------------------------------- per element
def _window_max(x, b, ch, oy, ox, kh, kw, sh, sw, top, left, h, w):
    """(maximum, flat index of the first maximum) of one window, over its pixels inside x (every
    window has one: padding is at most half the kernel). A NaN wins, as in PyTorch, and then the
    window's last NaN is its maximum; a flag finds NaNs, so the common scan stays a plain max."""
    y0, x0 = oy * sh - top, ox * sw - left
    first_y, stop_y = max(y0, 0), min(y0 + kh, h)
    first_x, stop_x = max(x0, 0), min(x0 + kw, w)
    best, where = x[b, ch, first_y, first_x], first_y * w + first_x
    has_nan = False
    for y in range(first_y, stop_y):
        for xx in range(first_x, stop_x):
            v = x[b, ch, y, xx]
            has_nan |= v != v
            if v > best:
                best, where = v, y * w + xx
    if has_nan:
        for y in range(first_y, stop_y):
            for xx in range(first_x, stop_x):
                if x[b, ch, y, xx] != x[b, ch, y, xx]:
                    best, where = x[b, ch, y, xx], y * w + xx
    return best, where


def _window_sum(x, b, ch, oy, ox, kh, kw, sh, sw, top, left, h, w):
    """The sum of one window's pixels inside x, in float64."""
    total = 0.0
    for i in range(kh):
        y = oy * sh - top + i
        if 0 <= y < h:
            for j in range(kw):
                xx = ox * sw - left + j
                if 0 <= xx < w:
                    total += x[b, ch, y, xx]
    return total


def _max_gather(g, argmax, b, ch, y, xx, kh, kw, sh, sw, top, left, w):
    """The sum of g over the windows covering (y, xx) whose argmax is that pixel. The windows
    covering input row y are the outputs oy with oy * sh - top <= y <= oy * sh - top + kh - 1."""
    oh, ow = g.shape[2], g.shape[3]
    first_y, last_y = max(0, (y + top - kh + sh) // sh), min(oh - 1, (y + top) // sh)
    first_x, last_x = max(0, (xx + left - kw + sw) // sw), min(ow - 1, (xx + left) // sw)
    total = 0.0
    for oy in range(first_y, last_y + 1):
        for ox in range(first_x, last_x + 1):
            if argmax[b, ch, oy, ox] == y * w + xx:
                total += g[b, ch, oy, ox]
    return total


def _avg_gather(g, b, ch, y, xx, kh, kw, sh, sw, top, left):
    """The sum of g over the windows covering (y, xx), divided by kh * kw."""
    oh, ow = g.shape[2], g.shape[3]
    first_y, last_y = max(0, (y + top - kh + sh) // sh), min(oh - 1, (y + top) // sh)
    first_x, last_x = max(0, (xx + left - kw + sw) // sw), min(ow - 1, (xx + left) // sw)
    total = 0.0
    for oy in range(first_y, last_y + 1):
        for ox in range(first_x, last_x + 1):
            total += g[b, ch, oy, ox]
    return total / (kh * kw)


_window_max_cpu, _window_max_cuda = cpu_inline(_window_max), cuda_inline(_window_max)
_window_sum_cpu, _window_sum_cuda = cpu_inline(_window_sum), cuda_inline(_window_sum)
_max_gather_cuda = cuda_inline(_max_gather)  # the CPU backward scatters instead
_avg_gather_cpu, _avg_gather_cuda = cpu_inline(_avg_gather), cuda_inline(_avg_gather)


# --------------------------------------------------------------------------- cpu
@parallel_kernel(min_size=1 << 18)
def _max_pool_forward_cpu(x, out, argmax, kh, kw, sh, sw, top, left):
    n, c, h, w = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for p in prange(n * c):
        b, ch = p // c, p % c
        for oy in range(oh):
            for ox in range(ow):
                best, where = _window_max_cpu(x, b, ch, oy, ox, kh, kw, sh, sw, top, left, h, w)
                out[b, ch, oy, ox], argmax[b, ch, oy, ox] = best, where


@parallel_kernel(min_size=1 << 18)
def _max_pool_backward_cpu(dx, g, argmax, kh, kw, sh, sw, top, left):
    # Scatter, one (sample, channel) plane per thread: dx[argmax] += g, race-free.
    n, c, h, w = dx.shape
    oh, ow = g.shape[2], g.shape[3]
    for p in prange(n * c):
        b, ch = p // c, p % c
        dx[b, ch] = 0
        for oy in range(oh):
            for ox in range(ow):
                where = argmax[b, ch, oy, ox]
                dx[b, ch, where // w, where % w] += g[b, ch, oy, ox]


@parallel_kernel(min_size=1 << 18)
def _avg_pool_forward_cpu(x, out, kh, kw, sh, sw, top, left):
    n, c, h, w = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for p in prange(n * c):
        b, ch = p // c, p % c
        for oy in range(oh):
            for ox in range(ow):
                total = _window_sum_cpu(x, b, ch, oy, ox, kh, kw, sh, sw, top, left, h, w)
                out[b, ch, oy, ox] = total / (kh * kw)


@parallel_kernel(min_size=1 << 18)
def _avg_pool_backward_cpu(dx, g, kh, kw, sh, sw, top, left):
    n, c, h, w = dx.shape
    for p in prange(n * c):
        b, ch = p // c, p % c
        for y in range(h):
            for xx in range(w):
                dx[b, ch, y, xx] = _avg_gather_cpu(g, b, ch, y, xx, kh, kw, sh, sw, top, left)


def max_pool_forward_cpu(x, out, argmax, kh, kw, sh, sw, top, left) -> None:
    """Window maxima and the flat index of each window's first maximum: the Numba CPU version
    (C-contiguous arrays)."""
    _max_pool_forward_cpu(c_contiguous(x, "x"), c_contiguous(out, "out"),
                          c_contiguous(argmax, "argmax"), kh, kw, sh, sw, top, left)  # fmt: skip


def max_pool_backward_cpu(g, argmax, dx, kh, kw, sh, sw, top, left) -> None:
    """dx[p] = sum of g over the windows whose argmax is p: the Numba CPU version."""
    _max_pool_backward_cpu(c_contiguous(dx, "dx"), c_contiguous(g, "g"),
                           c_contiguous(argmax, "argmax"), kh, kw, sh, sw, top, left)  # fmt: skip


def avg_pool_forward_cpu(x, out, kh, kw, sh, sw, top, left) -> None:
    """Window sums over the pixels inside x, divided by kh * kw: the Numba CPU version."""
    _avg_pool_forward_cpu(c_contiguous(x, "x"), c_contiguous(out, "out"), kh, kw, sh, sw, top,
                          left)  # fmt: skip


def avg_pool_backward_cpu(g, dx, kh, kw, sh, sw, top, left) -> None:
    """dx[p] = sum of g / (kh * kw) over the windows covering p: the Numba CPU version."""
    _avg_pool_backward_cpu(c_contiguous(dx, "dx"), c_contiguous(g, "g"), kh, kw, sh, sw, top,
                           left)  # fmt: skip


# --------------------------------------------------------------------------- cuda
# One thread per output value (forward) or per input pixel (backward, gathering).
@cuda.jit
def _max_pool_forward_cuda(x, out, argmax, kh, kw, sh, sw, top, left):
    n, c, h, w = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for e in range(cuda.grid(1), n * c * oh * ow, cuda.gridsize(1)):
        b, rest = e // (c * oh * ow), e % (c * oh * ow)
        ch, rest = rest // (oh * ow), rest % (oh * ow)
        oy, ox = rest // ow, rest % ow
        best, where = _window_max_cuda(x, b, ch, oy, ox, kh, kw, sh, sw, top, left, h, w)
        out[b, ch, oy, ox], argmax[b, ch, oy, ox] = best, where


@cuda.jit
def _max_pool_backward_cuda(dx, g, argmax, kh, kw, sh, sw, top, left):
    n, c, h, w = dx.shape
    for e in range(cuda.grid(1), n * c * h * w, cuda.gridsize(1)):
        b, rest = e // (c * h * w), e % (c * h * w)
        ch, rest = rest // (h * w), rest % (h * w)
        y, xx = rest // w, rest % w
        dx[b, ch, y, xx] = _max_gather_cuda(g, argmax, b, ch, y, xx, kh, kw, sh, sw, top, left, w)


@cuda.jit
def _avg_pool_forward_cuda(x, out, kh, kw, sh, sw, top, left):
    n, c, h, w = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for e in range(cuda.grid(1), n * c * oh * ow, cuda.gridsize(1)):
        b, rest = e // (c * oh * ow), e % (c * oh * ow)
        ch, rest = rest // (oh * ow), rest % (oh * ow)
        oy, ox = rest // ow, rest % ow
        total = _window_sum_cuda(x, b, ch, oy, ox, kh, kw, sh, sw, top, left, h, w)
        out[b, ch, oy, ox] = total / (kh * kw)


@cuda.jit
def _avg_pool_backward_cuda(dx, g, kh, kw, sh, sw, top, left):
    n, c, h, w = dx.shape
    for e in range(cuda.grid(1), n * c * h * w, cuda.gridsize(1)):
        b, rest = e // (c * h * w), e % (c * h * w)
        ch, rest = rest // (h * w), rest % (h * w)
        y, xx = rest // w, rest % w
        dx[b, ch, y, xx] = _avg_gather_cuda(g, b, ch, y, xx, kh, kw, sh, sw, top, left)


def max_pool_forward_cuda(x, out, argmax, kh, kw, sh, sw, top, left) -> None:
    """Window maxima and the flat index of each window's first maximum: the numba.cuda version
    (C-contiguous NumPy or CuPy arrays)."""
    x, out, argmax = c_contiguous(x, "x"), c_contiguous(out, "out"), c_contiguous(argmax, "argmax")
    if out.size:
        _max_pool_forward_cuda[grid(out.size), THREADS, stream_for(out)](
            read_only(x), out, argmax, kh, kw, sh, sw, top, left
        )


def max_pool_backward_cuda(g, argmax, dx, kh, kw, sh, sw, top, left) -> None:
    """dx[p] = sum of g over the windows whose argmax is p: the numba.cuda version."""
    g, argmax, dx = c_contiguous(g, "g"), c_contiguous(argmax, "argmax"), c_contiguous(dx, "dx")
    if dx.size:
        _max_pool_backward_cuda[grid(dx.size), THREADS, stream_for(dx)](
            dx, read_only(g), read_only(argmax), kh, kw, sh, sw, top, left
        )


def avg_pool_forward_cuda(x, out, kh, kw, sh, sw, top, left) -> None:
    """Window sums over the pixels inside x, divided by kh * kw: the numba.cuda version."""
    x, out = c_contiguous(x, "x"), c_contiguous(out, "out")
    if out.size:
        _avg_pool_forward_cuda[grid(out.size), THREADS, stream_for(out)](
            read_only(x), out, kh, kw, sh, sw, top, left
        )


def avg_pool_backward_cuda(g, dx, kh, kw, sh, sw, top, left) -> None:
    """dx[p] = sum of g / (kh * kw) over the windows covering p: the numba.cuda version."""
    g, dx = c_contiguous(g, "g"), c_contiguous(dx, "dx")
    if dx.size:
        _avg_pool_backward_cuda[grid(dx.size), THREADS, stream_for(dx)](
            dx, read_only(g), kh, kw, sh, sw, top, left
        )
