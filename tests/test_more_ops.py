"""The engine operations a PyTorch user expects: every one gradchecked in float64 and compared
with PyTorch (when installed) in value and gradient."""

import numpy as np
import pytest

import tinyreg as tr

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
POS = RNG.uniform(0.5, 2.0, (3, 4))
B = RNG.standard_normal((3, 4))
B[0, 0] = A[0, 0]  # a tie for maximum / minimum
INDEX = np.array([[0, 3, 3], [1, 1, 0], [2, 0, 1]])
MASK = A > 0.5

OPS = {  # name: (ours, PyTorch's, inputs)
    "amin": (lambda x: x.amin(dim=1), lambda t, x: x.amin(dim=1), [A]),
    "amax-dims": (lambda x: x.amax((0, 1)), lambda t, x: x.amax((0, 1)), [A]),
    "max-dim": (lambda x: x.max(1).values, lambda t, x: x.max(1).values, [A]),
    "min-dim-keepdim": (lambda x: x.min(dim=0, keepdim=True)[0],
                        lambda t, x: x.min(dim=0, keepdim=True)[0], [A]),
    "log1p": (lambda x: x.log1p(), lambda t, x: x.log1p(), [POS]),
    "expm1": (lambda x: x.expm1(), lambda t, x: x.expm1(), [A]),
    "sin": (lambda x: x.sin(), lambda t, x: x.sin(), [A]),
    "cos": (lambda x: x.cos(), lambda t, x: x.cos(), [A]),
    "squeeze-unsqueeze": (lambda x: x.unsqueeze(1).unsqueeze(-1).squeeze(1) * 2,
                          lambda t, x: x.unsqueeze(1).unsqueeze(-1).squeeze(1) * 2, [A]),
    "flatten": (lambda x: x.flatten() * 3, lambda t, x: x.flatten() * 3, [A]),
    "view": (lambda x: x.view(4, 3) * 3, lambda t, x: x.view(4, 3) * 3, [A]),
    "expand": (lambda x: x[:, :1].expand(3, 5) * 2, lambda t, x: x[:, :1].expand(3, 5) * 2, [A]),
    "var": (lambda x: x.var(dim=1), lambda t, x: x.var(dim=1), [A]),
    "var-biased": (lambda x: x.var(unbiased=False), lambda t, x: x.var(unbiased=False), [A]),
    "std": (lambda x: x.std(dim=0, keepdim=True), lambda t, x: x.std(dim=0, keepdim=True), [A]),
    "prod": (lambda x: x.prod(dim=1), lambda t, x: x.prod(dim=1), [A]),
    "prod-all": (lambda x: x.prod(), lambda t, x: x.prod(), [A]),
    "cumsum": (lambda x: x.cumsum(1) * 1.5, lambda t, x: x.cumsum(1) * 1.5, [A]),
    "logsumexp": (lambda x: x.logsumexp(1), lambda t, x: x.logsumexp(1), [A]),
    "norm": (lambda x: x.norm(), lambda t, x: x.norm(), [A]),
    "norm-p3-dim": (lambda x: x.norm(3, dim=1), lambda t, x: x.norm(3, dim=1), [A]),
    "clamp": (lambda x: x.clamp(min=-0.5, max=0.5), lambda t, x: x.clamp(-0.5, 0.5), [A]),
    "masked_fill": (lambda x: x.masked_fill(MASK, 2.0), lambda t, x: x.masked_fill(
        t.tensor(MASK), 2.0), [A]),
    "gather": (lambda x: x.gather(1, INDEX), lambda t, x: x.gather(1, t.tensor(INDEX)), [A]),
    "split": (lambda x: x.split([1, 3], dim=1)[1] * 2, lambda t, x: x.split([1, 3], dim=1)[1] * 2,
              [A]),
    "chunk": (lambda x: x.chunk(2, dim=1)[1] * 2, lambda t, x: x.chunk(2, dim=1)[1] * 2, [A]),
    "repeat": (lambda x: x.repeat(2, 1, 3), lambda t, x: x.repeat(2, 1, 3), [A]),
    "clone": (lambda x: x.clone() * 2, lambda t, x: x.clone() * 2, [A]),
    "where": (lambda x, y: tr.where(MASK, x, y), lambda t, x, y: t.where(t.tensor(MASK), x, y),
              [A, B]),
    "maximum": (lambda x, y: tr.maximum(x, y), lambda t, x, y: t.maximum(x, y), [A, B]),
    "minimum": (lambda x, y: tr.minimum(x, y), lambda t, x, y: t.minimum(x, y), [A, B]),
    "rpow": (lambda x: 2.5**x, lambda t, x: 2.5**x, [A]),
    "pow-tensor": (lambda x, y: x**y, lambda t, x, y: x**y, [POS, B]),
}  # fmt: skip


def scalar(out):
    weights = np.random.default_rng(1).standard_normal(out.shape)
    return (out * weights).sum()


@pytest.mark.parametrize("name", [n for n in OPS if n not in ("maximum", "minimum")])
def test_op_gradcheck(name):
    ours, _, inputs = OPS[name]
    assert tr.gradcheck(lambda *xs: scalar(ours(*xs)), inputs)


@pytest.mark.parametrize("name", OPS)
def test_op_matches_pytorch(name):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference, when installed")
    ours, theirs, inputs = OPS[name]
    mine = [tr.tensor(x, requires_grad=True) for x in inputs]
    reference = [torch.tensor(x, requires_grad=True) for x in inputs]
    out, expected = ours(*mine), theirs(torch, *reference)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for a, b in zip(mine, reference, strict=True):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_comparisons_and_argmax():
    x = tr.tensor(A)
    np.testing.assert_array_equal((x > 0).data, A > 0)
    np.testing.assert_array_equal((x <= 0.1).data, A <= 0.1)
    np.testing.assert_array_equal(x.eq(x).data, np.ones_like(A, bool))
    assert x.argmax().item() == A.argmax() and x.argmin(dim=1).data.tolist() == A.argmin(1).tolist()
    assert x.sign().data.tolist() == np.sign(A).tolist()
    with pytest.raises(ValueError, match="cannot expand"):
        x.expand(5, 4)
    with pytest.raises(ValueError, match="do not add up"):
        x.split([1, 1], dim=1)
