"""One Regularizer interface: a regularizer a user defines in a file of their own
(tests/user_regularizer.py) works wherever a built-in one does - as the Trainer's penalty, as an
optimizer's prox, under gradcheck - and one that lacks a part is refused before anything runs.
(compare and sweep: tests/test_experiments.py.)"""

import numpy as np
import pytest
from user_regularizer import LogPenalty, UserL1

import tinyreg as tr
from tinyreg import nn, optim, reg
from tinyreg.training import Trainer


def moons_net(seed):
    tr.manual_seed(seed)
    return nn.Sequential(nn.Dense(2, 16), nn.ReLU(), nn.Dense(16, 2))


def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((96, 2)).astype(np.float32)
    return X, (X[:, 0] * X[:, 1] > 0).astype(np.int64)


def train(penalty=None, prox=None, epochs=4):
    model = moons_net(3)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, prox=prox)
    history = Trainer(model, "cross_entropy", opt, penalty=penalty).fit(
        *data(), val=data(), epochs=epochs, batch_size=16, verbose=0
    )
    return history, [p.data.copy() for p in model.parameters()]


def test_a_users_penalty_trains_like_the_built_in_one():
    theirs, their_weights = train(penalty=reg.L1(3e-3))
    ours, our_weights = train(penalty=UserL1(3e-3))
    for key in ("loss", "penalty", "val_loss"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-6)
    for a, b in zip(our_weights, their_weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_a_users_proximal_step_runs_in_every_optimizer_like_the_built_in_one():
    for make in (optim.SGD, optim.Adam, optim.AdamW):
        weights = []
        for prox in (reg.L1(0.5), UserL1(0.5)):
            model = moons_net(1)
            opt = make(model.parameters(), lr=0.05, prox=prox)
            X, y = data()
            for _ in range(5):
                opt.zero_grad()
                tr.nn.functional.cross_entropy(model(tr.tensor(X)), y).backward()
                opt.step()
            weights.append(model[0].weight.data.copy())
        np.testing.assert_allclose(weights[1], weights[0], rtol=1e-5, atol=1e-7)
        assert (weights[1] == 0).sum() == (weights[0] == 0).sum() > 0  # exact zeros, same ones


def test_a_users_penalty_with_no_built_in_twin_has_the_right_gradient():
    w = tr.tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)
    assert tr.gradcheck(lambda x: LogPenalty(0.3)([x]), [w])
    history, _ = train(penalty=LogPenalty(1e-3), epochs=2)
    assert np.all(np.isfinite(history["total_loss"]))
    np.testing.assert_allclose(
        np.array(history["total_loss"]) - history["loss"], history["penalty"], rtol=1e-5
    )


def test_a_regularizer_without_the_part_asked_for_is_refused_up_front():
    model = moons_net(0)
    before = [p.data.copy() for p in model.parameters()]
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="penalty MaxNorm.*no loss term.*prox="):
        Trainer(model, "cross_entropy", opt, penalty=reg.MaxNorm(1.0))
    with pytest.raises(TypeError, match="MaxNorm is a constraint"):
        reg.MaxNorm(1.0)(model)
    with pytest.raises(TypeError, match="prox must be a regularizer.*got a LogPenalty"):
        optim.SGD(model.parameters(), lr=0.1, prox=LogPenalty(1e-3))
    with pytest.raises(TypeError, match=r"prox\[1\] must be a regularizer.*got a str"):
        optim.SGD(model.parameters(), lr=0.1, prox=[reg.L1(1e-3), "l1"])
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters(), strict=True))


def test_post_step_hooks_run_after_the_proximal_step_and_can_be_removed():
    model = moons_net(0)
    opt = optim.SGD(model.parameters(), lr=0.1, prox=reg.L1(100.0))  # zeroes every weight
    seen = []
    handle = opt.register_step_post_hook(
        lambda o, args, kwargs: seen.append(float(np.abs(model[0].weight.data).sum()))
    )
    X, y = data()
    for _ in range(2):
        opt.zero_grad()
        tr.nn.functional.cross_entropy(model(tr.tensor(X)), y).backward()
        opt.step()
        handle.remove() if len(seen) == 1 else None
    assert seen == [0.0]  # ran once, after the prox had zeroed the weights
    with pytest.raises(TypeError, match="hook must be callable"):
        opt.register_step_post_hook("not a function")
