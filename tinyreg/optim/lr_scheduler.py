"""Learning-rate schedules with PyTorch's semantics (`optim.lr_scheduler`).

Each scheduler sets `group["lr"]` of its optimizer's groups. Create it after the optimizer; it
records each group's `initial_lr` and sets the epoch-0 rate at once (as PyTorch does); call
`step()` after each epoch (OneCycleLR: after each batch; ReduceLROnPlateau: `step(metric)`), by
hand or through `tinyreg.training.LRSchedulerCallback`. With e = the number of `step()` calls so
far, and no rate edited by hand:

    StepLR:            lr = base * gamma ** (e // step_size)
    MultiStepLR:       lr = base * gamma ** (number of milestones <= e)
    ExponentialLR:     lr = base * gamma ** e
    CosineAnnealingLR: lr = eta_min + (base - eta_min) * (1 + cos(pi * e / T_max)) / 2
    OneCycleLR:        from max_lr / div_factor up to max_lr over pct_start of the steps, then down
                       to max_lr / (div_factor * final_div_factor), cosine or linear (three_phase:
                       up, back down to max_lr / div_factor, then to the minimum); momentum (or
                       Adam's beta1) cycles the other way between max_momentum and base_momentum
    ReduceLROnPlateau: lr *= factor after `patience` epochs without improvement (threshold,
                       cooldown, min_lr as in PyTorch; improvement is `utils.best.improves`)

The first four update each group's current rate (PyTorch's chainable forms: StepLR multiplies
`group["lr"]` by gamma every step_size epochs), so a rate edited in `param_groups` carries on from
the edit, as in PyTorch. OneCycleLR computes every rate from the group's `initial_lr`, `max_lr` and
`min_lr` (edit those to move the cycle); ReduceLROnPlateau scales the current rate.
`state_dict()` / `load_state_dict()` save and restore a scheduler's counters; the rates live in
the optimizer's groups, so restore the optimizer's state dict too, as in PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import validate as check
from .._missing import missing_names
from ..utils.best import improves


class _Saved:
    """`state_dict()` / `load_state_dict()` of a scheduler: its attributes but the optimizer."""

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (PyTorch's rule)."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    # attribute -> its check, the constructor's rule (a loaded state must keep step() working)
    _RULES: dict[str, tuple[str, dict[str, Any]]] = {
        "last_epoch": ("integer", {"low": -1}),
        "step_size": ("integer", {"low": 1}),
        "T_max": ("integer", {"low": 1}),
        "total_steps": ("integer", {"low": 1}),
        "patience": ("integer", {"low": 0}),
        "cooldown": ("integer", {"low": 0}),
        "num_bad_epochs": ("integer", {"low": 0}),
        "cooldown_counter": ("integer", {"low": 0}),
        "gamma": ("finite", {"low": 0.0}),
        "eta_min": ("finite", {"low": 0.0}),
        "min_lr": ("finite", {"low": 0.0}),
        "eps": ("finite", {"low": 0.0}),
        "threshold": ("finite", {"low": 0.0}),
        "factor": ("number", {"low": 0.0, "high": 1.0, "high_open": True}),
        "best": ("number", {}),
        "mode": ("choice", {"choices": ("min", "max")}),
        "threshold_mode": ("choice", {"choices": ("rel", "abs")}),
        "anneal_strategy": ("choice", {"choices": ("cos", "linear")}),
    }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the counters saved by `state_dict`. All or nothing: unknown keys, a value of
        another kind than the one it replaces, a list of another length (one value per group),
        and a value the constructor would refuse (step_size=0, a NaN gamma, an unknown mode) are
        errors, raised before any attribute changes."""
        owner = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, dict):
            raise check.fail(owner, "state", "a dict (a state_dict())", state, TypeError)
        unknown = set(state) - set(vars(self))
        if unknown:
            raise ValueError(f"{owner}: unknown keys {sorted(unknown)}")
        checked = {key: _like(owner, key, value, vars(self)[key]) for key, value in state.items()}
        for key, value in checked.items():
            rule = self._RULES.get(key)
            if rule is None:
                continue
            kind, options = rule
            if kind == "choice":
                check.choice(owner, key, value, options["choices"])
            else:
                checked[key] = getattr(check, kind)(owner, key, value, **options)
        if "milestones" in checked:
            milestones = enumerate(checked["milestones"])
            checked["milestones"] = sorted(check.integer(owner, f"milestones[{i}]", m, low=0)
                                           for i, m in milestones)  # fmt: skip
        vars(self).update(checked)

    def get_last_lr(self) -> list[float]:
        """The rates the scheduler set last (PyTorch's `get_last_lr`: a rate edited in
        `param_groups` since then shows in `param_groups`, not here)."""
        return list(self._last_lr)


def _like(owner: str, key: str, value: Any, current: Any) -> Any:
    """`value` checked to be of the kind of `current`, the value it replaces: a bool for a bool,
    an integer for an integer, a number (not NaN) for a float, a str for a str, and a list or
    tuple of the same length (per-group values, phases) whose items are checked alike."""
    if isinstance(current, bool):
        return check.boolean(owner, key, value)
    if isinstance(current, int | float):  # an integer stays one (a float for it is an error)
        if isinstance(current, int) and not isinstance(value, float):
            return check.integer(owner, key, value)
        return check.number(owner, key, value)
    if isinstance(current, str):
        return check.instance(owner, key, value, str, "a str")
    if isinstance(current, list | tuple):
        if not isinstance(value, list | tuple):
            raise check.fail(owner, key, f"a list of {len(current)}", value, TypeError)
        if key == "milestones":  # any number of epochs, checked by the caller
            return list(value)
        if len(value) != len(current):
            raise check.fail(owner, key, f"a list of {len(current)} (as saved)", value)
        pairs = enumerate(zip(value, current, strict=True))
        return type(current)(_like(owner, f"{key}[{i}]", v, c) for i, (v, c) in pairs)
    return value


def _optimizer_groups(owner: str, optimizer: Any, last_epoch: Any,
                      keys: tuple[str, ...]) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    """The optimizer's param_groups and the checked last_epoch. A scheduler resumed at
    last_epoch >= 0 needs `keys` in every group, put there by the scheduler that ran before and
    restored with the optimizer's state dict (PyTorch's KeyError)."""
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list):
        raise TypeError(f"{owner}: optimizer must be a tinyreg optimizer, got a "
                        f"{type(optimizer).__name__}")  # fmt: skip
    last_epoch = check.integer(owner, "last_epoch", last_epoch, low=-1)
    for i, group in enumerate(groups if last_epoch >= 0 else ()):
        missing = [key for key in keys if key not in group]
        if missing:
            raise KeyError(f"{owner}: resuming at last_epoch={last_epoch} needs {missing} in "
                           f"param_groups[{i}]; load the optimizer's state dict saved with the "
                           "scheduler first, or start with last_epoch=-1")  # fmt: skip
    return groups, last_epoch


class LRScheduler(_Saved):
    """Base class: `step()` advances `last_epoch` and sets every group's lr to `get_lr()`.
    With last_epoch=-1 (a new schedule) each group's `initial_lr` is set to its lr unless a
    scheduler before set it; with last_epoch >= 0 (resuming) every group must have one."""

    def __init__(self, optimizer: Any, last_epoch: int = -1):
        groups, last_epoch = _optimizer_groups(type(self).__name__, optimizer, last_epoch,
                                               ("initial_lr",))  # fmt: skip
        self.optimizer = optimizer
        for group in groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in groups]
        self.last_epoch = last_epoch
        self._is_initial = True  # the constructor's step keeps the current rates (chainable)
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rate of each group at `last_epoch` (subclasses implement it)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch (one batch for OneCycleLR) and set the new rates."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = self._current()

    def _current(self) -> list[float]:
        """Each group's rate as it is now (edited or not)."""
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """lr = base * gamma ** (epoch // step_size) (PyTorch's StepLR)."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size = check.integer("StepLR", "step_size", step_size, low=1)
        self.gamma = check.finite("StepLR", "gamma", gamma, low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rates, times gamma at every multiple of step_size."""
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class MultiStepLR(LRScheduler):
    """lr = base * gamma ** (number of milestones <= epoch) (PyTorch's MultiStepLR)."""

    def __init__(self, optimizer: Any, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1):  # fmt: skip
        if isinstance(milestones, str) or not isinstance(milestones, Sequence):
            raise TypeError(f"MultiStepLR: milestones must be a list of epochs, got "
                            f"{milestones!r}")  # fmt: skip
        self.milestones = sorted(check.integer("MultiStepLR", f"milestones[{i}]", m, low=0)
                                 for i, m in enumerate(milestones))  # fmt: skip
        self.gamma = check.finite("MultiStepLR", "gamma", gamma, low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rates, times gamma ** (how often this epoch is a milestone)."""
        reached = self.milestones.count(self.last_epoch)
        return [lr * self.gamma**reached if reached else lr for lr in self._current()]


class ExponentialLR(LRScheduler):
    """lr = base * gamma ** epoch (PyTorch's ExponentialLR)."""

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1):
        self.gamma = check.finite("ExponentialLR", "gamma", gamma, low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rates, times gamma (but at the constructor's step)."""
        return self._current() if self._is_initial else [lr * self.gamma for lr in self._current()]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base - eta_min) * (1 + cos(pi * epoch / T_max)) / 2 (PyTorch's
    CosineAnnealingLR; past T_max the cosine goes on, back up, as PyTorch's does)."""

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):  # noqa: N803
        self.T_max = check.integer("CosineAnnealingLR", "T_max", T_max, low=1)
        self.eta_min = check.finite("CosineAnnealingLR", "eta_min", eta_min, low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """PyTorch's recurrence: the current rate's distance to eta_min scaled by the ratio of
        consecutive cosine factors; where the earlier factor is 0 (the bottom of the cosine),
        the step up from it."""
        e, t_max, groups = self.last_epoch, self.T_max, self.optimizer.param_groups
        if self._is_initial:
            return self._current()
        if (e - 1 - t_max) % (2 * t_max) == 0:
            rise = (1 - math.cos(math.pi / t_max)) / 2
            return [group["lr"] + (base - self.eta_min) * rise
                    for base, group in zip(self.base_lrs, groups, strict=True)]  # fmt: skip
        ratio = (1 + math.cos(math.pi * e / t_max)) / (1 + math.cos(math.pi * (e - 1) / t_max))
        return [ratio * (lr - self.eta_min) + self.eta_min for lr in self._current()]


def _per_group(owner: str, name: str, value: Any, groups: list) -> list[float]:
    """One finite value >= 0 per group: a number for all of them, or a list with one per group
    (PyTorch's rule for max_lr, base_momentum, max_momentum)."""
    if not isinstance(value, list | tuple):
        return [check.finite(owner, name, value, low=0.0)] * len(groups)
    if len(value) != len(groups):
        raise ValueError(f"{owner}: {name} must be a number or a list of {len(groups)} (one "
                         f"per parameter group), got a list of {len(value)}")  # fmt: skip
    return [check.finite(owner, f"{name}[{i}]", v, low=0.0) for i, v in enumerate(value)]


class OneCycleLR(LRScheduler):
    """The one-cycle policy (Smith & Topin), PyTorch's OneCycleLR, arguments in PyTorch's order:
    call `step()` after every batch. lr rises from initial_lr = max_lr / div_factor to max_lr
    over the first pct_start of total_steps, then falls to min_lr = initial_lr / final_div_factor;
    with three_phase=True it falls back to initial_lr over as many steps as it rose, then anneals
    to min_lr. Phase i ends at step pct_start * total_steps - 1, (three_phase)
    2 * pct_start * total_steps - 2, and total_steps - 1; within a phase from a to b,
    lr = b + (a - b) * (1 + cos(pi * f)) / 2 ("cos") or a + (b - a) * f ("linear"), f the
    fraction of the phase done. With cycle_momentum the momentum (optimizers with `momentum` in
    their defaults: SGD, RMSprop) or beta1 (those with `betas`: Adam) moves the opposite way
    between max_momentum and base_momentum (kept at max_momentum in the third phase). max_lr,
    base_momentum and max_momentum take a number or a list with one per group; the values live
    in each group ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum") and are
    read there at every step, as in PyTorch.

    Coming from PyTorch: a phase of zero steps (pct_start * total_steps = 1, pct_start = 1, or
    total_steps * (1 - 2 * pct_start) = -1 with three_phase) is a ValueError here, where PyTorch
    divides by zero when it reaches that phase."""

    def __init__(self, optimizer: Any, max_lr: float | Sequence[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | Sequence[float] = 0.85,
                 max_momentum: float | Sequence[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1):  # fmt: skip
        owner = "OneCycleLR"
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            total_steps = check.integer(owner, "epochs", epochs, low=1) * check.integer(
                owner, "steps_per_epoch", steps_per_epoch, low=1
            )
        self.total_steps = total = check.integer(owner, "total_steps", total_steps, low=1)
        pct_start = check.number(owner, "pct_start", pct_start, 0.0, 1.0)
        self.anneal_strategy = check.choice(owner, "anneal_strategy", anneal_strategy,
                                            ("cos", "linear"))  # fmt: skip
        div_factor = check.finite(owner, "div_factor", div_factor, low=0.0, low_open=True)
        final_div = check.finite(owner, "final_div_factor", final_div_factor, low=0.0,
                                 low_open=True)  # fmt: skip
        self.cycle_momentum = check.boolean(owner, "cycle_momentum", cycle_momentum)
        self.three_phase = check.boolean(owner, "three_phase", three_phase)
        self.phases = (  # (last step, start lr, end lr, start momentum, end momentum)
            [(pct_start * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
             (2 * pct_start * total - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
             (total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
            if self.three_phase else
            [(pct_start * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
             (total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        )  # fmt: skip
        ends = [phase[0] for phase in self.phases]
        if any(end == start for start, end in zip([0.0, *ends], ends, strict=False)):
            raise ValueError(f"OneCycleLR: pct_start={pct_start} with total_steps={total}"
                             f"{' and three_phase=True' if self.three_phase else ''} gives a "
                             f"phase of zero steps (phases end at steps {ends}); change "
                             "pct_start or total_steps")  # fmt: skip
        keys = ("initial_lr", "max_lr", "min_lr")  # what a resumed cycle reads in each group
        keys += ("max_momentum", "base_momentum") if self.cycle_momentum else ()
        groups, last_epoch = _optimizer_groups(owner, optimizer, last_epoch, keys)
        max_lrs = _per_group(owner, "max_lr", max_lr, groups)
        if self.cycle_momentum:
            if "betas" not in optimizer.defaults and "momentum" not in optimizer.defaults:
                raise ValueError(f"OneCycleLR: cycle_momentum=True needs an optimizer with "
                                 f"momentum or betas, got {type(optimizer).__name__} (pass "
                                 "cycle_momentum=False)")  # fmt: skip
            self.use_beta1 = "betas" in optimizer.defaults
            max_momenta = _per_group(owner, "max_momentum", max_momentum, groups)
            base_momenta = _per_group(owner, "base_momentum", base_momentum, groups)
        if last_epoch == -1:
            for i, group in enumerate(groups):
                group["initial_lr"], group["max_lr"] = max_lrs[i] / div_factor, max_lrs[i]
                group["min_lr"] = group["initial_lr"] / final_div
                if self.cycle_momentum:
                    group["max_momentum"], group["base_momentum"] = max_momenta[i], base_momenta[i]
                    self._set_momentum(group, max_momenta[i])
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, fraction: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)
        return (end - start) * fraction + start

    def get_lr(self) -> list[float]:
        """Each group's rate at this step, from its own initial_lr, max_lr and min_lr (and its
        momentum or beta1, set as a side effect)."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {step} times, more than total_steps "
                             f"{self.total_steps}")  # fmt: skip
        last = len(self.phases) - 1
        i = next(i for i, phase in enumerate(self.phases) if step <= phase[0] or i == last)
        start_step = self.phases[i - 1][0] if i else 0.0
        end_step, lr0, lr1, m0, m1 = self.phases[i]
        fraction = (step - start_step) / (end_step - start_step)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._anneal(group[lr0], group[lr1], fraction))
            if self.cycle_momentum:
                self._set_momentum(group, self._anneal(group[m0], group[m1], fraction))
        return lrs


class ReduceLROnPlateau(_Saved):
    """PyTorch's ReduceLROnPlateau: `step(metric)` after each epoch; when the metric has not
    improved for more than `patience` epochs, every lr becomes max(lr * factor, min_lr) (changes
    smaller than eps are skipped), then `cooldown` epochs pass before counting again. Improvement:
    mode "min" with threshold_mode "rel" means metric < best * (1 - threshold) ("abs":
    metric < best - threshold); "max" mirrors it: `utils.best.improves`, the rule EarlyStopping,
    ModelCheckpoint and the Trainer use too. `best` stays a plain number (not a `utils.best.Best`)
    so that `state_dict()` holds numbers and strings only, as PyTorch's does."""

    def __init__(self, optimizer: Any, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float = 0.0, eps: float = 1e-8):  # fmt: skip
        owner = "ReduceLROnPlateau"
        if not isinstance(getattr(optimizer, "param_groups", None), list):
            raise TypeError(f"{owner}: optimizer must be a tinyreg optimizer")
        self.optimizer = optimizer
        self.mode = check.choice(owner, "mode", mode, ("min", "max"))
        self.factor = check.number(owner, "factor", factor, 0.0, 1.0, high_open=True)
        self.patience = check.integer(owner, "patience", patience, low=0)
        self.threshold = check.finite(owner, "threshold", threshold, low=0.0)
        self.threshold_mode = check.choice(owner, "threshold_mode", threshold_mode,
                                           ("rel", "abs"))  # fmt: skip
        self.cooldown = check.integer(owner, "cooldown", cooldown, low=0)
        self.min_lr = check.finite(owner, "min_lr", min_lr, low=0.0)
        self.eps = check.finite(owner, "eps", eps, low=0.0)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs, self.cooldown_counter, self.last_epoch = 0, 0, 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def step(self, metrics: float) -> None:
        """Record this epoch's metric and reduce the rates if it has plateaued."""
        value = check.number("ReduceLROnPlateau.step", "metrics", metrics)
        self.last_epoch += 1
        if improves(value, self.best, self.mode, self.threshold, self.threshold_mode):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group in self.optimizer.param_groups:
                new = max(group["lr"] * self.factor, self.min_lr)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


__getattr__ = missing_names(__name__)  # PyTorch's names tinyreg lacks: a message saying so
