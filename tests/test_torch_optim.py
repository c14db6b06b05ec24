"""Every optimizer against PyTorch's: 40-step trajectories on the same model and data in float64,
editable param_groups and add_param_group, state_dict round trips, prox=, bad hyperparameters."""

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import optim, reg

torch = pytest.importorskip("torch", reason="PyTorch is the reference, when installed")

STEPS = 40
RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal((12, 4)), RNG.standard_normal((12, 3))
INITIAL = [RNG.standard_normal(shape) * 0.5 for shape in [(4, 5), (5,), (5, 3), (3,)]]


def tinyreg_model():
    """w1, b1, w2, b2 of a 4-5-3 tanh network (float64) and its mean squared error on X, Y."""
    params = [tr.tensor(value.copy(), requires_grad=True) for value in INITIAL]

    def loss():
        w1, b1, w2, b2 = params
        out = (tr.tensor(X) @ w1 + b1).tanh() @ w2 + b2
        return ((out - tr.tensor(Y)) ** 2).mean()

    return params, loss


def torch_model():
    """The same network and loss in PyTorch, from the same initial values."""
    params = [torch.tensor(value, requires_grad=True) for value in INITIAL]

    def loss():
        w1, b1, w2, b2 = params
        out = torch.tanh(torch.tensor(X) @ w1 + b1) @ w2 + b2
        return ((out - torch.tensor(Y)) ** 2).mean()

    return params, loss


def groups(params, **bias_options):
    """Weights in one group, biases in another with options of their own."""
    return [{"params": params[0::2]}, {"params": params[1::2], **bias_options}]


def train(opt, loss, steps, edit=None):
    """`steps` optimizer steps; edit(opt, step) may change param_groups before a step."""
    losses = []
    for step in range(steps):
        if edit is not None:
            edit(opt, step)
        opt.zero_grad()
        value = loss()
        value.backward()
        opt.step()
        losses.append(value.item())
    return losses


def assert_same_trajectory(ours, theirs, rtol=1e-10):
    (params, losses), (t_params, t_losses) = ours, theirs
    np.testing.assert_allclose(losses, t_losses, rtol=rtol, atol=1e-14)
    for p, t in zip(params, t_params, strict=True):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=rtol, atol=1e-12)


CASES = {  # name: (optimizer name, kwargs, options of the bias group)
    "adadelta": ("Adadelta", {}, {}),
    "adadelta-wd": ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1), dict(rho=0.5)),
    "adagrad": ("Adagrad", {}, {}),
    "adagrad-decay-wd": ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1,
                                         initial_accumulator_value=0.2, eps=1e-8), dict(lr=0.3)),
    "rmsprop": ("RMSprop", {}, {}),
    "rmsprop-momentum": ("RMSprop", dict(lr=3e-3, momentum=0.9), dict(momentum=0.5)),
    "rmsprop-centered": ("RMSprop", dict(centered=True, alpha=0.9), dict(weight_decay=0.05)),
    "rmsprop-centered-momentum-wd": ("RMSprop", dict(lr=3e-3, momentum=0.8, centered=True,
                                                     weight_decay=0.1, eps=1e-6), {}),
    "sgd-nesterov-wd": ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
                        dict(momentum=0.5, nesterov=False, dampening=0.1)),
    "adam-wd": ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1), dict(eps=1e-6)),
    "adamw": ("AdamW", dict(lr=0.01), dict(weight_decay=0.0)),
}  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_trajectory_matches_pytorch_over_40_steps(name):
    make, kwargs, bias_options = CASES[name]
    params, loss = tinyreg_model()
    t_params, t_loss = torch_model()
    opt = getattr(optim, make)(groups(params, **bias_options), **kwargs)
    t_opt = getattr(torch.optim, make)(groups(t_params, **bias_options), **kwargs)
    losses, t_losses = train(opt, loss, STEPS), train(t_opt, t_loss, STEPS)
    assert losses[-1] < losses[0]  # it trains: the comparison is not between two still models
    assert_same_trajectory((params, losses), (t_params, t_losses))


def edit_rates(opt, step):
    """A PyTorch user's schedule by hand: every group's lr and weight decay edited in place."""
    if step in (10, 25):
        for g in opt.param_groups:
            g["lr"] *= 0.5
            g["weight_decay"] = 0.01 * step


@pytest.mark.parametrize("make", ["Adadelta", "Adagrad", "RMSprop", "SGD", "Adam"])
def test_edited_param_groups_change_the_next_steps_as_in_pytorch(make):
    params, loss = tinyreg_model()
    t_params, t_loss = torch_model()
    opt = getattr(optim, make)(params, lr=0.05)
    t_opt = getattr(torch.optim, make)(t_params, lr=0.05)
    ours = params, train(opt, loss, 30, edit_rates)
    assert_same_trajectory(ours, (t_params, train(t_opt, t_loss, 30, edit_rates)))
    unedited, _ = tinyreg_model()
    train(getattr(optim, make)(unedited, lr=0.05), loss_of(unedited), 30)
    assert not np.allclose(unedited[0].data, params[0].data)  # the edits did change the run


def loss_of(params):
    w1, b1, w2, b2 = params
    return lambda: (((tr.tensor(X) @ w1 + b1).tanh() @ w2 + b2 - tr.tensor(Y)) ** 2).mean()


@pytest.mark.parametrize("make", ["Adadelta", "Adagrad", "RMSprop", "Adam"])
def test_add_param_group_mid_training_matches_pytorch(make):
    params, loss = tinyreg_model()
    t_params, t_loss = torch_model()
    opt = getattr(optim, make)(params[:2], lr=0.05)  # the first layer only, then the second
    t_opt = getattr(torch.optim, make)(t_params[:2], lr=0.05)

    def unfreeze(o, step):
        if step == 15:
            o.add_param_group({"params": (t_params if o is t_opt else params)[2:], "lr": 0.01})

    ours = params, train(opt, loss, 30, unfreeze)
    assert_same_trajectory(ours, (t_params, train(t_opt, t_loss, 30, unfreeze)))
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["lr"] == 0.01
    assert opt.param_groups[1]["eps"] == opt.defaults["eps"]  # the rest from the defaults


def test_add_param_group_is_checked_like_the_constructor_before_any_change():
    params, _ = tinyreg_model()
    opt = optim.RMSprop(params[:2], lr=0.1)
    frozen = tr.tensor(np.ones(3))
    cases = [
        ({"params": [params[0]]}, ValueError, ["more than once", "(4, 5)"]),
        ({"params": params[2:] + [params[2]]}, ValueError, ["more than once", "(5, 3)"]),
        ({"params": [params[2]], "lr": -1.0}, ValueError, ["lr", "-1.0"]),
        ({"params": [params[2]], "alpha": 2.0}, ValueError, ["alpha", "2.0"]),
        ({"params": [params[2]], "centered": 1}, TypeError, ["centered", "1"]),
        ({"params": [params[2]], "betas": (0.9, 0.9)}, ValueError, ["unknown options", "betas"]),
        ({"lr": 0.1}, ValueError, ["param_groups[1]", "'params'"]),
        ({"params": [frozen]}, ValueError, ["require grad", "(3,)"]),
        ({"params": [np.ones(3)]}, TypeError, ["params[0]", "Tensor"]),
        ([params[2]], TypeError, ["param_groups[1]", "dict"]),
    ]  # fmt: skip
    for group, error, needles in cases:
        with pytest.raises(error) as info:
            opt.add_param_group(group)
        for needle in needles:
            assert needle in str(info.value), (needle, str(info.value))
        assert len(opt.param_groups) == 1
    opt.add_param_group({"params": params[2]})  # one tensor, as PyTorch takes it
    assert opt.param_groups[1]["params"] == [params[2]]


def test_scheduler_steps_an_added_group_as_pytorchs_does():
    params, _ = tinyreg_model()
    t_params, _ = torch_model()
    opt, t_opt = optim.Adagrad(params[:2], lr=0.1), torch.optim.Adagrad(t_params[:2], lr=0.1)
    ours = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    theirs = torch.optim.lr_scheduler.StepLR(t_opt, step_size=2, gamma=0.5)
    for epoch in range(7):
        if epoch == 3:
            opt.add_param_group({"params": params[2:], "lr": 0.4})
            t_opt.add_param_group({"params": t_params[2:], "lr": 0.4})
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in t_opt.param_groups]
        t_opt.step()
        ours.step()
        theirs.step()


def test_rmsprop_momentum_and_centered_switched_on_start_from_zero_buffers():
    params, loss = tinyreg_model()
    t_params, t_loss = torch_model()
    opt, t_opt = optim.RMSprop(params, lr=0.01), torch.optim.RMSprop(t_params, lr=0.01)
    losses, t_losses = train(opt, loss, 5), train(t_opt, t_loss, 5)
    assert opt.state[params[0]]["momentum_buffer"].shape == (0,)  # unused: empty
    for o in (opt, t_opt):
        o.param_groups[0].update(momentum=0.9, centered=True)
    for p in t_params:  # PyTorch makes these buffers only at the first step; start them at 0
        t_opt.state[p].update(momentum_buffer=torch.zeros_like(p), grad_avg=torch.zeros_like(p))
    losses += train(opt, loss, 10)
    t_losses += train(t_opt, t_loss, 10)
    assert_same_trajectory((params, losses), (t_params, t_losses))


@pytest.mark.parametrize("make,kwargs", [
    ("Adadelta", dict(weight_decay=0.1)),
    ("Adagrad", dict(lr_decay=0.1, initial_accumulator_value=0.5)),
    ("RMSprop", dict(momentum=0.9, centered=True)),
    ("RMSprop", dict(momentum=0.0)),
])  # fmt: skip
def test_state_dict_round_trip_continues_the_same_run(make, kwargs):
    params, loss = tinyreg_model()
    opt = getattr(optim, make)(params, lr=0.05, **kwargs)
    train(opt, loss, 10)
    saved = opt.state_dict()
    assert set(saved["state"][0]) == set(getattr(optim, make)._state_keys)
    resumed, resumed_loss = tinyreg_model()
    for p, q in zip(resumed, params, strict=True):
        p.data[...] = q.data
    fresh = getattr(optim, make)(resumed, lr=1.0)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == 0.05 and fresh.state[resumed[0]]["step"] == 10
    train(opt, loss, 10)
    train(fresh, resumed_loss, 10)
    for p, q in zip(resumed, params, strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_load_state_dict_checks_the_new_optimizers_state():
    params, loss = tinyreg_model()
    opt = optim.RMSprop(params, lr=0.05)
    train(opt, loss, 2)
    saved = opt.state_dict()
    for name, value, needles in [
        ("grad_avg", np.zeros(7), ["state[0]['grad_avg']", "(7,)", "(4, 5)"]),
        ("square_avg", np.zeros((5, 4)), ["state[0]['square_avg']", "(5, 4)"]),
    ]:
        bad = opt.state_dict()
        bad["state"][0][name] = value
        with pytest.raises(ValueError) as info:
            opt.load_state_dict(bad)
        assert all(needle in str(info.value) for needle in needles), str(info.value)
    bad = opt.state_dict()
    bad["param_groups"][0]["alpha"] = 1.5
    with pytest.raises(ValueError, match="alpha must be a number in"):
        opt.load_state_dict(bad)
    np.testing.assert_array_equal(opt.state[params[0]]["square_avg"],
                                  saved["state"][0]["square_avg"])  # fmt: skip
    adagrad = optim.Adagrad(params, lr=0.1)
    train(adagrad, loss, 1)
    bad = adagrad.state_dict()
    bad["state"][1].pop("sum")
    with pytest.raises(ValueError, match=r"state\[1\] has entries \['step'\], expected"):
        adagrad.load_state_dict(bad)


@pytest.mark.parametrize("make", ["Adadelta", "Adagrad", "RMSprop"])
def test_prox_runs_after_the_update_with_the_groups_lr(make):
    params, loss = tinyreg_model()
    t_params, t_loss = torch_model()
    l1 = 0.5
    opt = getattr(optim, make)(params, lr=0.05, prox=reg.L1(l1, params=[params[0]]))
    t_opt = getattr(torch.optim, make)(t_params, lr=0.05)
    losses, t_losses = [], []
    for _ in range(20):
        losses += train(opt, loss, 1)
        t_losses += train(t_opt, t_loss, 1)
        with torch.no_grad():  # soft thresholding of w1: the proximal step of lr * l1 * |w|
            w = t_params[0]
            w.copy_(torch.sign(w) * torch.clamp(w.abs() - 0.05 * l1, min=0.0))
    assert_same_trajectory((params, losses), (t_params, t_losses))  # PyTorch's, thresholded


@pytest.mark.parametrize("make,kwargs,error,needles", [
    ("Adadelta", dict(rho=1.5), ValueError, ["Adadelta", "rho", "1.5"]),
    ("Adadelta", dict(lr=-1.0), ValueError, ["Adadelta", "lr", "-1.0"]),
    ("Adadelta", dict(eps=float("nan")), ValueError, ["eps", "nan"]),
    ("Adadelta", dict(weight_decay="0.1"), TypeError, ["weight_decay", "'0.1'"]),
    ("Adagrad", dict(lr_decay=-0.1), ValueError, ["Adagrad", "lr_decay", "-0.1"]),
    ("Adagrad", dict(initial_accumulator_value=-1), ValueError,
     ["initial_accumulator_value", "-1"]),
    ("Adagrad", dict(eps=float("inf")), ValueError, ["eps", "inf"]),
    ("RMSprop", dict(alpha=1.01), ValueError, ["RMSprop", "alpha", "1.01"]),
    ("RMSprop", dict(momentum=-0.5), ValueError, ["momentum", "-0.5"]),
    ("RMSprop", dict(centered="yes"), TypeError, ["centered", "'yes'"]),
    ("RMSprop", dict(prox="L1"), TypeError, ["prox", "str"]),
    ("RMSprop", dict(nesterov=True), TypeError, ["nesterov"]),
])  # fmt: skip
def test_bad_hyperparameters_name_the_argument_and_value(make, kwargs, error, needles):
    params, _ = tinyreg_model()
    with pytest.raises(error) as info:
        getattr(optim, make)(params, **kwargs)
    for needle in needles:
        assert needle in str(info.value), (needle, str(info.value))


def test_pytorchs_defaults_and_positional_order():
    params, _ = tinyreg_model()
    for make, args in [("Adadelta", (0.5, 0.8, 1e-5, 0.1)),
                       ("Adagrad", (0.5, 0.1, 0.2, 0.3, 1e-9)),
                       ("RMSprop", (0.5, 0.9, 1e-7, 0.1, 0.8, True))]:  # fmt: skip
        t_params, _ = torch_model()
        ours = getattr(optim, make)(params, *args).param_groups[0]
        theirs = getattr(torch.optim, make)(t_params, *args).param_groups[0]
        ours_default = getattr(optim, make)(params).defaults
        for key in ours_default:
            if key != "prox":
                assert ours[key] == theirs[key], (make, key)
                assert ours_default[key] == getattr(torch.optim, make)(t_params).defaults[key]


def test_an_optimizer_saved_mid_schedule_loads_and_resumes_like_pytorch():
    """Schedulers write initial_lr/max_lr/min_lr/momenta into the groups (as PyTorch's do); the
    optimizer's state_dict keeps them and load_state_dict takes them back."""
    torch = pytest.importorskip("torch")
    from tinyreg.optim.lr_scheduler import OneCycleLR

    w = tr.tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    schedule = OneCycleLR(opt, max_lr=1.0, total_steps=10)
    tw = torch.ones(3, requires_grad=True)
    topt = torch.optim.SGD([tw], lr=0.1, momentum=0.9)
    tschedule = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=1.0, total_steps=10)
    for _ in range(4):
        opt.step()
        schedule.step()
        topt.step()
        tschedule.step()
    saved = opt.state_dict()
    assert {"initial_lr", "max_lr", "min_lr"} <= set(saved["param_groups"][0])
    fresh = optim.SGD([w], lr=0.5, momentum=0.9)
    fresh.load_state_dict(saved)
    for key in ("lr", "initial_lr", "max_lr", "min_lr", "momentum"):
        assert fresh.param_groups[0][key] == pytest.approx(topt.param_groups[0][key], rel=1e-12)
    with pytest.raises(ValueError, match="max_lr"):
        fresh.load_state_dict({**saved, "param_groups": [{**saved["param_groups"][0],
                                                          "max_lr": -1.0}]})  # fmt: skip
