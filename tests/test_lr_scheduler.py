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
    for group, lr in zip(other.optimizer.param_groups, schedule.get_last_lr(), strict=True):
        group["lr"] = lr  # the rates live in the optimizer (its state dict would carry them)
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


def torch_two_groups(torch, make="SGD", **kwargs):
    return getattr(torch.optim, make)([{"params": [torch.ones(2)]},
                                       {"params": [torch.ones(3)], "lr": 0.5}], lr=0.1,
                                      **kwargs)  # fmt: skip


def lrs_and_momenta(opt):
    momenta = [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]
    return [g["lr"] for g in opt.param_groups], momenta


ONE_CYCLE = {  # name: (optimizer, its kwargs, OneCycleLR kwargs, steps)
    "three-phase-cos-sgd": ("SGD", dict(momentum=0.9),
                            dict(max_lr=1.0, total_steps=20, three_phase=True), 20),
    "three-phase-linear-adam-lists": ("Adam", {}, dict(
        max_lr=[0.3, 0.6], total_steps=15, pct_start=0.2, anneal_strategy="linear",
        three_phase=True, base_momentum=[0.8, 0.7], max_momentum=(0.9, 0.95)), 15),
    "three-phase-rmsprop": ("RMSprop", dict(momentum=0.5), dict(
        max_lr=0.2, epochs=3, steps_per_epoch=4, three_phase=True, div_factor=5.0,
        final_div_factor=50.0), 12),
    "two-phase-no-momentum-adagrad": ("Adagrad", {}, dict(max_lr=0.4, total_steps=9,
                                                          cycle_momentum=False), 9),
}  # fmt: skip


@pytest.mark.parametrize("name", ONE_CYCLE)
def test_one_cycle_lrs_and_momenta_match_pytorch_at_every_step(name):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference, when installed")
    make, opt_kwargs, kwargs, steps = ONE_CYCLE[name]
    opt = two_groups(getattr(optim, make), **opt_kwargs)
    t_opt = torch_two_groups(torch, make, **opt_kwargs)
    mine = S.OneCycleLR(opt, **kwargs)
    theirs = torch.optim.lr_scheduler.OneCycleLR(t_opt, **kwargs)
    for _ in range(steps):  # the constructor's step, then steps - 1 more: the whole cycle
        got, expected = lrs_and_momenta(opt), lrs_and_momenta(t_opt)
        np.testing.assert_allclose(got[0], expected[0], rtol=1e-12, atol=1e-15)
        if kwargs.get("cycle_momentum", True):
            np.testing.assert_allclose(got[1], expected[1], rtol=1e-12)
        t_opt.step()
        mine.step()
        theirs.step()
    assert mine.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)


def test_one_cycle_takes_pytorchs_positional_order():
    torch = pytest.importorskip("torch", reason="PyTorch is the reference, when installed")
    # max_lr, total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, cycle_momentum,
    # base_momentum, max_momentum, div_factor, final_div_factor, three_phase
    args = (0.5, 10, None, None, 0.25, "linear", True, 0.6, 0.9, 10.0, 100.0, True)
    opt, t_opt = two_groups(momentum=0.9), torch_two_groups(torch, momentum=0.9)
    mine, theirs = S.OneCycleLR(opt, *args), torch.optim.lr_scheduler.OneCycleLR(t_opt, *args)
    assert opt.param_groups[0]["min_lr"] == pytest.approx(0.5 / 10 / 100, rel=1e-12)
    for _ in range(10):
        np.testing.assert_allclose(lrs_and_momenta(opt), lrs_and_momenta(t_opt), rtol=1e-12)
        t_opt.step()
        mine.step()
        theirs.step()


EDITABLE = {  # name: (ours, PyTorch's name and kwargs)
    "step": (lambda o: S.StepLR(o, 3, gamma=0.5), "StepLR", dict(step_size=3, gamma=0.5)),
    "multistep": (lambda o: S.MultiStepLR(o, [2, 5, 5], gamma=0.1), "MultiStepLR",
                  dict(milestones=[2, 5, 5], gamma=0.1)),
    "exponential": (lambda o: S.ExponentialLR(o, 0.9), "ExponentialLR", dict(gamma=0.9)),
    "cosine": (lambda o: S.CosineAnnealingLR(o, 4, eta_min=0.01), "CosineAnnealingLR",
               dict(T_max=4, eta_min=0.01)),
    "onecycle": (lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=14), "OneCycleLR",
                 dict(max_lr=1.0, total_steps=14)),
}  # fmt: skip


@pytest.mark.parametrize("name", EDITABLE)
def test_schedules_see_rates_edited_in_param_groups_as_pytorchs_do(name):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference, when installed")
    ours, theirs, kwargs = EDITABLE[name]
    opt, t_opt = two_groups(momentum=0.9), torch_two_groups(torch, momentum=0.9)
    mine, reference = ours(opt), getattr(torch.optim.lr_scheduler, theirs)(t_opt, **kwargs)
    key = "max_lr" if name == "onecycle" else "lr"  # OneCycleLR reads its cycle from the group
    for epoch in range(13):
        if epoch in (4, 9):
            for g, t_g in zip(opt.param_groups, t_opt.param_groups, strict=True):
                g[key] = t_g[key] = t_g[key] * 0.3
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups],
                                   [g["lr"] for g in t_opt.param_groups], rtol=1e-12)  # fmt: skip
        assert mine.get_last_lr() == pytest.approx(reference.get_last_lr(), rel=1e-12)
        t_opt.step()
        mine.step()
        reference.step()


def test_one_cycle_bad_arguments_change_nothing():
    opt = two_groups(momentum=0.9)
    before = [dict(g) for g in opt.param_groups]
    cases = [
        (dict(max_lr=1.0, total_steps=10, pct_start=0.1), ValueError, "zero steps"),
        (dict(max_lr=1.0, total_steps=10, pct_start=1.0), ValueError, "pct_start=1.0"),
        (dict(max_lr=1.0, total_steps=3, pct_start=2 / 3, three_phase=True), ValueError,
         "three_phase=True"),
        (dict(max_lr=[1.0, 2.0, 3.0], total_steps=10), ValueError, "list of 2"),
        (dict(max_lr=1.0, total_steps=10, max_momentum=[0.9, -1.0]), ValueError,
         "max_momentum[1]"),
        (dict(max_lr=1.0, total_steps=10, three_phase=1), TypeError, "three_phase"),
        (dict(max_lr=1.0, total_steps=10, last_epoch=-2), ValueError, "last_epoch"),
        (dict(max_lr=1.0, total_steps=10, last_epoch=3), KeyError, "initial_lr"),
        (dict(max_lr=1.0, total_steps=0), ValueError, "total_steps"),
        (dict(max_lr=1.0), ValueError, "epochs and steps_per_epoch"),
    ]  # fmt: skip
    for kwargs, error, needle in cases:
        with pytest.raises(error) as info:
            S.OneCycleLR(opt, **kwargs)
        assert needle in str(info.value), (needle, str(info.value))
        assert opt.param_groups == before
    with pytest.raises(ValueError, match="Adagrad.*cycle_momentum=False"):
        S.OneCycleLR(two_groups(optim.Adagrad), max_lr=1.0, total_steps=10)


def test_resuming_needs_the_groups_initial_lr_and_keeps_the_rates():
    torch = pytest.importorskip("torch", reason="PyTorch is the reference, when installed")
    with pytest.raises(KeyError, match=r"initial_lr.*param_groups\[0\]"):
        S.ExponentialLR(two_groups(), 0.5, last_epoch=3)
    opt, t_opt = two_groups(), torch_two_groups(torch)
    for o in (opt, t_opt):
        for g in o.param_groups:
            g["initial_lr"] = 1.0
    mine = S.ExponentialLR(opt, 0.5, last_epoch=3)
    theirs = torch.optim.lr_scheduler.ExponentialLR(t_opt, 0.5, last_epoch=3)
    for _ in range(3):
        assert mine.last_epoch == theirs.last_epoch
        assert mine.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
        t_opt.step()
        mine.step()
        theirs.step()
