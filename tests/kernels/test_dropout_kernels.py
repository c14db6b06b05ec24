"""Dropout kernels: identical masks in every version, independent of the thread count, keep
fractions within binomial bounds; and on every memory layout."""

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_versions import COMPILED, VERSIONS
from layouts import DTYPES as LAYOUT_DTYPES
from layouts import LAYOUTS, in_layout, shapes
from layouts import layout_sample as sample_in
from tinyreg.kernels import rng

from tinyreg import kernels


# ------------------------------------------------------------------ dropout kernels
def dropout_run(version, x, p, key):
    y, mask = np.empty_like(x), np.empty(x.shape, np.uint8)
    kernels.backend(version).dropout_forward(x, y, mask, p, key)
    return y, mask


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
def test_dropout_masks_identical_across_versions(p):
    x = np.random.default_rng(0).standard_normal((7, 43)).astype(np.float32)
    key = rng.stream_key(5, 2)
    results = [dropout_run(v, x, p, key) for v in VERSIONS]
    for y, mask in results[1:]:
        np.testing.assert_array_equal(mask, results[0][1])
        np.testing.assert_array_equal(y, results[0][0])
    g = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    grads = []
    for v in VERSIONS:
        dx = np.empty_like(g)
        kernels.backend(v).dropout_backward(g, results[0][1], p, dx)
        grads.append(dx)
    expected = g * results[0][1] * (0.0 if p == 1 else 1 / (1 - p))
    for dx in grads:
        np.testing.assert_allclose(dx, expected, rtol=1e-6)


def test_dropout_mask_independent_of_thread_count():
    """The parallel build on 1 thread and on all threads, and the serial build: one mask."""
    from tinyreg.kernels.dropout import _dropout_forward_cpu

    x = np.ones(200_003, np.float32)
    args = (np.uint64(rng.threshold_32(0.4)), np.uint64(rng.stream_key(11, 1)), np.float32(1 / 0.6))
    masks = []
    before = numba.get_num_threads()
    try:
        for build, threads in ((_dropout_forward_cpu.parallel, 1),
                               (_dropout_forward_cpu.parallel, numba.config.NUMBA_NUM_THREADS),
                               (_dropout_forward_cpu.serial, 1)):  # fmt: skip
            numba.set_num_threads(threads)
            y, mask = np.empty_like(x), np.empty(x.shape, np.uint8)
            build(x, y, mask, *args)
            masks.append(mask)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(masks[0], masks[1])
    np.testing.assert_array_equal(masks[0], masks[2])


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_keep_fraction_within_binomial_bounds(p):
    n = 400_000
    _, mask = dropout_run("cpu", np.ones(n, np.float32), p, rng.stream_key(3, 9))
    sd = np.sqrt(n * p * (1 - p))
    assert abs(mask.sum() - n * (1 - p)) < 5 * sd  # a 5-sigma bound fails ~1 in 3.5 million


LAYOUT_TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


@given(shape=shapes, dtype=st.sampled_from(LAYOUT_DTYPES), layout=st.sampled_from(LAYOUTS),
       version=st.sampled_from(COMPILED), p=st.sampled_from([0.0, 0.3, 1.0]))  # fmt: skip
def test_raw_dropout_kernels_match_reference_or_refuse(shape, dtype, layout, version, p):
    values = sample_in(shape, dtype, 0)
    x = in_layout(values, layout)
    k, ref = kernels.backend(version), kernels.backend("reference")
    key = rng.stream_key(7, 3)
    y_ref, mask_ref = np.empty(shape, dtype), np.empty(shape, np.uint8)
    ref.dropout_forward(x, y_ref, mask_ref, p, key)  # the reference reads any layout
    y, mask = np.empty(shape, dtype), np.empty(shape, np.uint8)
    if not x.flags.c_contiguous:
        with pytest.raises(ValueError, match="C-contiguous"):
            k.dropout_forward(x, y, mask, p, key)
        return
    k.dropout_forward(x, y, mask, p, key)
    np.testing.assert_array_equal(mask, mask_ref)
    np.testing.assert_array_equal(y, y_ref)
    dx, dx_ref = np.empty(shape, dtype), np.empty(shape, dtype)
    ref.dropout_backward(values, mask_ref, p, dx_ref)
    k.dropout_backward(np.ascontiguousarray(values), mask, p, dx)
    np.testing.assert_array_equal(dx, dx_ref)
