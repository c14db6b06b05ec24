"""Penalty kernels (value, value + gradient, proximal step): every version against the formulas,
float32 and float64, sizes 0, 1, odd and large; and against the NumPy reference on every memory
layout (C-contiguous arrays match, any other layout is refused)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_versions import COMPILED, VERSION_SIZE, sample
from layouts import DTYPES as LAYOUT_DTYPES
from layouts import LAYOUTS, broadcast_values, in_layout, shapes
from layouts import layout_sample as sample_in

from tinyreg import kernels

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-6, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


def value(result):
    return float(np.asarray(result).reshape(-1)[0]) if np.ndim(result) else float(result)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("version,size", VERSION_SIZE)
@pytest.mark.parametrize("l1,l2", [(0.3, 0.0), (0.0, 0.7), (0.3, 0.7)])
def test_penalty_value_and_gradient(version, size, dtype, l1, l2):
    k = kernels.backend(version)
    w = sample(size, dtype)
    g = sample(size, dtype, seed=1, zeros=False)
    w64, g64 = w.astype(np.float64), g.astype(np.float64)
    expected_value = l1 * np.abs(w64).sum() + l2 / 2 * (w64**2).sum()
    expected_grad = g64 + 2.0 * (l1 * np.sign(w64) + l2 * w64)

    v = value(k.penalty_value_grad(w, g, l1, l2, 2.0))
    np.testing.assert_allclose(v, expected_value, rtol=1e-6 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(g, expected_grad, **TOL[dtype])
    assert g.dtype == dtype
    np.testing.assert_allclose(
        value(k.penalty_value(w, l1, l2)), expected_value, rtol=1e-6, atol=1e-12
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("version,size", VERSION_SIZE)
def test_prox_soft_thresholds_and_shrinks(version, size, dtype):
    w = sample(size, dtype) * 2
    w64 = w.astype(np.float64)
    lr, l1, l2 = 0.5, 0.8, 0.3
    expected = np.sign(w64) * np.maximum(np.abs(w64) - lr * l1, 0) / (1 + lr * l2)
    kernels.backend(version).prox(w, lr, l1, l2)
    np.testing.assert_allclose(w, expected, **TOL[dtype])
    np.testing.assert_array_equal(w == 0, expected == 0)  # exact zeros, the point of the prox


def test_cpu_kernels_are_independent_of_parallel_dispatch():
    """The serial and parallel compilations of a kernel give the same result."""
    from tinyreg.kernels.penalty import _penalty_value_grad_cpu

    w = sample(5000, np.float32)
    g1, g2 = np.ones_like(w), np.ones_like(w)
    v1 = _penalty_value_grad_cpu.serial(w, g1, np.float32(0.1), np.float32(0.2), np.float32(1))
    v2 = _penalty_value_grad_cpu.parallel(w, g2, np.float32(0.1), np.float32(0.2), np.float32(1))
    np.testing.assert_array_equal(g1, g2)
    np.testing.assert_allclose(v1, v2, rtol=1e-12)


LAYOUT_TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


@given(shape=shapes, dtype=st.sampled_from(LAYOUT_DTYPES), layout=st.sampled_from(LAYOUTS),
       version=st.sampled_from(COMPILED), seed=st.integers(0, 99))  # fmt: skip
def test_raw_penalty_kernels_match_reference_or_refuse(shape, dtype, layout, version, seed):
    values = sample_in(shape, dtype, seed)
    k, ref = kernels.backend(version), kernels.backend("reference")
    w = in_layout(values, layout)
    g_values = sample_in(shape, dtype, seed + 1)
    if not w.flags.c_contiguous:
        with pytest.raises(ValueError, match="C-contiguous"):
            k.penalty_value(w, 0.3, 0.2)
        g = in_layout(g_values, layout if layout != "broadcast" else "F")
        if not g.flags.c_contiguous:
            before = g.copy()
            with pytest.raises(ValueError, match="C-contiguous"):
                k.penalty_value_grad(np.ascontiguousarray(w), g, 0.3, 0.2, 1.0)
            np.testing.assert_array_equal(g, before)  # refused before touching anything
        return
    expected_g = g_values.copy()
    expected = ref.penalty_value_grad(broadcast_values(values, layout), expected_g, 0.3, 0.2, 2.0)
    g = g_values.copy()
    got = k.penalty_value_grad(w, g, 0.3, 0.2, 2.0)
    np.testing.assert_allclose(float(np.asarray(got).reshape(-1)[0]), expected, rtol=1e-6)
    np.testing.assert_allclose(g, expected_g, **LAYOUT_TOL[dtype])
    if not w.flags.writeable:  # a C-contiguous broadcast (one row): readable, not writable
        with pytest.raises(ValueError, match="w, but it is read-only"):
            k.prox(w, 0.5, 0.4, 0.3)
        return
    w_ref = broadcast_values(values, layout)
    ref.prox(w_ref, 0.5, 0.4, 0.3)
    k.prox(w, 0.5, 0.4, 0.3)
    np.testing.assert_allclose(w, w_ref, **LAYOUT_TOL[dtype])
