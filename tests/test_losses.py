"""Losses with PyTorch's semantics: cross-entropy with weights, label smoothing and class
probabilities, nll, l1, huber, binary cross-entropy, every reduction; gradcheck in float64 and
PyTorch (when installed) to 1e-10."""

import numpy as np
import pytest

import tinyreg as tr
from tinyreg.nn import functional as F

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((6, 4)) * 3
LABELS = np.array([0, 3, 1, 1, 2, 3])
WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])
SOFT = RNG.dirichlet(np.ones(4), 6)
PRED, TARGET = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
PROB = 1 / (1 + np.exp(-RNG.standard_normal((5, 3))))
BINARY = (RNG.random((5, 3)) > 0.5).astype(float)

CASES = {  # name: (our call, PyTorch call (given torch and torch.nn.functional), input)
    "ce": (lambda x: F.cross_entropy(x, LABELS),
           lambda t, f, x: f.cross_entropy(x, t.tensor(LABELS)), LOGITS),
    "ce-weight-smooth": (
        lambda x: F.cross_entropy(x, LABELS, weight=WEIGHT, label_smoothing=0.2),
        lambda t, f, x: f.cross_entropy(x, t.tensor(LABELS), weight=t.tensor(WEIGHT),
                                        label_smoothing=0.2), LOGITS),
    "ce-soft-weight-smooth-sum": (
        lambda x: F.cross_entropy(x, SOFT, weight=WEIGHT, label_smoothing=0.1, reduction="sum"),
        lambda t, f, x: f.cross_entropy(x, t.tensor(SOFT), weight=t.tensor(WEIGHT),
                                        label_smoothing=0.1, reduction="sum"), LOGITS),
    "ce-none": (lambda x: F.cross_entropy(x, LABELS, label_smoothing=0.3, reduction="none"),
                lambda t, f, x: f.cross_entropy(x, t.tensor(LABELS), label_smoothing=0.3,
                                                reduction="none"), LOGITS),
    "nll-weight": (lambda x: F.nll_loss(x.log_softmax(1), LABELS, weight=WEIGHT),
                   lambda t, f, x: f.nll_loss(x.log_softmax(1), t.tensor(LABELS),
                                              weight=t.tensor(WEIGHT)), LOGITS),
    "mse-none": (lambda x: F.mse_loss(x, TARGET, reduction="none"),
                 lambda t, f, x: f.mse_loss(x, t.tensor(TARGET), reduction="none"), PRED),
    "l1": (lambda x: F.l1_loss(x, TARGET), lambda t, f, x: f.l1_loss(x, t.tensor(TARGET)), PRED),
    "huber": (lambda x: F.huber_loss(x, TARGET, delta=0.7),
              lambda t, f, x: f.huber_loss(x, t.tensor(TARGET), delta=0.7), PRED),
    "bce": (lambda x: F.binary_cross_entropy(x, BINARY, reduction="sum"),
            lambda t, f, x: f.binary_cross_entropy(x, t.tensor(BINARY), reduction="sum"), PROB),
    "bce-logits-none": (
        lambda x: F.binary_cross_entropy_with_logits(x, BINARY, reduction="none"),
        lambda t, f, x: f.binary_cross_entropy_with_logits(x, t.tensor(BINARY),
                                                           reduction="none"), PRED),
}  # fmt: skip


def weighted(out):
    """A scalar from a loss of any reduction: non-scalar outputs get fixed random weights."""
    if out.ndim == 0:
        return out
    return (out * np.random.default_rng(9).standard_normal(out.shape)).sum()


@pytest.mark.parametrize("name", CASES)
def test_loss_gradcheck(name):
    ours, _, x = CASES[name]
    assert tr.gradcheck(lambda t: weighted(ours(t)), [x])


@pytest.mark.parametrize("name", CASES)
def test_loss_matches_pytorch(name):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference, when installed")
    ours, theirs, x = CASES[name]
    a, b = tr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(a), theirs(torch, torch.nn.functional, b)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(9).standard_normal(out.shape)
    (out * weights).sum().backward() if out.ndim else out.backward()
    (expected * torch.tensor(weights)).sum().backward() if out.ndim else expected.backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_label_smoothing_formula_by_hand():
    logp = LOGITS - np.log(np.exp(LOGITS).sum(1, keepdims=True))
    e = 0.2
    per_sample = -(1 - e) * WEIGHT[LABELS] * logp[np.arange(6), LABELS] - e / 4 * (
        WEIGHT * logp
    ).sum(1)
    expected = per_sample.sum() / WEIGHT[LABELS].sum()
    got = F.cross_entropy(tr.tensor(LOGITS), LABELS, weight=WEIGHT, label_smoothing=e).item()
    assert got == pytest.approx(expected, rel=1e-12)


def test_loss_argument_errors():
    with pytest.raises(ValueError, match=r"label_smoothing must be a number in \[0, 1\], got 1.5"):
        F.cross_entropy(tr.tensor(LOGITS), LABELS, label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"weight must have one entry per class \(4,\)"):
        F.cross_entropy(tr.tensor(LOGITS), LABELS, weight=np.ones(3))
    with pytest.raises(ValueError, match=r"class probabilities must have the logits' shape"):
        F.cross_entropy(tr.tensor(LOGITS), SOFT[:, :3])
    with pytest.raises(ValueError, match="delta must be a finite number > 0"):
        F.huber_loss(tr.tensor(PRED), TARGET, delta=0)
