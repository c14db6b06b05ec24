"""The one rule for "the best value so far", shared by the Trainer (its in-memory best weights),
EarlyStopping, ModelCheckpoint(save_best_only=True) and optim.lr_scheduler.ReduceLROnPlateau.

A value improves on the best so far when, with d = min_delta (PyTorch's `threshold`):

    mode "min", threshold_mode "abs":   value < best - d
    mode "min", threshold_mode "rel":   value < best * (1 - d)
    mode "max", threshold_mode "abs":   value > best + d
    mode "max", threshold_mode "rel":   value > best * (1 + d)

Keras's min_delta is the "abs" case (EarlyStopping and ModelCheckpoint; the Trainer uses d = 0);
ReduceLROnPlateau uses both, as PyTorch's does (its default is "rel", d = 1e-4). The best starts
at +inf in "min" mode and -inf in "max" mode, so the first number improves unless it is NaN or
that same infinity; NaN never improves (every comparison with NaN is false). `resolve_mode`
turns mode="auto" into "min" or "max" from the metric's name.

`Best` keeps the best value, its epoch and, if given a way to take them (e.g.
`model.state_dict`), a copy of the weights of that epoch: one copy per improving epoch, none for
the others. This module imports nothing of tinyreg.training or tinyreg.optim (both use it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import validate as check

__all__ = ["Best", "improves", "resolve_mode"]

MODES = ("min", "max")
THRESHOLD_MODES = ("abs", "rel")


def resolve_mode(mode: str, monitor: str) -> str:
    """ "min" or "max" for `monitor`: `mode` itself, or guessed from the name for "auto"
    ("min" for loss, penalty and names ending in "loss", "max" for accuracy/acc, with or without
    "val_"); a ValueError when "auto" cannot tell."""
    check.choice("mode", "mode", mode, ("auto", *MODES))
    if mode in MODES:
        return mode
    name = monitor.removeprefix("val_")
    if name in ("accuracy", "acc"):
        return "max"
    if name in ("loss", "penalty") or name.endswith("loss"):
        return "min"
    raise ValueError(f"mode='auto' cannot tell whether {monitor!r} should go up or down; "
                     "pass mode='min' or mode='max'")  # fmt: skip


def improves(
    value: float, best: float, mode: str, min_delta: float = 0.0, threshold_mode: str = "abs"
) -> bool:
    """Whether `value` improves on `best` (the module docstring's formula): "min" mode,
    value < best - min_delta ("abs") or value < best * (1 - min_delta) ("rel"); "max" mirrors it.
    False for a NaN value."""
    if mode == "min":
        if threshold_mode == "rel":
            return value < best * (1 - min_delta)
        return value < best - min_delta
    if threshold_mode == "rel":
        return value > best * (1 + min_delta)
    return value > best + min_delta


class Best:
    """The best value so far of one metric, by one rule, and the epoch (and optionally the
    weights) it came from.

    mode: "min" or "max"; min_delta >= 0 and threshold_mode ("abs" or "rel") as in `improves`.
    copy_weights: a callable returning a copy of the weights (e.g. `model.state_dict`); `update`
    calls it once per improvement and keeps the result in `weights`. Attributes: `value`
    (+inf / -inf before the first improvement), `epoch` and `weights` (None before it)."""

    def __init__(
        self,
        mode: str = "min",
        min_delta: float = 0.0,
        threshold_mode: str = "abs",
        copy_weights: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.mode = check.choice("Best", "mode", mode, MODES)
        self.min_delta = check.finite("Best", "min_delta", min_delta, low=0.0)
        self.threshold_mode = check.choice("Best", "threshold_mode", threshold_mode,
                                           THRESHOLD_MODES)  # fmt: skip
        if copy_weights is not None and not callable(copy_weights):
            raise TypeError(f"Best: copy_weights must be a callable returning a copy of the "
                            f"weights (e.g. model.state_dict) or None, got "
                            f"{check.describe(copy_weights)}")  # fmt: skip
        self.copy_weights = copy_weights
        self.reset()

    def reset(self) -> None:
        """Forget the best so far (a new fit): value back to the worst, no epoch, no weights."""
        self.value = math.inf if self.mode == "min" else -math.inf
        self.epoch: int | None = None
        self.weights: dict[str, Any] | None = None

    def improves(self, value: float, reference: float | None = None) -> bool:
        """Whether `value` improves on the best so far (or on `reference`, e.g. a baseline, by the
        same rule); changes nothing."""
        best = self.value if reference is None else reference
        return improves(value, best, self.mode, self.min_delta, self.threshold_mode)

    def update(self, value: float, epoch: int) -> bool:
        """Record `value` of `epoch`: if it improves, it becomes the best, `epoch` the best epoch,
        and the weights are copied (once). Returns whether it improved."""
        if not self.improves(value):
            return False
        self.value, self.epoch = value, epoch
        if self.copy_weights is not None:
            self.weights = self.copy_weights()
        return True

    def __repr__(self) -> str:
        return (f"Best(mode={self.mode!r}, min_delta={self.min_delta}, threshold_mode="
                f"{self.threshold_mode!r}, value={self.value}, epoch={self.epoch})")  # fmt: skip
