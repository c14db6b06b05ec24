"""Batch-norm kernels: every version against the formulas in float32 and float64; refusal of
non-contiguous arrays."""

import numpy as np
import pytest
from kernel_versions import COMPILED, VERSION_PARAMS
from layouts import in_layout
from layouts import layout_sample as sample_in

from tinyreg import kernels


# ------------------------------------------------------------------ batch norm
def bn_reference(x, gamma, beta, eps=1e-5):
    """The formulas in float64, per channel over every axis but 1: biased variance,
    y = gamma * xhat + beta."""
    axes = tuple(a for a in range(x.ndim) if a != 1)
    column = (-1,) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axes), x.var(axes)
    y = gamma.reshape(column) * (x - mean.reshape(column)) / np.sqrt(var.reshape(column) + eps)
    return y + beta.reshape(column), mean, var


@pytest.mark.parametrize("version", VERSION_PARAMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 1), (9, 5), (33, 130), (2, 3, 1), (5, 3, 7), (17, 4, 20)])
def test_batchnorm_kernels(version, dtype, shape):
    r = np.random.default_rng(0)
    x = (r.standard_normal(shape) * 3 + 2).astype(dtype)
    w, b = r.standard_normal(shape[1]).astype(dtype), r.standard_normal(shape[1]).astype(dtype)
    g = r.standard_normal(shape).astype(dtype)
    k = kernels.backend(version)
    y, mean, var = np.empty_like(x), np.empty(shape[1]), np.empty(shape[1])
    k.batchnorm_forward(x, w, b, 1e-5, y, mean, var)
    x64 = x.astype(np.float64)
    expected, expected_mean, expected_var = bn_reference(x64, w, b)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(y, expected, rtol=tol, atol=tol)
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(var, expected_var, rtol=1e-7, atol=1e-7)
    dx, dw, db = np.empty_like(x), np.empty_like(w), np.empty_like(b)
    k.batchnorm_backward(g, x, w, mean, var, 1e-5, dx, dw, db)
    axes = tuple(a for a in range(x.ndim) if a != 1)
    column = (-1,) + (1,) * (x.ndim - 2)
    xhat = (x64 - expected_mean.reshape(column)) / np.sqrt(expected_var.reshape(column) + 1e-5)
    m = x.size // shape[1]
    np.testing.assert_allclose(db, g.sum(axes), rtol=tol, atol=tol)
    np.testing.assert_allclose(dw, (g * xhat).sum(axes), rtol=tol, atol=10 * tol)
    expected_dx = (w / np.sqrt(expected_var + 1e-5) / m).reshape(column) * (
        m * g - g.sum(axes).reshape(column) - xhat * (g * xhat).sum(axes).reshape(column)
    )
    np.testing.assert_allclose(dx, expected_dx, rtol=10 * tol, atol=10 * tol)


LAYOUT_TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


@pytest.mark.parametrize("version", COMPILED)
def test_raw_batch_norm_kernels_refuse_non_contiguous_arrays(version):
    x = in_layout(sample_in((6, 4), np.float32, 0), "F")
    y, mean, var = np.zeros((6, 4), np.float32), np.empty(4), np.empty(4)
    w, b = np.ones(4, np.float32), np.zeros(4, np.float32)
    with pytest.raises(ValueError, match="x of shape"):
        kernels.backend(version).batchnorm_forward(x, w, b, 1e-5, y, mean, var)
    assert not y.any()


@pytest.mark.slow
@pytest.mark.parametrize("plane", [1, 9])
def test_batch_norm_parallel_build_equals_the_serial_one_bit_for_bit(plane):
    """The sums run over fixed row chunks, so the thread count cannot change a bit."""
    from tinyreg.kernels.batchnorm import CHUNKS, _batchnorm_backward_cpu, _batchnorm_forward_cpu

    r = np.random.default_rng(1)
    x, g = r.standard_normal((2, 517, 40 * plane)).astype(np.float32)
    w, b = r.standard_normal((2, 40)).astype(np.float32)
    k = 40 * plane

    def sums():
        return np.zeros((CHUNKS, k)), np.zeros((CHUNKS, k))

    results = []
    for forward, backward in (
        (_batchnorm_forward_cpu.serial, _batchnorm_backward_cpu.serial),
        (_batchnorm_forward_cpu.parallel, _batchnorm_backward_cpu.parallel),
    ):
        y, mean, var = np.empty_like(x), np.empty(40), np.empty(40)
        forward(x, plane, w, b, 1e-5, y, mean, var, *sums(), np.empty(k),
                np.empty((4, k), np.float32))  # fmt: skip
        dx, dw, db = np.empty_like(x), np.empty_like(w), np.empty_like(b)
        backward(g, x, plane, w, mean, var, 1e-5, dx, dw, db, *sums(),
                 np.empty((6, k), np.float32))  # fmt: skip
        results.append((y, mean, var, dx, dw, db))
    for serial, parallel in zip(*results, strict=True):
        np.testing.assert_array_equal(serial, parallel)
    images = x.reshape(517, 40, plane)
    y_ref, mean_ref, var_ref = np.empty_like(images), np.empty(40), np.empty(40)
    kernels.backend("reference").batchnorm_forward(images, w, b, 1e-5, y_ref, mean_ref, var_ref)
    np.testing.assert_allclose(results[0][0], y_ref.reshape(x.shape), rtol=1e-5, atol=1e-5)
