"""Gradient clipping with PyTorch's semantics, by hand and in the Trainer."""

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn, optim
from tinyreg.training import Trainer


def tensors_with_grads(seed=0):
    rng = np.random.default_rng(seed)
    params = [tr.tensor(rng.standard_normal(s), requires_grad=True) for s in ((3, 4), (4,))]
    for p in params:
        p.grad = tr.tensor(rng.standard_normal(p.shape) * 5)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_matches_the_formula(norm_type):
    params = tensors_with_grads()
    grads = [p.grad.numpy().copy() for p in params]
    flat = np.concatenate([g.ravel() for g in grads])
    total = np.abs(flat).max() if np.isinf(norm_type) else np.linalg.norm(flat, ord=norm_type)
    norm = nn.utils.clip_grad_norm_(params, 1.0, norm_type)
    assert isinstance(norm, tr.Tensor) and norm.shape == () and norm.dtype == np.float64
    assert float(norm) == pytest.approx(total, rel=1e-12)
    for p, g in zip(params, grads, strict=True):
        np.testing.assert_allclose(p.grad, g * 1.0 / (total + 1e-6), rtol=1e-12)
    untouched = tensors_with_grads()
    before = [p.grad.numpy().copy() for p in untouched]
    nn.utils.clip_grad_norm_(untouched, 1e6)
    for p, g in zip(untouched, before, strict=True):
        np.testing.assert_array_equal(p.grad, g)  # below max_norm: unchanged


def test_clip_grad_matches_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is the reference, when installed")
    ours = tensors_with_grads(1)
    theirs = [torch.tensor(p.data, requires_grad=True) for p in ours]
    for p, q in zip(ours, theirs, strict=True):
        q.grad = torch.tensor(p.grad.numpy().copy())
    total = nn.utils.clip_grad_norm_(ours, 0.5)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 0.5)
    assert float(total) == pytest.approx(float(expected), rel=1e-12)
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)
    nn.utils.clip_grad_value_(ours, 0.01)
    torch.nn.utils.clip_grad_value_(theirs, 0.01)
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)


def test_trainer_clips_and_checks_the_argument():
    tr.manual_seed(0)
    model = nn.Sequential(nn.Dense(4, 3))
    seen = []

    class Spy(optim.SGD):
        def step(self):
            seen.append(np.sqrt(sum((p.grad.double() ** 2).sum().item()
                                    for p in model.parameters())))  # fmt: skip
            super().step()

    X = np.random.default_rng(2).standard_normal((16, 4)).astype(np.float32) * 100
    y = np.arange(16) % 3
    Trainer(model, "cross_entropy", Spy(model.parameters(), lr=0.01),
            clip_grad_norm=0.1).fit(X, y, epochs=2, batch_size=8, verbose=0)  # fmt: skip
    assert max(seen) <= 0.1 + 1e-6
    with pytest.raises(ValueError, match="clip_grad_norm must be a finite number >= 0"):
        Trainer(model, "cross_entropy", optim.SGD(model.parameters()), clip_grad_norm=-1)
    with pytest.raises(TypeError, match="model.parameters()"):
        nn.utils.clip_grad_norm_(model, 1.0)
