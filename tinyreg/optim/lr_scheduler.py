"""Learning-rate schedules with PyTorch's semantics (`optim.lr_scheduler`).

Each scheduler sets `group["lr"]` of its optimizer's groups. Create it after the optimizer; it
records each group's `initial_lr` and sets the epoch-0 rate at once (as PyTorch does); call
`step()` after each epoch (OneCycleLR: after each batch; ReduceLROnPlateau: `step(metric)`), by
hand or through `tinyreg.training.LRSchedulerCallback`. With e = the number of `step()` calls so
far:

    StepLR:            lr = base * gamma ** (e // step_size)
    MultiStepLR:       lr = base * gamma ** (number of milestones <= e)
    ExponentialLR:     lr = base * gamma ** e
    CosineAnnealingLR: lr = eta_min + (base - eta_min) * (1 + cos(pi * e / T_max)) / 2
    OneCycleLR:        from max_lr / div_factor up to max_lr over pct_start of the steps, then down
                       to max_lr / (div_factor * final_div_factor), cosine or linear; momentum (or
                       Adam's beta1) cycles the other way between max_momentum and base_momentum
    ReduceLROnPlateau: lr *= factor after `patience` epochs without improvement (threshold,
                       cooldown, min_lr as in PyTorch; improvement is `utils.best.improves`)

The closed forms are used (PyTorch's chainable updates give the same values up to rounding).
`state_dict()` / `load_state_dict()` save and restore a scheduler's counters.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from .. import validate as check
from ..utils.best import improves


class _Saved:
    """`state_dict()` / `load_state_dict()` of a scheduler: its attributes but the optimizer."""

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (PyTorch's rule)."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the counters saved by `state_dict`; unknown keys are an error."""
        unknown = set(state) - set(vars(self))
        if unknown:
            raise ValueError(f"{type(self).__name__}.load_state_dict: unknown keys "
                             f"{sorted(unknown)}")  # fmt: skip
        vars(self).update(state)


class LRScheduler(_Saved):
    """Base class: `step()` advances `last_epoch` and sets every group's lr to `get_lr()`."""

    def __init__(self, optimizer: Any, last_epoch: int = -1):
        groups = getattr(optimizer, "param_groups", None)
        if not isinstance(groups, list):
            raise TypeError(f"{type(self).__name__}: optimizer must be a tinyreg optimizer, got "
                            f"a {type(optimizer).__name__}")  # fmt: skip
        self.optimizer = optimizer
        for group in groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in groups]
        self.last_epoch = check.integer(type(self).__name__, "last_epoch", last_epoch, low=-1)
        self.step()

    def get_lr(self) -> list[float]:
        """The learning rate of each group at `last_epoch` (subclasses implement it)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch (one batch for OneCycleLR) and set the new rates."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr

    def get_last_lr(self) -> list[float]:
        """The rates the last `step()` set."""
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """lr = base * gamma ** (epoch // step_size) (PyTorch's StepLR)."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size = check.integer("StepLR", "step_size", step_size, low=1)
        self.gamma = check.finite("StepLR", "gamma", gamma, low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """base * gamma ** (epoch // step_size)."""
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


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
        """base * gamma ** bisect_right(milestones, epoch)."""
        passed = bisect_right(self.milestones, self.last_epoch)
        return [base * self.gamma**passed for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = base * gamma ** epoch (PyTorch's ExponentialLR)."""

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1):
        self.gamma = check.finite("ExponentialLR", "gamma", gamma, low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """base * gamma ** epoch."""
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base - eta_min) * (1 + cos(pi * epoch / T_max)) / 2 (PyTorch's
    CosineAnnealingLR; past T_max the cosine goes on, back up, as PyTorch's does)."""

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):  # noqa: N803
        self.T_max = check.integer("CosineAnnealingLR", "T_max", T_max, low=1)
        self.eta_min = check.finite("CosineAnnealingLR", "eta_min", eta_min, low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """eta_min + (base - eta_min) * (1 + cos(pi * epoch / T_max)) / 2."""
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]


class OneCycleLR(LRScheduler):
    """The one-cycle policy (Smith & Topin), PyTorch's OneCycleLR: call `step()` after every batch.
    lr rises from max_lr / div_factor to max_lr over the first pct_start of total_steps, then
    falls to max_lr / (div_factor * final_div_factor); with cycle_momentum the momentum (SGD) or
    beta1 (Adam) moves the opposite way between max_momentum and base_momentum."""

    def __init__(self, optimizer: Any, max_lr: float, total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos", div_factor: float = 25.0,
                 final_div_factor: float = 1e4, cycle_momentum: bool = True,
                 base_momentum: float = 0.85, max_momentum: float = 0.95,
                 last_epoch: int = -1):  # fmt: skip
        owner = "OneCycleLR"
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            total_steps = check.integer(owner, "epochs", epochs, low=1) * check.integer(
                owner, "steps_per_epoch", steps_per_epoch, low=1
            )
        self.total_steps = check.integer(owner, "total_steps", total_steps, low=2)
        max_lr = check.finite(owner, "max_lr", max_lr, low=0.0)
        pct_start = check.number(owner, "pct_start", pct_start, 0.0, 1.0, low_open=True)
        self.anneal = check.choice(owner, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        div_factor = check.finite(owner, "div_factor", div_factor, low=0.0, low_open=True)
        final_div = check.finite(owner, "final_div_factor", final_div_factor, low=0.0,
                                 low_open=True)  # fmt: skip
        self.cycle_momentum = check.boolean(owner, "cycle_momentum", cycle_momentum)
        initial = max_lr / div_factor
        self.phases = [  # (last step of the phase, start lr, end lr, start momentum, end ...)
            (pct_start * self.total_steps - 1, initial, max_lr, max_momentum, base_momentum),
            (self.total_steps - 1, max_lr, initial / final_div, base_momentum, max_momentum),
        ]
        for group in optimizer.param_groups:
            group["initial_lr"], group["max_lr"] = initial, max_lr
            if self.cycle_momentum:
                if "betas" not in group and "momentum" not in group:
                    raise ValueError("OneCycleLR: cycle_momentum needs an optimizer with momentum "
                                     "or betas (pass cycle_momentum=False)")  # fmt: skip
                self._set_momentum(group, max_momentum)
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _set_momentum(group: dict[str, Any], value: float) -> None:
        if "betas" in group:
            group["betas"] = (value, group["betas"][1])
        else:
            group["momentum"] = value

    def _interpolate(self, start: float, end: float, fraction: float) -> float:
        if self.anneal == "cos":
            return end + (start - end) / 2 * (math.cos(math.pi * fraction) + 1)
        return (end - start) * fraction + start

    def get_lr(self) -> list[float]:
        """The rate of the current phase at this step (and the momentum, set as a side effect)."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {step} times, more than total_steps "
                             f"{self.total_steps}")  # fmt: skip
        start_step = 0.0
        for end_step, lr0, lr1, m0, m1 in self.phases:
            if step <= end_step or end_step == self.phases[-1][0]:
                fraction = (step - start_step) / (end_step - start_step)
                lr, momentum = (
                    self._interpolate(lr0, lr1, fraction),
                    self._interpolate(m0, m1, fraction),
                )
                break
            start_step = end_step
        if self.cycle_momentum:
            for group in self.optimizer.param_groups:
                self._set_momentum(group, momentum)
        return [lr for _ in self.optimizer.param_groups]


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

    def get_last_lr(self) -> list[float]:
        """The groups' current rates."""
        return [group["lr"] for group in self.optimizer.param_groups]
