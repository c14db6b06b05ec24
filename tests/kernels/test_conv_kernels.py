"""im2col / col2im and pooling kernels: every version against the NumPy reference on several
geometries (stride, padding, dilation, odd sizes), and refusal of non-contiguous arrays."""

import numpy as np
import pytest
from kernel_versions import COMPILED
from layouts import in_layout

from tinyreg import kernels

GEOMETRIES = [  # (n, c, h, w, kh, kw, sh, sw, top, left, dh, dw)
    (2, 3, 7, 6, 3, 2, 2, 1, 1, 0, 1, 2),
    (1, 2, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1),
    (2, 1, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1),
    (1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1),
    (1, 2, 3, 3, 2, 2, 1, 1, 3, 3, 1, 1),  # padding past the kernel: whole taps read outside
    (2, 2, 9, 8, 3, 3, 2, 3, 2, 1, 2, 1),  # stride 3 with dilation 2
]


def output_size(h, k, s, pad, d):
    return (h + 2 * pad - d * (k - 1) - 1) // s + 1


@pytest.mark.parametrize("version", COMPILED)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_im2col_and_col2im_match_the_reference(version, dtype, geometry):
    n, c, h, w, kh, kw, sh, sw, top, left, dh, dw = geometry
    oh, ow = output_size(h, kh, sh, top, dh), output_size(w, kw, sw, left, dw)
    args = (kh, kw, sh, sw, top, left, dh, dw, oh, ow)
    x = np.random.default_rng(0).standard_normal((n, c, h, w)).astype(dtype)
    k, ref = kernels.backend(version), kernels.backend("reference")
    cols, cols_ref = (np.zeros((c * kh * kw, n * oh * ow), dtype) for _ in range(2))
    k.im2col(x, cols, *args)
    ref.im2col(x, cols_ref, *args)
    np.testing.assert_array_equal(cols, cols_ref)
    g = np.random.default_rng(1).standard_normal(cols.shape).astype(dtype)
    dx, dx_ref = np.zeros_like(x), np.zeros_like(x)
    k.col2im(g, dx, *args)
    ref.col2im(g, dx_ref, *args)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-5, atol=1e-5)


def test_col2im_is_the_adjoint_of_im2col():
    """<im2col(x), g> = <x, col2im(g)> for any x and g: col2im is im2col's transpose."""
    n, c, h, w, kh, kw, sh, sw, top, left, dh, dw = GEOMETRIES[0]
    oh, ow = output_size(h, kh, sh, top, dh), output_size(w, kw, sw, left, dw)
    args = (kh, kw, sh, sw, top, left, dh, dw, oh, ow)
    rng = np.random.default_rng(2)
    x, g = rng.standard_normal((n, c, h, w)), rng.standard_normal((c * kh * kw, n * oh * ow))
    cols, dx = np.empty_like(g), np.empty_like(x)
    kernels.backend("cpu").im2col(x, cols, *args)
    kernels.backend("cpu").col2im(g, dx, *args)
    assert np.vdot(cols, g) == pytest.approx(np.vdot(x, dx), rel=1e-12)


def test_col2im_parallel_build_equals_the_serial_one_bit_for_bit():
    from tinyreg.kernels.conv import _col2im_cpu

    n, c, h, w, kh, kw, sh, sw, top, left, dh, dw = GEOMETRIES[-1]
    oh, ow = output_size(h, kh, sh, top, dh), output_size(w, kw, sw, left, dw)
    args = (kh, kw, sh, sw, top, left, dh, dw, oh, ow)
    g = np.random.default_rng(3).standard_normal((c * kh * kw, n * oh * ow))
    serial, parallel = np.empty((n, c, h, w)), np.empty((n, c, h, w))
    _col2im_cpu.serial(serial, g, *args)
    _col2im_cpu.parallel(parallel, g, *args)
    np.testing.assert_array_equal(serial, parallel)


POOLS = [(2, 2, 2, 2, 0, 0), (3, 3, 2, 2, 1, 1), (3, 2, 2, 1, 1, 0), (3, 3, 1, 1, 1, 1)]


@pytest.mark.parametrize("version", COMPILED)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pool", POOLS)
def test_pooling_kernels_match_the_reference(version, dtype, pool):
    kh, kw, sh, sw, top, left = pool
    x = np.random.default_rng(3).standard_normal((2, 3, 7, 6)).astype(dtype)
    x[0, 0, :3, :3] = 4.0  # ties: the first maximum wins
    x[1, 2, 4, 1:3] = np.nan  # a NaN wins its windows (PyTorch), the last NaN gives the argmax
    oh, ow = (7 + 2 * top - kh) // sh + 1, (6 + 2 * left - kw) // sw + 1
    k, ref = kernels.backend(version), kernels.backend("reference")
    results = []
    for backend in (k, ref):
        out, argmax = np.zeros((2, 3, oh, ow), dtype), np.zeros((2, 3, oh, ow), np.int64)
        backend.max_pool_forward(x, out, argmax, kh, kw, sh, sw, top, left)
        g = np.random.default_rng(4).standard_normal(out.shape).astype(dtype)
        dx = np.zeros_like(x)
        backend.max_pool_backward(g, argmax, dx, kh, kw, sh, sw, top, left)
        avg, dx_avg = np.zeros_like(out), np.zeros_like(x)
        backend.avg_pool_forward(x, avg, kh, kw, sh, sw, top, left)
        backend.avg_pool_backward(g, dx_avg, kh, kw, sh, sw, top, left)
        results.append((out, argmax, dx, avg, dx_avg))
    for got, expected in zip(*results, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert np.isnan(results[0][0][1, 2]).any()


@pytest.mark.parametrize("version", COMPILED)
def test_conv_and_pool_kernels_refuse_non_contiguous_arrays(version):
    x = in_layout(np.random.default_rng(0).standard_normal((2, 2, 4, 4)), "transposed")
    cols = np.zeros((2 * 9, 2 * 4 * 4))
    with pytest.raises(ValueError, match="x of shape"):
        kernels.backend(version).im2col(x, cols, 3, 3, 1, 1, 1, 1, 1, 1, 4, 4)
    assert not cols.any()
    out, argmax = np.zeros((2, 2, 2, 2)), np.zeros((2, 2, 2, 2), np.int64)
    with pytest.raises(ValueError, match="x of shape"):
        kernels.backend(version).max_pool_forward(x, out, argmax, 2, 2, 2, 2, 0, 0)
