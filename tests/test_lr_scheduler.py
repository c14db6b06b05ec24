"""Learning-rate schedules against PyTorch's (when installed) and their closed forms, state
dicts, and the Trainer callback."""

import math

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn, optim
from tinyreg.optim import lr_scheduler as S
from tinyreg.training import LRSchedulerCallback, Trainer


def two_groups(make=optim.SGD, **kwargs):
    a, b = tr.tensor(np.ones(2), requires_grad=True), tr.tensor(np.ones(3), requires_grad=True)
    return make([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, **kwargs)


SCHEDULES = {  # name: (ours, PyTorch's, optimizer kwargs, steps)
    "step": (lambda o: S.StepLR(o, 3, gamma=0.5), "StepLR", dict(step_size=3, gamma=0.5), {}),
    "multistep": (lambda o: S.MultiStepLR(o, [2, 5], gamma=0.1), "MultiStepLR",
                  dict(milestones=[2, 5], gamma=0.1), {}),
    "exponential": (lambda o: S.ExponentialLR(o, 0.9), "ExponentialLR", dict(gamma=0.9), {}),
    "cosine": (lambda o: S.CosineAnnealingLR(o, 4, eta_min=0.01), "CosineAnnealingLR",
               dict(T_max=4, eta_min=0.01), {}),
    "onecycle": (lambda o: S.OneCycleLR(o, max_lr=[1.0, 1.0][0], total_steps=10), "OneCycleLR",
                 dict(max_lr=1.0, total_steps=10), dict(momentum=0.9)),
    "onecycle-linear-adam": (
        lambda o: S.OneCycleLR(o, max_lr=0.3, total_steps=8, anneal_strategy="linear",
                               pct_start=0.25), "OneCycleLR",
        dict(max_lr=0.3, total_steps=8, anneal_strategy="linear", pct_start=0.25), "adam"),
}  # fmt: skip


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedules_match_pytorch(name):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference, when installed")
    ours, theirs, kwargs, opt_kwargs = SCHEDULES[name]
    if opt_kwargs == "adam":
        opt = two_groups(optim.Adam)
        t_opt = torch.optim.Adam([{"params": [torch.ones(2)]},
                                  {"params": [torch.ones(3)], "lr": 0.5}], lr=0.1)  # fmt: skip
    else:
        opt = two_groups(**opt_kwargs)
        t_opt = torch.optim.SGD([{"params": [torch.ones(2)]},
                                 {"params": [torch.ones(3)], "lr": 0.5}], lr=0.1,
                                **opt_kwargs)  # fmt: skip
    mine, reference = ours(opt), getattr(torch.optim.lr_scheduler, theirs)(t_opt, **kwargs)
    steps = 8 if "onecycle-linear" in name else (9 if name == "onecycle" else 12)
    for _ in range(steps):
        got = [g["lr"] for g in opt.param_groups]
        expected = [g["lr"] for g in t_opt.param_groups]
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
        if name.startswith("onecycle"):
            key = "betas" if opt_kwargs == "adam" else "momentum"
            got_m = [g[key][0] if key == "betas" else g[key] for g in opt.param_groups]
            exp_m = [g[key][0] if key == "betas" else g[key] for g in t_opt.param_groups]
            np.testing.assert_allclose(got_m, exp_m, rtol=1e-12)
        t_opt.step()
        mine.step()
        reference.step()


def test_reduce_on_plateau_matches_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is the reference, when installed")
    opt = two_groups()
    t_opt = torch.optim.SGD([{"params": [torch.ones(2)]},
                             {"params": [torch.ones(3)], "lr": 0.5}], lr=0.1)  # fmt: skip
    kwargs = dict(factor=0.5, patience=2, cooldown=1, min_lr=0.01, threshold=0.01)
    mine, reference = (
        S.ReduceLROnPlateau(opt, **kwargs),
        torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **kwargs),
    )
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    for value in metrics:
        mine.step(value)
        reference.step(value)
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups],
                                   [g["lr"] for g in t_opt.param_groups], rtol=1e-12)  # fmt: skip


def test_closed_forms_and_state_dict():
    opt = two_groups()
    schedule = S.CosineAnnealingLR(opt, T_max=10, eta_min=0.0)
    for epoch in range(1, 6):
        schedule.step()
        assert opt.param_groups[0]["lr"] == pytest.approx(
            0.1 * (1 + math.cos(math.pi * epoch / 10)) / 2, rel=1e-12
        )
    saved = schedule.state_dict()
    other = S.CosineAnnealingLR(two_groups(), T_max=10)
    other.load_state_dict(saved)
    other.step()
    schedule.step()
    assert other.get_last_lr() == schedule.get_last_lr()
    with pytest.raises(ValueError, match="unknown keys"):
        other.load_state_dict({"bogus": 1})
    with pytest.raises(ValueError, match="step_size must be an integer >= 1, got 0"):
        S.StepLR(two_groups(), 0)
    with pytest.raises(ValueError, match="more than total_steps"):
        cycle = S.OneCycleLR(two_groups(momentum=0.9), max_lr=1.0, total_steps=2)
        for _ in range(3):
            cycle.step()


def test_trainer_callback_steps_per_epoch_and_per_batch():
    tr.manual_seed(0)
    X = np.random.default_rng(0).standard_normal((32, 4)).astype(np.float32)
    y = np.arange(32) % 2
    model = nn.Sequential(nn.Dense(4, 2))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    schedule = S.StepLR(opt, step_size=1, gamma=0.5)
    history = Trainer(model, "cross_entropy", opt, callbacks=[LRSchedulerCallback(schedule)]).fit(
        X, y, epochs=3, batch_size=8, verbose=0
    )
    np.testing.assert_allclose(history["lr"], [0.1, 0.05, 0.025])
    cycle = S.OneCycleLR(opt, max_lr=0.5, total_steps=3 * 4)
    Trainer(model, "cross_entropy", opt,
            callbacks=[LRSchedulerCallback(cycle, interval="batch")]).fit(
        X, y, epochs=3, batch_size=8, verbose=0)  # fmt: skip
    assert cycle.last_epoch == 12
    plateau = S.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    with pytest.raises(ValueError, match="once per epoch"):
        LRSchedulerCallback(plateau, interval="batch")
