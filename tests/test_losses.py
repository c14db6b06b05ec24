"""Losses with PyTorch's semantics: cross-entropy with weights, label smoothing, ignore_index,
class probabilities and (N, C, d1, ...) inputs, nll, mse, l1, huber, smooth l1, binary
cross-entropy (with weight and pos_weight), every reduction and the legacy size_average/reduce;
gradcheck in float64 and PyTorch (when installed) to 1e-10; the loss modules against PyTorch's."""

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn
from tinyreg.nn import functional as F

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((6, 4)) * 3
LABELS = np.array([0, 3, 1, 1, 2, 3])
WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])
SOFT = RNG.dirichlet(np.ones(4), 6)
PRED, TARGET = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
PROB = 1 / (1 + np.exp(-RNG.standard_normal((5, 3))))
BINARY = (RNG.random((5, 3)) > 0.5).astype(float)
IGNORED = np.array([0, -100, 1, 3, -100, 2])  # two samples ignored (PyTorch's ignore_index)
LOGITS_K = RNG.standard_normal((3, 4, 2, 5)) * 2  # (N, C, d1, d2)
LABELS_K = RNG.integers(0, 4, (3, 2, 5))
LABELS_K[0, 1, :2] = 2  # ignore_index=2 below drops these and every other label 2
SOFT_K = np.moveaxis(RNG.dirichlet(np.ones(4), (3, 2, 5)), -1, 1)
ELEMENT_WEIGHT = RNG.uniform(0.5, 2, (5, 3))
POS_WEIGHT = np.array([0.5, 2.0, 3.0])

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
    "ce-ignore": (lambda x: F.cross_entropy(x, IGNORED),
                  lambda t, f, x: f.cross_entropy(x, t.tensor(IGNORED)), LOGITS),
    "ce-ignore-weight-smooth": (
        lambda x: F.cross_entropy(x, IGNORED, weight=WEIGHT, label_smoothing=0.3),
        lambda t, f, x: f.cross_entropy(x, t.tensor(IGNORED), weight=t.tensor(WEIGHT),
                                        label_smoothing=0.3), LOGITS),
    "ce-ignore-smooth-none": (
        lambda x: F.cross_entropy(x, IGNORED, label_smoothing=0.3, reduction="none"),
        lambda t, f, x: f.cross_entropy(x, t.tensor(IGNORED), label_smoothing=0.3,
                                        reduction="none"), LOGITS),
    "ce-kdim-ignore-weight": (
        lambda x: F.cross_entropy(x, LABELS_K, weight=WEIGHT, ignore_index=2),
        lambda t, f, x: f.cross_entropy(x, t.tensor(LABELS_K), weight=t.tensor(WEIGHT),
                                        ignore_index=2), LOGITS_K),
    "ce-kdim-none": (lambda x: F.cross_entropy(x, LABELS_K, reduction="none"),
                     lambda t, f, x: f.cross_entropy(x, t.tensor(LABELS_K), reduction="none"),
                     LOGITS_K),
    "ce-kdim-soft": (lambda x: F.cross_entropy(x, SOFT_K, label_smoothing=0.1),
                     lambda t, f, x: f.cross_entropy(x, t.tensor(SOFT_K), label_smoothing=0.1),
                     LOGITS_K),
    "ce-unbatched": (lambda x: F.cross_entropy(x, np.int64(2)),
                     lambda t, f, x: f.cross_entropy(x, t.tensor(2)), LOGITS[0]),
    "nll-ignore-weight-none": (
        lambda x: F.nll_loss(x, IGNORED, weight=WEIGHT, reduction="none"),
        lambda t, f, x: f.nll_loss(x, t.tensor(IGNORED), weight=t.tensor(WEIGHT),
                                   reduction="none"), LOGITS),
    "nll-kdim-ignore": (lambda x: F.nll_loss(x, LABELS_K, ignore_index=2),
                        lambda t, f, x: f.nll_loss(x, t.tensor(LABELS_K), ignore_index=2),
                        LOGITS_K),
    "mse-weight": (lambda x: F.mse_loss(x, TARGET, weight=ELEMENT_WEIGHT),
                   lambda t, f, x: f.mse_loss(x, t.tensor(TARGET), weight=t.tensor(ELEMENT_WEIGHT)),
                   PRED),
    "l1-weight-sum": (
        lambda x: F.l1_loss(x, TARGET, reduction="sum", weight=ELEMENT_WEIGHT),
        lambda t, f, x: f.l1_loss(x, t.tensor(TARGET), reduction="sum",
                                  weight=t.tensor(ELEMENT_WEIGHT)), PRED),
    "huber-weight": (lambda x: F.huber_loss(x, TARGET, delta=0.5, weight=ELEMENT_WEIGHT),
                     lambda t, f, x: f.huber_loss(x, t.tensor(TARGET), delta=0.5,
                                                  weight=t.tensor(ELEMENT_WEIGHT)), PRED),
    "smooth-l1": (lambda x: F.smooth_l1_loss(x, TARGET, beta=0.6),
                  lambda t, f, x: f.smooth_l1_loss(x, t.tensor(TARGET), beta=0.6), PRED),
    "smooth-l1-beta0-none": (
        lambda x: F.smooth_l1_loss(x, TARGET, beta=0.0, reduction="none"),
        lambda t, f, x: f.smooth_l1_loss(x, t.tensor(TARGET), beta=0.0, reduction="none"), PRED),
    "bce-weight": (lambda x: F.binary_cross_entropy(x, BINARY, weight=POS_WEIGHT),
                   lambda t, f, x: f.binary_cross_entropy(x, t.tensor(BINARY),
                                                          weight=t.tensor(POS_WEIGHT)), PROB),
    "bce-logits-weights": (
        lambda x: F.binary_cross_entropy_with_logits(x, BINARY, weight=ELEMENT_WEIGHT,
                                                     pos_weight=POS_WEIGHT),
        lambda t, f, x: f.binary_cross_entropy_with_logits(
            x, t.tensor(BINARY), weight=t.tensor(ELEMENT_WEIGHT),
            pos_weight=t.tensor(POS_WEIGHT)), PRED * 3),
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
    with pytest.raises(
        ValueError,
        match=r"integer class indices of shape \(6,\) \(or class "
        r"probabilities of shape \(6, 4\)\), got dtype float64 and shape \(6, 3\)",
    ):
        F.cross_entropy(tr.tensor(LOGITS), SOFT[:, :3])
    with pytest.raises(
        ValueError, match="class probabilities, which must be floats, got dtype int"
    ):
        F.cross_entropy(tr.tensor(LOGITS), np.ones((6, 4), np.int64))
    with pytest.raises(
        ValueError,
        match=r"labels must lie in \[0, 4\) or equal ignore_index=-1, "
        r"got values in \[-100, 3\]",
    ):
        F.cross_entropy(tr.tensor(LOGITS), IGNORED, ignore_index=-1)
    with pytest.raises(
        ValueError, match=r"labels must be integer class indices of shape \(3, 2, 5\)"
    ):
        F.nll_loss(tr.tensor(LOGITS_K), SOFT_K)  # nll takes no class probabilities
    with pytest.raises(ValueError, match="delta must be a finite number > 0"):
        F.huber_loss(tr.tensor(PRED), TARGET, delta=0)
    with pytest.raises(ValueError, match="beta must be a finite number >= 0, got -1"):
        F.smooth_l1_loss(tr.tensor(PRED), TARGET, beta=-1)
    with pytest.raises(
        ValueError,
        match=r"weight must have the input's shape \(5, 3\), got shape "
        r"\(3,\)",
    ):
        F.mse_loss(tr.tensor(PRED), TARGET, weight=POS_WEIGHT)
    with pytest.raises(ValueError, match=r"pos_weight must have a shape that broadcasts.*\(4,\)"):
        F.binary_cross_entropy_with_logits(tr.tensor(PRED), BINARY, pos_weight=np.ones(4))
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\], got values in \[-0.5, 1\]"):
        F.binary_cross_entropy(tr.tensor([-0.5, 1.0]), [0.0, 1.0])
    with pytest.raises(TypeError, match="ignore_index must be an integer, got 1.0"):
        F.nll_loss(tr.tensor(LOGITS), LABELS, ignore_index=1.0)


def test_legacy_size_average_and_reduce_map_to_reduction_with_pytorchs_warning():
    torch = pytest.importorskip("torch")
    x = tr.tensor(LOGITS)
    for size_average, reduce in [(False, None), (None, False), (True, True), (False, True)]:
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            ours = F.cross_entropy(x, LABELS, size_average=size_average, reduce=reduce)
        with pytest.warns(UserWarning):
            theirs = torch.nn.functional.cross_entropy(
                torch.tensor(LOGITS), torch.tensor(LABELS), size_average=size_average,
                reduce=reduce)  # fmt: skip
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)
    with pytest.warns(UserWarning):
        assert tr.nn.MSELoss(size_average=False).reduction == "sum"


def test_a_mean_over_no_sample_is_nan_as_in_pytorch():
    torch = pytest.importorskip("torch")
    everything = np.full(6, -100)
    ours = F.cross_entropy(tr.tensor(LOGITS), everything)
    theirs = torch.nn.functional.cross_entropy(torch.tensor(LOGITS), torch.tensor(everything))
    assert np.isnan(ours.item()) and np.isnan(theirs.item())
    assert F.cross_entropy(tr.tensor(LOGITS), everything, reduction="sum").item() == 0.0


MODULES = [  # (tinyreg module, PyTorch module (given torch.nn and torch), input, target)
    (lambda: nn.CrossEntropyLoss(weight=WEIGHT, ignore_index=1, label_smoothing=0.2),
     lambda n, t: n.CrossEntropyLoss(weight=t.tensor(WEIGHT), ignore_index=1,
                                     label_smoothing=0.2), LOGITS, LABELS),
    (lambda: nn.CrossEntropyLoss(reduction="none"), lambda n, t: n.CrossEntropyLoss(
        reduction="none"), LOGITS_K, LABELS_K),
    (lambda: nn.NLLLoss(weight=WEIGHT, reduction="sum"),
     lambda n, t: n.NLLLoss(weight=t.tensor(WEIGHT), reduction="sum"), LOGITS, IGNORED),
    (lambda: nn.MSELoss(), lambda n, t: n.MSELoss(), PRED, TARGET),
    (lambda: nn.L1Loss(reduction="sum"), lambda n, t: n.L1Loss(reduction="sum"), PRED, TARGET),
    (lambda: nn.HuberLoss(delta=0.4), lambda n, t: n.HuberLoss(delta=0.4), PRED, TARGET),
    (lambda: nn.SmoothL1Loss(beta=0.4), lambda n, t: n.SmoothL1Loss(beta=0.4), PRED, TARGET),
    (lambda: nn.BCELoss(weight=POS_WEIGHT), lambda n, t: n.BCELoss(weight=t.tensor(POS_WEIGHT)),
     PROB, BINARY),
    (lambda: nn.BCEWithLogitsLoss(pos_weight=POS_WEIGHT, reduction="none"),
     lambda n, t: n.BCEWithLogitsLoss(pos_weight=t.tensor(POS_WEIGHT), reduction="none"),
     PRED, BINARY),
]  # fmt: skip


@pytest.mark.parametrize("case", range(len(MODULES)))
def test_loss_modules_match_pytorchs(case):
    torch = pytest.importorskip("torch")
    ours, theirs, x, target = MODULES[case]
    ours, theirs = ours(), theirs(torch.nn, torch)
    a, b = tr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(a, target), theirs(b, torch.tensor(target))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(np.asarray(a.grad), b.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert set(ours.state_dict()) == set(theirs.state_dict())  # class weights are buffers
    assert repr(ours).split("(")[0] == repr(theirs).split("(")[0]


def test_loss_modules_check_their_arguments_up_front():
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: label_smoothing must be a number in "):
        nn.CrossEntropyLoss(label_smoothing=2)
    with pytest.raises(ValueError, match=r"MSELoss: reduction must be one of .*got 'avg'"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(TypeError, match="NLLLoss: weight must be"):
        nn.NLLLoss(weight="heavy")
    with pytest.raises(ValueError, match="HuberLoss: delta must be a finite number > 0"):
        nn.HuberLoss(delta=0.0)
