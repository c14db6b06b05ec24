"""Optimizer kernels (SGD, Adam, AdamW): every version against PyTorch's documented update rules,
float32 and float64; and on every memory layout."""

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


SGD_CASES = [
    dict(momentum=0.0),
    dict(momentum=0.0, weight_decay=0.1),
    dict(momentum=0.9, first_step=True),
    dict(momentum=0.9, dampening=0.2, weight_decay=0.05),
    dict(momentum=0.9, nesterov=True, weight_decay=0.05),
]


def sgd_expected(w, g, b, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 first_step=False):  # fmt: skip
    """PyTorch's SGD (torch.optim.SGD's documented algorithm), in float64."""
    d = g + weight_decay * w
    if momentum:
        b = d if first_step else momentum * b + (1 - dampening) * d
        d = d + momentum * b if nesterov else b
    return w - lr * d, b


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("version,size", VERSION_SIZE)
@pytest.mark.parametrize(
    "options", SGD_CASES, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items())
)
def test_sgd_step(version, size, dtype, options):
    w, g, b = (sample(size, dtype, seed=s, zeros=False) for s in (2, 3, 4))
    expected = sgd_expected(*(a.astype(np.float64) for a in (w, g, b)), 0.1, **options)
    kernels.backend(version).sgd_step(w, g, b, 0.1, **options)
    np.testing.assert_allclose(w, expected[0], **TOL[dtype])
    if options["momentum"]:
        np.testing.assert_allclose(b, expected[1], **TOL[dtype])


def adam_expected(w, g, m, v, lr, beta1, beta2, eps, weight_decay, decoupled, step):
    """PyTorch's Adam/AdamW (bias-corrected moments), in float64."""
    if decoupled:
        w = w * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * w
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1**step), v / (1 - beta2**step)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("version,size", VERSION_SIZE)
@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_step(version, size, dtype, decoupled):
    w, g, m = (sample(size, dtype, seed=s, zeros=False) for s in (5, 6, 7))
    v = np.abs(sample(size, dtype, seed=8, zeros=False))
    args = (1e-2, 0.9, 0.999, 1e-8, 0.1, decoupled, 3)
    expected = adam_expected(*(a.astype(np.float64) for a in (w, g, m, v)), *args)
    kernels.backend(version).adam_step(w, g, m, v, *args)
    for got, want in zip((w, m, v), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12,
                                   atol=1e-6 if dtype == np.float32 else 1e-12)  # fmt: skip


LAYOUT_TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


@given(shape=shapes, dtype=st.sampled_from(LAYOUT_DTYPES), layout=st.sampled_from(LAYOUTS),
       version=st.sampled_from(COMPILED), momentum=st.sampled_from([0.0, 0.9]))  # fmt: skip
def test_raw_optimizer_kernels_match_reference_or_refuse(shape, dtype, layout, version, momentum):
    w_values, g_values = sample_in(shape, dtype, 1), sample_in(shape, dtype, 2)
    k, ref = kernels.backend(version), kernels.backend("reference")
    g = in_layout(g_values, layout)
    w = np.ascontiguousarray(w_values)
    buf = np.zeros(shape if momentum else (0,), dtype)
    if not g.flags.c_contiguous:
        with pytest.raises(ValueError, match="C-contiguous"):
            k.sgd_step(w, g, buf, 0.1, momentum)
        np.testing.assert_array_equal(w, w_values)
        return
    w_ref, buf_ref = w_values.copy(), buf.copy()
    ref.sgd_step(w_ref, broadcast_values(g_values, layout), buf_ref, 0.1, momentum, 0.0, 0.01,
                 False, True)  # fmt: skip
    k.sgd_step(w, g, buf, 0.1, momentum, 0.0, 0.01, False, True)
    np.testing.assert_allclose(w, w_ref, **LAYOUT_TOL[dtype])
    m, v = np.zeros(shape, dtype), np.zeros(shape, dtype)
    m_ref, v_ref, w_ref = m.copy(), v.copy(), w.copy()
    ref.adam_step(w_ref, g_values, m_ref, v_ref, 1e-3, 0.9, 0.999, 1e-8, 0.01, True, 1)
    k.adam_step(w, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, True, 1)
    np.testing.assert_allclose(w, w_ref, **LAYOUT_TOL[dtype])
    np.testing.assert_allclose(v, v_ref, **LAYOUT_TOL[dtype])
