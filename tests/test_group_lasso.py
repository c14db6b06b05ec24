"""Group lasso, MaxNorm, lists of proximal steps, prox on Adam, and pruning dead units."""

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn, optim, reg
from tinyreg.reg.group import group_lasso_term


def group_lasso_by_ops(w, lam, columns):
    """The penalty written with engine ops (autograd gives its gradient)."""
    squares = (w * w).sum(dim=0 if columns else 1)
    size = w.shape[0] if columns else w.shape[1]
    return lam * np.sqrt(size) * squares.sqrt().sum()


def test_group_lasso_value_and_gradient_match_the_formula():
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((6, 4))
    conv = rng.standard_normal((3, 2, 2, 2))
    dense[:, 1] = 0  # a dead unit: its gradient is 0
    a = tr.tensor(dense, requires_grad=True)
    b = tr.tensor(conv, requires_grad=True)
    value = reg.GroupLasso(0.3, params=[a, b])([a, b])
    value.backward()
    a2, b2 = tr.tensor(dense, requires_grad=True), tr.tensor(conv, requires_grad=True)
    expected = group_lasso_by_ops(a2, 0.3, True) + group_lasso_by_ops(b2.reshape(3, 8), 0.3, False)
    assert value.item() == pytest.approx(expected.item(), rel=1e-12)
    live = dense.copy()
    live[:, 1] = 1.0  # autograd of sqrt at 0 is inf * 0: compare on the live columns only
    expected_grad = 0.3 * np.sqrt(6) * dense / np.sqrt((live**2).sum(axis=0))
    np.testing.assert_allclose(a.grad, expected_grad, rtol=1e-12)
    assert not a.grad[:, 1].any()
    expected.backward()
    np.testing.assert_allclose(b.grad, b2.grad, rtol=1e-12)


def test_group_lasso_gradcheck_away_from_zero():
    x = np.random.default_rng(1).standard_normal((5, 3)) + 2.0
    assert tr.gradcheck(lambda w: group_lasso_term([w], 0.7), [x])


def test_group_lasso_prox_is_block_soft_thresholding():
    rng = np.random.default_rng(2)
    w = rng.standard_normal((4, 6)) * np.array([0.01, 0.02, 1, 2, 0.015, 3])
    p = tr.tensor(w, requires_grad=True)
    lr, lam = 0.5, 0.05
    reg.GroupLasso(lam).prox_step([p], lr)
    norms = np.sqrt((w**2).sum(axis=0))
    expected = w * np.maximum(0, 1 - lr * lam * np.sqrt(4) / norms)
    np.testing.assert_allclose(p.data, expected, rtol=1e-12)
    assert (~p.data.any(axis=0)).tolist() == [True, True, False, False, True, False]


def test_maxnorm_matches_keras_formula_and_only_shrinks():
    rng = np.random.default_rng(3)
    w = rng.standard_normal((10, 4)) * np.array([0.1, 1, 3, 10])
    p = tr.tensor(w, requires_grad=True)
    reg.MaxNorm(2.0).prox_step([p], lr=0.1)
    norms = np.sqrt((w**2).sum(axis=0, keepdims=True))
    np.testing.assert_allclose(p.data, w * np.clip(norms, 0, 2.0) / (1e-7 + norms), rtol=1e-12)
    assert np.all(np.sqrt((p.data**2).sum(axis=0)) <= 2.0 + 1e-9)
    with pytest.raises(TypeError, match="constraint"):
        reg.MaxNorm()([p])
    rows = tr.tensor(w, requires_grad=True)
    reg.MaxNorm(2.0, axis=1).prox_step([rows], 0.1)
    assert np.all(np.sqrt((rows.data**2).sum(axis=1)) <= 2.0 + 1e-9)


def test_prox_list_is_applied_in_order_and_works_for_adam():
    rng = np.random.default_rng(4)
    w = rng.standard_normal((5, 3)) * 4
    for make in (optim.SGD, optim.Adam, optim.AdamW):
        p, q = tr.tensor(w, requires_grad=True), tr.tensor(w, requires_grad=True)
        kwargs = dict(lr=0.1) if make is optim.SGD else dict(lr=0.1, weight_decay=0.0)
        chain = make([p], prox=[reg.L1(0.5, params=[p]), reg.MaxNorm(1.0, params=[p])], **kwargs)
        plain = make([q], **kwargs)
        for opt, t in ((chain, p), (plain, q)):
            t.grad = tr.tensor(np.ones_like(w))
            opt.step()
        expected = q.data.copy()
        reg.L1(0.5).prox_step([tr.tensor(expected)], 0.1)  # (a copy: prox on a fresh leaf)
        leaf = tr.tensor(q.data.copy(), requires_grad=True)
        reg.L1(0.5).prox_step([leaf], 0.1)
        reg.MaxNorm(1.0).prox_step([leaf], 0.1)
        np.testing.assert_allclose(p.data, leaf.data, rtol=1e-12)
    with pytest.raises(TypeError, match=r"prox\[1\]"):
        optim.Adam([p], prox=[reg.L1(0.1), "l2"])


def test_group_lasso_training_zeroes_units_and_prune_keeps_the_function():
    tr.manual_seed(0)
    rng = np.random.default_rng(5)
    X = rng.standard_normal((200, 8)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    model = nn.Sequential(nn.Dense(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.1),
                          nn.Dense(32, 16), nn.Tanh(), nn.Dense(16, 2))  # fmt: skip
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, prox=reg.GroupLasso(0.05))
    from tinyreg.training.trainer import Trainer

    Trainer(model, "cross_entropy", opt).fit(X, y, epochs=20, batch_size=32, verbose=0)
    dead = reg.GroupLasso(0.05).dead_units(model)
    assert dead >= 8  # whole units switched off
    model.eval()
    smaller = reg.prune(model)
    hidden_dead = sum(int((~layer.weight.data.any(axis=0)).sum()) for layer in (model[0], model[4]))
    assert hidden_dead >= 8
    assert smaller[0].out_features + smaller[4].out_features == 32 + 16 - hidden_dead
    with tr.no_grad():
        np.testing.assert_allclose(smaller(tr.tensor(X)).data, model(tr.tensor(X)).data,
                                   rtol=1e-5, atol=1e-5)  # fmt: skip
    assert model[0].out_features == 32  # the original is untouched
