"""im2col / col2im and pooling kernels: every version against the NumPy reference on several
geometries (stride, padding, dilation, odd sizes), and refusal of non-contiguous arrays."""

import numpy as np
import pytest
from kernel_versions import COMPILED
from layouts import LAYOUTS, broadcast_values, in_layout

from tinyreg import kernels

GEOMETRIES = [  # (n, c, h, w, kh, kw, sh, sw, top, left, dh, dw)
    (2, 3, 7, 6, 3, 2, 2, 1, 1, 0, 1, 2),
    (1, 2, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1),
    (2, 1, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1),
    (1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1),
    (1, 2, 3, 3, 2, 2, 1, 1, 3, 3, 1, 1),  # padding past the kernel: whole taps read outside
    (2, 2, 9, 8, 3, 3, 2, 3, 2, 1, 2, 1),  # stride 3 with dilation 2
    (2, 3, 8, 7, 3, 2, 1, 1, 2, 1, 2, 2),  # stride 1 with dilation 2
    (2, 1, 5, 5, 2, 2, 2, 2, 0, 0, 1, 1),  # the last row and column of x are in no window
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


@pytest.mark.parametrize("geometry", [GEOMETRIES[1], GEOMETRIES[-3], GEOMETRIES[-2]])
def test_parallel_builds_equal_the_serial_ones_bit_for_bit(geometry):
    from tinyreg.kernels.conv import _col2im_cpu, _im2col_cpu

    n, c, h, w, kh, kw, sh, sw, top, left, dh, dw = geometry
    oh, ow = output_size(h, kh, sh, top, dh), output_size(w, kw, sw, left, dw)
    args = (kh, kw, sh, sw, top, left, dh, dw, oh, ow)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    g = rng.standard_normal((c * kh * kw, n * oh * ow)).astype(np.float32)
    serial, parallel = np.full_like(g, np.nan), np.full_like(g, np.nan)
    _im2col_cpu.serial(x, serial, *args)
    _im2col_cpu.parallel(x, parallel, *args)
    np.testing.assert_array_equal(serial, parallel)
    serial, parallel = np.full_like(x, np.nan), np.full_like(x, np.nan)
    _col2im_cpu.serial(serial, g, *args)
    _col2im_cpu.parallel(parallel, g, *args)
    np.testing.assert_array_equal(serial, parallel)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("version", ["reference", *COMPILED])
def test_im2col_and_col2im_on_every_memory_layout(layout, version):
    """The reference reads any layout and gives what it gives on C-ordered arrays; the compiled
    versions give the same bits or refuse the array (ValueError), writing nothing."""
    n, c, h, w, kh, kw, sh, sw, top, left, dh, dw = GEOMETRIES[1]
    oh, ow = output_size(h, kh, sh, top, dh), output_size(w, kw, sw, left, dw)
    args = (kh, kw, sh, sw, top, left, dh, dw, oh, ow)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, c, h, w))
    g = rng.standard_normal((c * kh * kw, n * oh * ow))
    k, ref = kernels.backend(version), kernels.backend("reference")
    expected_cols, expected_dx = np.empty_like(g), np.empty_like(x)
    ref.im2col(broadcast_values(x, layout), expected_cols, *args)
    ref.col2im(broadcast_values(g, layout), expected_dx, *args)
    cols, dx = np.full_like(g, np.nan), np.full_like(x, np.nan)
    for kernel, source, target, expected in ((k.im2col, x, cols, expected_cols),
                                             (k.col2im, g, dx, expected_dx)):  # fmt: skip
        try:
            kernel(in_layout(source, layout), target, *args)
        except ValueError:
            assert version != "reference" and layout != "C"
            assert np.isnan(target).all()
        else:
            np.testing.assert_allclose(target, expected, rtol=1e-12, atol=1e-12)


POOLS = [(2, 2, 2, 2, 0, 0), (3, 3, 2, 2, 1, 1), (3, 2, 2, 1, 1, 0), (3, 3, 1, 1, 1, 1)]


@pytest.mark.parametrize("version", COMPILED)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pool", POOLS)
def test_pooling_kernels_match_the_reference(version, dtype, pool):
    kh, kw, sh, sw, top, left = pool
    x = np.random.default_rng(3).standard_normal((2, 3, 7, 6)).astype(dtype)
    x[0, 0, :3, :3] = 4.0  # ties: the first maximum wins
    x[1, 2, 4, 1:3] = np.nan  # a NaN wins its windows (PyTorch), the last NaN gives the argmax
    x[1, 0, :3] = -np.inf  # windows of -inf only: the first pixel inside x is the argmax
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
