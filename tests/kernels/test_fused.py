"""The fused ReLU -> dropout kernels (kernels/fused.py): every version equal bit for bit to the
unfused ReLU (np.maximum) and the dropout kernels of its version, NaN, infinities and signed
zeros included; the
same mask on any thread count; and on every memory layout, the reference's values or a refusal."""

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_versions import COMPILED, VERSION_PARAMS
from layouts import DTYPES, LAYOUTS, in_layout, shapes
from layouts import layout_sample as sample_in
from tinyreg.kernels import rng

from tinyreg import kernels

pytestmark = pytest.mark.filterwarnings("ignore:invalid value")  # inf * 0 in the special values
SPECIAL = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45]


def values(shape, dtype, seed):
    """Normal values with the special ones (NaN, +-inf, +-0, tiny) at the front."""
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    flat[: min(len(SPECIAL), flat.size)] = SPECIAL[: flat.size]
    return x


def unfused(version, x, g, p, key):
    """relu then dropout, forward and backward, with NumPy's ops and the dropout kernels of the
    same version (what the layers run one by one); p = 0 is no dropout at all."""
    k = kernels.backend(version)
    relu = np.maximum(x, 0)
    y, dropped = relu, g
    if p:
        y, mask = np.empty_like(relu), np.empty(relu.shape, np.uint8)
        k.dropout_forward(relu, y, mask, p, key)
        dropped = np.empty_like(g)
        k.dropout_backward(g, mask, p, dropped)
    return y, dropped * (x > 0)


def fused(version, x, g, p, key, out=None):
    y = np.empty_like(x) if out is None else out
    mask = np.empty(x.shape, np.uint8)
    kernels.backend(version).relu_dropout_forward(x, y, mask, p, key)
    dx = np.empty_like(g)
    kernels.backend(version).relu_dropout_backward(g, mask, p, dx)
    return y, dx, mask


@pytest.mark.parametrize("version", VERSION_PARAMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 1.0])
def test_fused_kernels_equal_the_unfused_ones_bit_for_bit(version, dtype, p):
    x, g = values((9, 37), dtype, 0), values((9, 37), dtype, 1)[::-1].copy()
    key = rng.stream_key(4, 2)
    expected_y, expected_dx = unfused(version, x, g, p, key)
    y, dx, mask = fused(version, x, g, p, key)
    assert y.tobytes() == expected_y.tobytes()
    assert dx.tobytes() == expected_dx.tobytes()
    assert set(np.unique(mask)) <= {0, 1, 2, 3}
    np.testing.assert_array_equal(mask >> 1, x > 0)
    if p == 0.0:
        assert (mask & 1).all()


@pytest.mark.parametrize("version", VERSION_PARAMS)
def test_forward_in_place_gives_the_same(version):
    x = values((5, 64), np.float32, 2)
    key = rng.stream_key(1, 1)
    y, _, mask = fused(version, x, x, 0.3, key)
    z = x.copy()
    _, _, mask_in_place = fused(version, z, x, 0.3, key, out=z)
    assert z.tobytes() == y.tobytes()
    np.testing.assert_array_equal(mask_in_place, mask)


def test_mask_independent_of_thread_count():
    """The parallel build on 1 thread and on all threads, and the serial build: one result."""
    from tinyreg.kernels.fused import _relu_dropout_forward_cpu

    x = values(200_003, np.float32, 3)
    args = (np.uint64(rng.threshold_32(0.4)), np.uint64(rng.stream_key(11, 1)), np.float32(1 / 0.6))
    results = []
    before = numba.get_num_threads()
    try:
        for build, threads in ((_relu_dropout_forward_cpu.parallel, 1),
                               (_relu_dropout_forward_cpu.parallel,
                                numba.config.NUMBA_NUM_THREADS),
                               (_relu_dropout_forward_cpu.serial, 1)):  # fmt: skip
            numba.set_num_threads(threads)
            y, mask = np.empty_like(x), np.empty(x.shape, np.uint8)
            build(x, y, mask, *args)
            results.append((y.tobytes(), mask.tobytes()))
    finally:
        numba.set_num_threads(before)
    assert results[0] == results[1] == results[2]


@given(shape=shapes, dtype=st.sampled_from(DTYPES), layout=st.sampled_from(LAYOUTS),
       version=st.sampled_from(COMPILED), p=st.sampled_from([0.0, 0.3, 1.0]))  # fmt: skip
def test_raw_fused_kernels_match_reference_or_refuse(shape, dtype, layout, version, p):
    data = sample_in(shape, dtype, 0)
    x = in_layout(data, layout)
    k, ref = kernels.backend(version), kernels.backend("reference")
    key = rng.stream_key(7, 3)
    y_ref, mask_ref = np.empty(shape, dtype), np.empty(shape, np.uint8)
    ref.relu_dropout_forward(x, y_ref, mask_ref, p, key)  # the reference reads any layout
    y, mask = np.empty(shape, dtype), np.empty(shape, np.uint8)
    dx, dx_ref = np.empty(shape, dtype), np.empty(shape, dtype)
    ref.relu_dropout_backward(x, mask_ref, p, dx_ref)
    if not x.flags.c_contiguous:
        with pytest.raises(ValueError, match="C-contiguous"):
            k.relu_dropout_forward(x, y, mask, p, key)
        with pytest.raises(ValueError, match="C-contiguous"):
            k.relu_dropout_backward(x, mask, p, dx)
        return
    k.relu_dropout_forward(x, y, mask, p, key)
    np.testing.assert_array_equal(mask, mask_ref)
    np.testing.assert_array_equal(y, y_ref)  # -0 == +0: see kernels/fused.py
    k.relu_dropout_backward(x, mask, p, dx)
    np.testing.assert_array_equal(dx, dx_ref)
