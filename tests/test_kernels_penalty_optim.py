"""Penalty and optimizer kernels: every version (reference, cpu, cuda under the simulator) against
the formulas, float32 and float64, sizes 0, 1, odd and large."""

import numpy as np
import pytest

from tinyreg import kernels

VERSIONS = ["reference", "cpu", "cuda"]
SIZES = [0, 1, 7, 301, 70_001]  # 301: two CUDA blocks; 70,001: the parallel CPU path
DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-6, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


# The CUDA simulator runs one Python thread per GPU thread, so its cases stay small.
VERSION_SIZE = [(v, n) for v in VERSIONS for n in SIZES if not (v == "cuda" and n > 2000)]


def sample(size, dtype, seed=0, zeros=True):
    w = np.random.default_rng(seed).standard_normal(size).astype(dtype)
    if zeros:
        w[: size // 5] = 0.0  # sign(0) = 0 must hold
    return w


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


def test_backend_selection():
    from tinyreg.device import kernels_for

    assert kernels_for(np.zeros(3)) is kernels.backend("cpu")
    with pytest.raises(ValueError, match="version"):
        kernels.backend("tpu")
    for version in kernels.VERSIONS:
        assert tuple(vars(kernels.backend(version))) == kernels.OPS
        for op, fn in vars(kernels.backend(version)).items():
            assert fn.__name__ == f"{op}_{version}"  # the explicit table names what it says


def test_cpu_kernels_are_independent_of_parallel_dispatch():
    """The serial and parallel compilations of a kernel give the same result."""
    from tinyreg.kernels.penalty import _penalty_value_grad_cpu

    w = sample(5000, np.float32)
    g1, g2 = np.ones_like(w), np.ones_like(w)
    v1 = _penalty_value_grad_cpu.serial(w, g1, np.float32(0.1), np.float32(0.2), np.float32(1))
    v2 = _penalty_value_grad_cpu.parallel(w, g2, np.float32(0.1), np.float32(0.2), np.float32(1))
    np.testing.assert_array_equal(g1, g2)
    np.testing.assert_allclose(v1, v2, rtol=1e-12)
