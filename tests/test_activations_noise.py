"""Activations a PyTorch user expects (gradcheck, PyTorch to 1e-10) and Keras's noise layers
(GaussianNoise, GaussianDropout: moments, identity in eval, counter-based noise)."""

import numpy as np
import pytest
from kernel_versions import COMPILED
from tinyreg.kernels import rng

import tinyreg as tr
from tinyreg import kernels, nn
from tinyreg.nn import functional as F

X = np.random.default_rng(0).standard_normal((4, 5)) * 3
X[0, 0] = 25.0  # softplus's linear part

ACTIVATIONS = {  # name: (ours, PyTorch's name and keyword arguments)
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), ("leaky_relu", {"negative_slope": 0.1})),
    "elu": (lambda x: F.elu(x, 0.7), ("elu", {"alpha": 0.7})),
    "softplus": (lambda x: F.softplus(x, 2.0, 20.0), ("softplus", {"beta": 2.0, "threshold": 20})),
    "silu": (F.silu, ("silu", {})),
    "gelu": (F.gelu, ("gelu", {})),
    "gelu_tanh": (lambda x: F.gelu(x, "tanh"), ("gelu", {"approximate": "tanh"})),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_gradcheck(name):
    ours, _ = ACTIVATIONS[name]
    away_from_kinks = X + 0.05  # no input exactly at 0
    assert tr.gradcheck(ours, [away_from_kinks])


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_pytorch(name):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference, when installed")
    ours, (theirs, kwargs) = ACTIVATIONS[name]
    a, b = tr.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    y, yt = ours(a), getattr(torch.nn.functional, theirs)(b, **kwargs)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_activation_modules_and_softmax_modules():
    x = tr.tensor(X)
    for module, fn in ((nn.LeakyReLU(0.2), lambda t: F.leaky_relu(t, 0.2)), (nn.ELU(), F.elu),
                       (nn.Softplus(), F.softplus), (nn.SiLU(), F.silu), (nn.GELU(), F.gelu),
                       (nn.Softmax(1), lambda t: t.softmax(1)),
                       (nn.LogSoftmax(0), lambda t: t.log_softmax(0))):  # fmt: skip
        np.testing.assert_array_equal(module(x).data, fn(x).data)
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")


@pytest.mark.parametrize("version", COMPILED)
def test_normal_fill_matches_reference(version):
    out, expected = np.empty((3, 7)), np.empty((3, 7))
    key = rng.stream_key(3, 4)
    kernels.backend(version).normal_fill(out, key)
    kernels.backend("reference").normal_fill(expected, key)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_gaussian_noise_and_dropout_moments_and_eval_identity():
    tr.manual_seed(0)
    x = tr.tensor(np.full((400, 500), 2.0, np.float32), requires_grad=True)
    noisy = nn.GaussianNoise(0.5)(x)
    assert abs(noisy.data.mean() - 2.0) < 0.01 and abs(noisy.data.std() - 0.5) < 0.01
    rate = 0.3
    dropped = nn.GaussianDropout(rate)(x)
    assert abs(dropped.data.mean() - 2.0) < 0.01
    assert abs(dropped.data.std() - 2.0 * np.sqrt(rate / (1 - rate))) < 0.02
    dropped.sum().backward()
    np.testing.assert_allclose(x.grad, dropped.data / 2.0, rtol=1e-6)  # dy/dx = the noise
    for layer in (nn.GaussianNoise(0.5).eval(), nn.GaussianDropout(0.3).eval()):
        np.testing.assert_array_equal(layer(x).data, x.data)
    tr.manual_seed(7)
    a = nn.GaussianNoise(1.0)(x).data
    tr.manual_seed(7)
    np.testing.assert_array_equal(nn.GaussianNoise(1.0)(x).data, a)  # the seed decides
    with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1\)"):
        nn.GaussianDropout(1.0)
