"""Issue [17] "Trust on every surface" for tinyreg.nn: integer input, NaN where PyTorch gives NaN,
messages that name the user's call, argument and shape; each case checked against PyTorch."""

import math

import numpy as np
import pytest

import tinyreg as tr
import tinyreg.nn as nn
import tinyreg.nn.functional as F
from tinyreg.nn.utils import clip_grad_norm_

torch = pytest.importorskip("torch")
TF = torch.nn.functional

IMAGES = np.arange(2 * 3 * 4 * 4).reshape(2, 3, 4, 4) % 256


def _runs(call):
    """True when `call()` returns, False when it raises (any error)."""
    try:
        call()
    except Exception:
        return False
    return True


# (name, tinyreg call, PyTorch call) on integer input; each refuses or works as PyTorch does
INTEGER_CASES = [
    ("conv2d", lambda x: nn.Conv2d(3, 2, 3)(x), lambda x: torch.nn.Conv2d(3, 2, 3)(x)),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 2), lambda x: TF.avg_pool2d(x, 2)),
    (
        "adaptive_avg_pool2d",
        lambda x: F.adaptive_avg_pool2d(x, 1),
        lambda x: TF.adaptive_avg_pool2d(x, 1),
    ),  # fmt: skip
    ("batch_norm", lambda x: nn.BatchNorm2d(3)(x), lambda x: torch.nn.BatchNorm2d(3)(x)),
    ("dropout", lambda x: F.dropout(x, 0.5), lambda x: TF.dropout(x, 0.5)),
    ("dropout2d", lambda x: F.dropout2d(x, 0.5), lambda x: TF.dropout2d(x, 0.5)),
    ("linear", lambda x: nn.Linear(4, 2)(x), lambda x: torch.nn.Linear(4, 2)(x)),
    ("elu", F.elu, TF.elu),
    ("leaky_relu", F.leaky_relu, TF.leaky_relu),
    ("gelu", F.gelu, TF.gelu),
    ("silu", F.silu, TF.silu),
    ("softplus", F.softplus, TF.softplus),
    ("softmax", lambda x: F.softmax(x, dim=1), lambda x: TF.softmax(x, dim=1)),
    ("log_softmax", lambda x: F.log_softmax(x, dim=1), lambda x: TF.log_softmax(x, dim=1)),
]


@pytest.mark.parametrize("dtype", [np.uint8, np.int64])
@pytest.mark.parametrize("name, ours, theirs", INTEGER_CASES, ids=[c[0] for c in INTEGER_CASES])
def test_integer_input_is_refused_where_pytorch_refuses_it(name, ours, theirs, dtype):
    a = IMAGES.astype(dtype)
    # PyTorch's avg_pool2d averages int64 in integers (truncating); tinyreg refuses, on purpose
    pytorch_truncates = name == "avg_pool2d" and dtype == np.int64
    assert _runs(lambda: theirs(torch.from_numpy(a))) == pytorch_truncates
    with pytest.raises(TypeError, match=rf"{name}: input must be a floating-point tensor, got "
                                        rf"dtype {np.dtype(dtype)}.*x\.float\(\)"):  # fmt: skip
        ours(tr.from_numpy(a))


def test_uint8_images_get_the_divide_by_255_hint():
    with pytest.raises(TypeError, match=r"conv2d: input .* dtype uint8 .*x\.float\(\) / 255"):
        nn.Conv2d(3, 2, 3)(tr.from_numpy(IMAGES.astype(np.uint8)))


@pytest.mark.parametrize("call", [
    lambda x: F.gaussian_noise(x, 0.1),
    lambda x: F.gaussian_dropout(x, 0.2),
    lambda x: nn.GaussianNoise(0.1)(x),
])  # fmt: skip
def test_gaussian_noise_refuses_integers_instead_of_truncating(call):
    with pytest.raises(TypeError, match=r"gaussian_\w+: input .* dtype int64"):
        call(tr.from_numpy(IMAGES.astype(np.int64)))


def test_integer_input_works_where_pytorch_works():
    a = IMAGES.astype(np.int64)
    x, t = tr.from_numpy(a), torch.from_numpy(a)
    # identity dropout, max pooling and relu keep integers; sigmoid and tanh give float32
    assert F.dropout(x, 0.5, training=False).dtype == np.int64
    assert TF.dropout(t, 0.5, training=False).dtype == torch.int64
    np.testing.assert_array_equal(F.max_pool2d(x, 2).numpy(), TF.max_pool2d(t, 2).numpy())
    np.testing.assert_array_equal(F.relu(x).numpy(), TF.relu(t).numpy())
    for ours, theirs in ((F.sigmoid, torch.sigmoid), (F.tanh, torch.tanh),
                         (nn.Sigmoid(), torch.sigmoid), (nn.Tanh(), torch.tanh)):  # fmt: skip
        y = ours(x)
        assert y.dtype == np.float32 and theirs(t).dtype == torch.float32
        np.testing.assert_allclose(y.numpy(), theirs(t).numpy(), rtol=1e-6)


def test_cross_entropy_gives_nan_where_pytorch_does():
    empty, labels = np.zeros((0, 3), np.float32), np.zeros(0, np.int64)
    logits = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    target, zero_weight = np.array([0, 1, 1, 0]), np.array([0.0, 0.0, 1.0], np.float32)
    cases = [
        lambda lib, f: f.cross_entropy(lib(empty), lib(labels)),
        lambda lib, f: f.nll_loss(lib(empty), lib(labels)),
        lambda lib, f: f.cross_entropy(lib(logits), lib(target), weight=lib(zero_weight)),
    ]
    for case in cases:
        assert math.isnan(float(case(torch.tensor, TF)))
        assert math.isnan(float(case(tr.tensor, F)))


def test_cross_entropy_of_1d_logits_is_pytorchs_unbatched_case():
    z = np.array([0.5, -1.0, 2.0], np.float64)
    for target in (np.array(1), np.array([0.2, 0.3, 0.5])):
        ours = F.cross_entropy(tr.tensor(z, requires_grad=True), tr.tensor(target))
        zt = torch.tensor(z, requires_grad=True)
        theirs = TF.cross_entropy(zt, torch.tensor(target))
        assert ours.shape == () and float(ours) == pytest.approx(float(theirs), rel=1e-12)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_clip_grad_norm_with_a_nonfinite_gradient_clips_every_gradient_as_pytorch(bad):
    values = [np.array([3.0, 4.0]), np.array([1.0, bad])]
    ours = [tr.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    for p, q in zip(ours, theirs, strict=True):
        p.grad, q.grad = tr.tensor(p.data.copy()), q.detach().clone()
    total = clip_grad_norm_(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    np.testing.assert_equal(float(total), float(expected))
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


@pytest.mark.parametrize("start, end", [(2, -1), (5, -1), (-3, -1), (0, 2)])
def test_flatten_out_of_range_raises_as_pytorch(start, end):
    with pytest.raises(IndexError):
        torch.nn.Flatten(start, end)(torch.zeros(2, 3))
    with pytest.raises(IndexError, match=r"Flatten: \w+_dim -?\d is out of range for a 2-d input "
                                         r"of shape \(2, 3\) \(expected \[-2, 1\]\)"):  # fmt: skip
        nn.Flatten(start, end)(tr.zeros(2, 3))


def test_batchnorm2d_messages_show_the_shape_passed():
    with pytest.raises(ValueError, match=r"more than 1 value per channel .* \(1, 3, 1, 1\)"):
        nn.BatchNorm2d(3)(tr.zeros(1, 3, 1, 1))
    stats = r"batch_norm: running_mean must have shape \(3,\) for input of shape \(2, 3, 4, 4\)"
    with pytest.raises(ValueError, match=stats + r", got shape \(4,\)"):
        F.batch_norm(tr.zeros(2, 3, 4, 4), np.zeros(4), np.ones(3))
    with pytest.raises(ValueError, match=r"batch_norm: weight must have shape \(3,\), got shape"):
        F.batch_norm(tr.zeros(2, 3), np.zeros(3), np.ones(3), weight=tr.ones(4))


def test_wrong_bias_or_numpy_weight_names_the_call_and_argument():
    x = tr.zeros(1, 3, 5, 5)
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(4,\), got shape \(5,\)"):
        F.conv2d(x, tr.zeros(4, 3, 3, 3), tr.zeros(5))
    with pytest.raises(TypeError, match=r"conv2d: weight must be a Tensor, got ndarray"):
        F.conv2d(x, np.zeros((4, 3, 3, 3), np.float32))
    with pytest.raises(TypeError, match=r"linear: weight must be a Tensor, got ndarray"):
        F.linear(tr.zeros(1, 3), np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(4,\), got shape \(5,\)"):
        F.linear(tr.zeros(1, 3), tr.zeros(4, 3), tr.zeros(5))
    with pytest.raises(TypeError, match=r"batch_norm: bias must be a Tensor or None, got ndarray"):
        F.batch_norm(tr.zeros(2, 3), np.zeros(3), np.ones(3), bias=np.zeros(3))


def test_dropout2d_messages_name_dropout2d():
    with pytest.raises(ValueError, match=r"^Dropout2d: input must be \(N, C, H, W\), got shape "
                                         r"\(2, 3\)"):  # fmt: skip
        nn.Dropout2d(0.5)(tr.zeros(2, 3))
    with pytest.raises(ValueError, match=r"^Dropout2d: p must be"):
        nn.Dropout2d(1.5)
