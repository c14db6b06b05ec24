"""Optimizer kernels (SGD, Adam, AdamW, Adadelta, Adagrad, RMSprop): every version against
PyTorch's documented update rules, float32 and float64; and on every memory layout."""

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


def adadelta_expected(w, g, v, u, lr, rho, eps, weight_decay):
    """PyTorch's Adadelta (torch.optim.Adadelta's documented algorithm), in float64."""
    g = g + weight_decay * w
    v = rho * v + (1 - rho) * g**2
    delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
    u = rho * u + (1 - rho) * delta**2
    return w - lr * delta, v, u


def adagrad_expected(w, g, s, lr, lr_decay, weight_decay, eps, step):
    """PyTorch's Adagrad: step size lr / (1 + (t - 1) * lr_decay), in float64."""
    g = g + weight_decay * w
    s = s + g**2
    return w - lr / (1 + (step - 1) * lr_decay) * g / (np.sqrt(s) + eps), s


def rmsprop_expected(w, g, v, a, b, lr, alpha, eps, weight_decay, momentum, centered):
    """PyTorch's RMSprop (centered: the variance estimate v - a^2), in float64."""
    g = g + weight_decay * w
    v = alpha * v + (1 - alpha) * g**2
    a = (1 - alpha) * g + alpha * a
    denominator = np.sqrt(v - a**2 if centered else v) + eps
    b = momentum * b + g / denominator
    return w - lr * (b if momentum > 0 else g / denominator), v, a, b


def positive(size, dtype, seed):
    return np.abs(sample(size, dtype, seed=seed, zeros=False)) + dtype(0.5)


NEW_TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("version,size", VERSION_SIZE)
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adadelta_step(version, size, dtype, weight_decay):
    w, g = (sample(size, dtype, seed=s, zeros=False) for s in (11, 12))
    v, u = positive(size, dtype, 13), positive(size, dtype, 14)
    args = (0.5, 0.8, 1e-6, weight_decay)
    expected = adadelta_expected(*(a.astype(np.float64) for a in (w, g, v, u)), *args)
    kernels.backend(version).adadelta_step(w, g, v, u, *args)
    for got, want in zip((w, v, u), expected, strict=True):
        np.testing.assert_allclose(got, want, **NEW_TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("version,size", VERSION_SIZE)
@pytest.mark.parametrize("lr_decay,weight_decay", [(0.0, 0.0), (0.3, 0.1)])
def test_adagrad_step(version, size, dtype, lr_decay, weight_decay):
    w, g = (sample(size, dtype, seed=s, zeros=False) for s in (15, 16))
    state_sum = positive(size, dtype, 17)
    args = (0.05, lr_decay, weight_decay, 1e-10, 4)
    expected = adagrad_expected(*(a.astype(np.float64) for a in (w, g, state_sum)), *args)
    kernels.backend(version).adagrad_step(w, g, state_sum, *args)
    for got, want in zip((w, state_sum), expected, strict=True):
        np.testing.assert_allclose(got, want, **NEW_TOL[dtype])


RMSPROP_CASES = [
    dict(momentum=0.0, centered=False),
    dict(momentum=0.0, centered=True, weight_decay=0.1),
    dict(momentum=0.9, centered=False),
    dict(momentum=0.9, centered=True, weight_decay=0.1),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("version,size", VERSION_SIZE)
@pytest.mark.parametrize(
    "options", RMSPROP_CASES, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items())
)
def test_rmsprop_step(version, size, dtype, options):
    w, g, b = (sample(size, dtype, seed=s, zeros=False) for s in (18, 19, 20))
    v = positive(size, dtype, 21) + dtype(1.0)  # v > a^2: a real variance when centered
    a = sample(size, dtype, seed=22, zeros=False) / dtype(4)
    kwargs = dict(lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0.0) | options
    expected = rmsprop_expected(*(x.astype(np.float64) for x in (w, g, v, a, b)), **kwargs)
    a_used = a if options["centered"] else np.empty(0, dtype)  # unused state may be empty
    b_used = b if options["momentum"] else np.empty(0, dtype)
    kernels.backend(version).rmsprop_step(w, g, v, a_used, b_used, **kwargs)
    written = [(w, expected[0]), (v, expected[1])]
    written += [(a, expected[2])] if options["centered"] else []
    written += [(b, expected[3])] if options["momentum"] else []
    for got, want in written:
        np.testing.assert_allclose(got, want, **NEW_TOL[dtype])


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


NEW_STEPS = {  # op: (state arrays besides w and g, arguments after them)
    "adadelta_step": (2, (0.5, 0.9, 1e-6, 0.01)),
    "adagrad_step": (1, (0.05, 0.1, 0.01, 1e-10, 2)),
    "rmsprop_step": (3, (0.01, 0.99, 1e-8, 0.01, 0.9, True)),
}


@given(shape=shapes, dtype=st.sampled_from(LAYOUT_DTYPES), layout=st.sampled_from(LAYOUTS),
       version=st.sampled_from(COMPILED), op=st.sampled_from(sorted(NEW_STEPS)))  # fmt: skip
def test_adadelta_adagrad_rmsprop_kernels_match_reference_or_refuse(shape, dtype, layout,
                                                                    version, op):  # fmt: skip
    n_state, args = NEW_STEPS[op]
    w_values, g_values = sample_in(shape, dtype, 1), sample_in(shape, dtype, 2)
    state_values = [np.array(abs(sample_in(shape, dtype, 3 + i))) for i in range(n_state)]
    state_values[0] += sum(s * s for s in state_values[1:])  # RMSprop's v - a^2 stays >= 0
    g = in_layout(g_values, layout)
    w, state = w_values.copy(), [s.copy() for s in state_values]
    kernel = getattr(kernels.backend(version), op)
    if not g.flags.c_contiguous:
        with pytest.raises(ValueError, match="C-contiguous"):
            kernel(w, g, *state, *args)
        np.testing.assert_array_equal(w, w_values)
        return
    w_ref, state_ref = w_values.copy(), [s.copy() for s in state_values]
    getattr(kernels.backend("reference"), op)(w_ref, g_values, *state_ref, *args)
    kernel(w, g, *state, *args)
    for got, want in zip([w, *state], [w_ref, *state_ref], strict=True):
        np.testing.assert_allclose(got, want, **LAYOUT_TOL[dtype])
