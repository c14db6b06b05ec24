"""Penalties and optimizers in the engine: gradients, selection, the sklearn ElasticNet match,
and single optimizer steps against PyTorch's documented formulas worked by hand."""

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet as SklearnElasticNet

import tinyreg as tr
from tinyreg import nn, optim, reg
from tinyreg.nn import functional as F


@pytest.mark.parametrize(
    "penalty", [reg.L1(0.3), reg.L2(0.7), reg.ElasticNet(l1=0.3, l2=0.7)], ids=repr
)
def test_penalty_gradcheck(penalty):
    rng = np.random.default_rng(0)
    w = rng.uniform(0.2, 1.0, (3, 4)) * rng.choice([-1, 1], (3, 4))  # away from the kink at 0
    v = rng.standard_normal(5)
    assert tr.gradcheck(lambda a, b: penalty([a, b]) * 2.0, [w, v])
    w64 = np.concatenate([w.ravel(), v])
    expected = penalty.l1 * np.abs(w64).sum() + penalty.l2 / 2 * (w64**2).sum()
    np.testing.assert_allclose(penalty([tr.tensor(w), tr.tensor(v)]).item(), expected)


def test_l1_gradient_at_zero_is_zero():
    w = tr.tensor(np.array([0.0, 2.0, -3.0]), requires_grad=True)
    reg.L1(0.5)([w]).backward()
    np.testing.assert_array_equal(w.grad, [0.0, 0.5, -0.5])


def test_penalty_adds_to_existing_gradient():
    w = tr.tensor(np.array([1.0, -2.0]), requires_grad=True)
    ((w * 3).sum() + reg.L2(0.5)([w])).backward()
    np.testing.assert_allclose(w.grad, [3.5, 2.0])


def test_default_penalty_covers_dense_weights_only():
    model = nn.Sequential(nn.Dense(3, 4), nn.ReLU(), nn.Dense(4, 2))
    for p in model.parameters():
        p.data[...] = 1.0
    penalty = reg.L1(1.0)
    assert penalty(model).item() == 3 * 4 + 4 * 2  # biases are not penalized
    penalty(model).backward()
    assert model[0].bias.grad is None and (model[0].weight.grad == 1.0).all()
    only_bias = reg.L1(1.0, params=[model[2].bias])
    assert only_bias(model).item() == 2


def test_sparsity_counts_exact_zeros_of_penalized_weights():
    model = nn.Sequential(nn.Dense(2, 5))
    model[0].weight.data[0] = 0.0
    assert reg.L1(0.1).sparsity(model) == 0.5


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_bad_strengths_raise(bad):
    with pytest.raises(ValueError, match="L1: lam must be a finite number >= 0"):
        reg.L1(bad)
    with pytest.raises(ValueError, match="l2"):
        reg.ElasticNet(0.1, bad)


def test_proximal_sgd_matches_sklearn_elastic_net():
    rng = np.random.default_rng(0)
    n, d = 80, 10
    X = rng.standard_normal((n, d))
    true_w = np.array([3.0, -2.0, 0, 0, 1.5, 0, 0, 0, 0.5, 0])
    y = X @ true_w + 0.7 + 0.1 * rng.standard_normal(n)
    l1, l2 = 0.1, 0.05
    expected = SklearnElasticNet(alpha=l1 + l2, l1_ratio=l1 / (l1 + l2), tol=1e-12,
                                 max_iter=100_000).fit(X, y)  # fmt: skip

    model = nn.Dense(d, 1).to(np.float64)
    lr = 1.0 / np.linalg.eigvalsh(X.T @ X / n).max()  # 1 / Lipschitz constant of the loss
    opt = optim.SGD(model.parameters(), lr=lr, prox=reg.ElasticNet(l1, l2))
    for _ in range(3000):
        opt.zero_grad()
        loss = 0.5 * F.mse_loss(model(tr.tensor(X)), y[:, None])  # sklearn's 1/(2n) scaling
        loss.backward()
        opt.step()
    w = model.weight.data[:, 0]
    np.testing.assert_allclose(w, expected.coef_, atol=1e-4)
    np.testing.assert_allclose(model.bias.data[0], expected.intercept_, atol=1e-4)
    np.testing.assert_array_equal(w == 0, expected.coef_ == 0)
    assert (w == 0).sum() >= 3


def one_param(value, grad):
    p = nn.Parameter(np.array([value], dtype=np.float64))
    p.grad = tr.tensor(np.array([grad], dtype=np.float64))
    return p


def test_sgd_momentum_dampening_weight_decay_by_hand():
    p = one_param(1.0, 0.5)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)
    opt.step()  # d = 0.5 + 0.01 * 1 = 0.51; b = d (first step); w = 1 - 0.1 * 0.51
    np.testing.assert_allclose(p.data, [0.949])
    p.grad = tr.tensor(np.array([0.5]))
    opt.step()  # d = 0.5 + 0.00949; b = 0.9 * 0.51 + 0.9 * d; w -= 0.1 * b
    b = 0.9 * 0.51 + 0.9 * (0.5 + 0.01 * 0.949)
    np.testing.assert_allclose(p.data, [0.949 - 0.1 * b])


def test_sgd_nesterov_by_hand():
    p = one_param(2.0, 1.0)
    opt = optim.SGD([p], lr=0.5, momentum=0.5, nesterov=True)
    opt.step()  # b = 1; d = 1 + 0.5 * 1 = 1.5; w = 2 - 0.75
    np.testing.assert_allclose(p.data, [1.25])
    p.grad = tr.tensor(np.array([1.0]))
    opt.step()  # b = 0.5 + 1 = 1.5; d = 1 + 0.75; w = 1.25 - 0.875
    np.testing.assert_allclose(p.data, [0.375])


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_and_adamw_by_hand(decoupled):
    p = one_param(1.0, 0.2)
    cls = optim.AdamW if decoupled else optim.Adam
    opt = cls([p], lr=0.1, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.5)
    opt.step()
    w = 1.0 * (1 - 0.1 * 0.5) if decoupled else 1.0
    g = 0.2 if decoupled else 0.2 + 0.5 * 1.0
    m, v = 0.1 * g, 0.01 * g * g
    w -= 0.1 * (m / 0.1) / (np.sqrt(v / 0.01) + 1e-8)  # bias-corrected: m/(1-0.9), v/(1-0.99)
    np.testing.assert_allclose(p.data, [w])
    assert opt.state[p]["step"] == 1


def test_adam_with_weight_decay_differs_from_adamw():
    a, b = one_param(1.0, 0.2), one_param(1.0, 0.2)
    optim.Adam([a], lr=0.1, weight_decay=0.5).step()
    optim.AdamW([b], lr=0.1, weight_decay=0.5).step()
    assert not np.allclose(a.data, b.data)


def test_sgd_weight_decay_equals_l2_penalty_step_for_step():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((20, 4)), rng.standard_normal((20, 1))
    tr.manual_seed(0)
    decayed = nn.Dense(4, 1, bias=False).to(np.float64)
    penalized = nn.Dense(4, 1, bias=False).to(np.float64)
    penalized.load_state_dict(decayed.state_dict())
    opt_a = optim.SGD(decayed.parameters(), lr=0.05, momentum=0.9, weight_decay=0.1)
    opt_b = optim.SGD(penalized.parameters(), lr=0.05, momentum=0.9)
    for _ in range(10):
        for model, opt, penalty in ((decayed, opt_a, None), (penalized, opt_b, reg.L2(0.1))):
            opt.zero_grad()
            loss = F.mse_loss(model(tr.tensor(X)), y)
            (loss + penalty(model) if penalty else loss).backward()
            opt.step()
    np.testing.assert_allclose(decayed.weight.data, penalized.weight.data, rtol=1e-12)


def test_param_groups_and_state_dict_round_trip():
    model = nn.Dense(3, 2)
    opt = optim.SGD([{"params": [model.weight]}, {"params": [model.bias], "weight_decay": 0.0}],
                    lr=0.1, momentum=0.9, weight_decay=0.5)  # fmt: skip
    assert opt.param_groups[0]["weight_decay"] == 0.5 and opt.param_groups[1]["weight_decay"] == 0
    for p in model.parameters():
        p.grad = tr.tensor(np.ones_like(p.data))
    opt.step()
    saved = opt.state_dict()
    fresh = optim.SGD([{"params": [model.weight]}, {"params": [model.bias]}], lr=1.0, momentum=0.9)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[1]["weight_decay"] == 0.0 and fresh.param_groups[0]["lr"] == 0.1
    np.testing.assert_array_equal(
        fresh.state[model.weight]["momentum_buffer"], opt.state[model.weight]["momentum_buffer"]
    )
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_optimizer_argument_errors():
    p = one_param(1.0, 0.0)
    with pytest.raises(ValueError, match="lr"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
