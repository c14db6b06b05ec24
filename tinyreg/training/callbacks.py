"""Keras-style callbacks for `tinyreg.training.Trainer`: Callback (the protocol), EarlyStopping,
ModelCheckpoint, LRSchedulerCallback.

The protocol. A callback is a `Callback` subclass overriding any of these hooks, which the
trainer calls with itself as the first argument, in the order of its `callbacks` list:

    on_train_begin(trainer)                once, before the first epoch
    on_epoch_begin(trainer, epoch)         before each epoch
    on_batch_end(trainer, batch)           after each optimizer step
    on_epoch_end(trainer, epoch, logs)     after each epoch, with its logs (every callback sees
                                           every epoch, even after one asked to stop)
    on_train_end(trainer)                  once, also after an error or Ctrl-C (every callback's
                                           runs even if one raises)

What a callback may use of the trainer is `TrainerLike`: read and change `trainer.model` and
`trainer.optimizer` (its param_groups' lr), read `trainer.history`, set `trainer.stop_training =
True` to end training after this epoch, and call `trainer.snapshot()` for a copy of the weights.
`logs` may be read and written (a later callback sees the change). Epoch indices in the Python
API count from 0, as in Keras; what a person reads (messages, file names, plots) counts from 1.

"Improves" is the rule of `tinyreg.utils.best` (Keras's min_delta), the one the Trainer and
ReduceLROnPlateau use too. This module does not import the trainer: `TrainerLike` describes it.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .. import validate as check
from ..optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from ..serialization import check_writable, save
from ..utils.best import Best, resolve_mode
from .history import History

if TYPE_CHECKING:
    from ..nn import Module
    from ..optim import Optimizer

__all__ = ["Callback", "EarlyStopping", "History", "LRSchedulerCallback", "ModelCheckpoint",
           "TrainerLike"]  # fmt: skip


class TrainerLike(Protocol):
    """What callbacks use of the trainer that calls them; `tinyreg.training.Trainer` is one.

    model: the model being fitted (read it, change its weights, load a state dict).
    optimizer: its optimizer (e.g. set `param_groups[i]["lr"]`).
    history: the `History` of this fit, filled epoch by epoch.
    stop_training: set it to True to end training after the current epoch."""

    model: Module
    optimizer: Optimizer
    history: History
    stop_training: bool

    def snapshot(self) -> dict[str, np.ndarray]:
        """A copy of the model's weights as they are now (a `model.state_dict()`); a copy taken
        earlier in this epoch is handed out again while the weights are unchanged, so that the
        trainer and EarlyStopping keep one copy of an improving epoch's weights between them."""
        ...


class Callback:
    """Base class: override the hooks you need (the module docstring has the protocol)."""

    def on_train_begin(self, trainer: TrainerLike) -> None:
        """Called once before the first epoch."""

    def on_epoch_begin(self, trainer: TrainerLike, epoch: int) -> None:
        """Called before each epoch (0-based index)."""

    def on_batch_end(self, trainer: TrainerLike, batch: int) -> None:
        """Called after each optimizer step (batch index within the epoch, from 0)."""

    def on_epoch_end(self, trainer: TrainerLike, epoch: int, logs: dict[str, float]) -> None:
        """Called after each epoch with its logs (loss, val_loss, ...)."""

    def on_train_end(self, trainer: TrainerLike) -> None:
        """Called once after training, also after an error or Ctrl-C."""


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved for `patience` epochs in a row (Keras 3's rule).

    An epoch improves when current < best - min_delta (mode "min"; > best + min_delta in "max"),
    the rule of `tinyreg.utils.best`. Epochs before `start_from_epoch` are not monitored. With
    `baseline`, the patience counter only resets for epochs that also beat the baseline. With
    `restore_best_weights`, the weights of the best epoch are put back at the end of training,
    whether or not stopping fired (they are taken through `trainer.snapshot()`, which shares
    the trainer's own copy of the same epoch). After training: `stopped_epoch` (0 if it never
    fired, as Keras), `best_epoch`, `best`, `best_weights`.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        patience: int = 0,
        min_delta: float = 0.0,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
        baseline: float | None = None,
        verbose: int = 0,
    ):
        owner = "EarlyStopping"
        self.monitor = check.instance(owner, "monitor", monitor, str, "a metric name (str)")
        self.mode = resolve_mode(mode, monitor)
        self.patience = check.integer(owner, "patience", patience, low=0)
        self.min_delta = abs(check.finite(owner, "min_delta", min_delta))
        self.restore_best_weights = check.boolean(owner, "restore_best_weights",
                                                  restore_best_weights)  # fmt: skip
        self.start_from_epoch = check.integer(owner, "start_from_epoch", start_from_epoch, low=0)
        self.baseline = None if baseline is None else check.finite(owner, "baseline", baseline)
        self.verbose = check.integer(owner, "verbose", verbose, 0, 2)
        self._best = Best(self.mode, self.min_delta)
        self._reset()

    def _reset(self) -> None:
        self.wait, self.stopped_epoch = 0, 0
        self._best.reset()

    @property
    def best(self) -> float:
        """The best monitored value so far (inf / -inf before the first improvement)."""
        return self._best.value

    @property
    def best_epoch(self) -> int:
        """The epoch (0-based) of `best`, or of `best_weights` before the first improvement; 0
        before any epoch was monitored (Keras's value)."""
        return 0 if self._best.epoch is None else self._best.epoch

    @property
    def best_weights(self) -> dict[str, np.ndarray] | None:
        """The weights of `best_epoch` (with restore_best_weights), else None."""
        return self._best.weights

    def on_train_begin(self, trainer: TrainerLike) -> None:
        """Reset the counters, so one callback can serve several fits."""
        self._reset()
        self._best.copy_weights = trainer.snapshot if self.restore_best_weights else None

    def on_epoch_end(self, trainer: TrainerLike, epoch: int, logs: dict[str, float]) -> None:
        """Apply Keras 3's rule to this epoch's monitored value."""
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"EarlyStopping: {self.monitor!r} is not in the logs "
                          f"({', '.join(logs)})", stacklevel=2)  # fmt: skip
            return
        if epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._best.update(current, epoch):  # copies the weights once (restore_best_weights)
            if self.baseline is None or self._best.improves(current, self.baseline):
                self.wait = 0
            return
        if self.restore_best_weights and self._best.weights is None:
            # Keras keeps the first monitored epoch's weights even when it does not improve
            self._best.weights, self._best.epoch = trainer.snapshot(), epoch
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            trainer.stop_training = True

    def on_train_end(self, trainer: TrainerLike) -> None:
        """Restore the best weights (if asked, and training was not interrupted by Ctrl-C or a
        NaN loss: then the trainer puts back its own best weights) and report the epochs in the
        history."""
        ended = not (trainer.history.interrupted or getattr(trainer.history, "failed", False))
        if self.restore_best_weights and self.best_weights is not None and ended:
            trainer.model.load_state_dict(self.best_weights)
            if self.verbose:
                print(f"EarlyStopping: restored the weights of epoch {self.best_epoch + 1}")
        trainer.history.stopped_epoch = self.stopped_epoch
        trainer.history.best_epoch = self.best_epoch


class ModelCheckpoint(Callback):
    """Save the model (an .npz via `tinyreg.save`, atomically) after each epoch, or only when
    `monitor` improves (by more than `min_delta`, as EarlyStopping) with `save_best_only`.
    `path` may contain `{epoch}` (counted from 1, as Keras's file names). The path's template and
    its folder's writability are checked before training starts, and so is the monitor: with
    save_best_only, a metric the fit will not log (val_loss without validation data) makes
    `Trainer.fit` raise a ValueError before the first epoch (Keras only warns "Can save best
    model only with val_loss available" at every epoch and writes nothing). `best` and
    `best_epoch` are those of the last save (save_best_only)."""

    def __init__(self, path: str | os.PathLike, monitor: str = "val_loss", mode: str = "auto",
                 save_best_only: bool = True, min_delta: float = 0.0):  # fmt: skip
        owner = "ModelCheckpoint"
        check.instance(owner, "path", path, str | os.PathLike, "a file path (str or PathLike)")
        self.path = os.fspath(path)
        try:
            self.path.format(epoch=1)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(f"{owner}: path {self.path!r} has a placeholder other than "
                             f"{{epoch}} ({type(error).__name__}: {error})") from None  # fmt: skip
        self.monitor = check.instance(owner, "monitor", monitor, str, "a metric name (str)")
        self.mode = resolve_mode(mode, monitor)
        self.save_best_only = check.boolean(owner, "save_best_only", save_best_only)
        self.min_delta = abs(check.finite(owner, "min_delta", min_delta))
        self._best = Best(self.mode, self.min_delta)

    @property
    def best(self) -> float:
        """The best monitored value so far (inf / -inf before the first save)."""
        return self._best.value

    @property
    def best_epoch(self) -> int | None:
        """The epoch (0-based) of `best`, None before the first save."""
        return self._best.epoch

    def on_train_begin(self, trainer: TrainerLike) -> None:
        """Check that the file can be written, before training starts."""
        check_writable("ModelCheckpoint", self.path.format(epoch=1))
        self._best.reset()

    def on_epoch_end(self, trainer: TrainerLike, epoch: int, logs: dict[str, float]) -> None:
        """Save the model if it improved (or always without save_best_only)."""
        current = logs.get(self.monitor)
        if self.save_best_only and (current is None or not self._best.update(current, epoch)):
            return
        save(trainer.model, self.path.format(epoch=epoch + 1))


class LRSchedulerCallback(Callback):
    """Steps a learning-rate scheduler inside `Trainer.fit`: after every epoch (interval="epoch",
    for StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR), after every batch
    (interval="batch", for OneCycleLR), or with the epoch's `monitor` value for
    ReduceLROnPlateau. The logged `lr` is the first group's rate during the epoch. The scheduler
    must be an `optim.lr_scheduler` one (an optimizer, which has `step` too, is a TypeError);
    `Trainer.fit` refuses, before training, a ReduceLROnPlateau monitor it will not log."""

    def __init__(self, scheduler: Any, interval: str = "epoch", monitor: str = "val_loss"):
        if not isinstance(scheduler, LRScheduler | ReduceLROnPlateau):  # an optimizer has step too
            raise TypeError(f"LRSchedulerCallback: scheduler must be an optim.lr_scheduler "
                            f"scheduler (StepLR, OneCycleLR, ReduceLROnPlateau, ...), got "
                            f"{check.describe(scheduler)}")  # fmt: skip
        self.scheduler = scheduler
        self.interval = check.choice("LRSchedulerCallback", "interval", interval,
                                     ("epoch", "batch"))  # fmt: skip
        self.monitor = check.instance("LRSchedulerCallback", "monitor", monitor, str, "a str")
        self._plateau = isinstance(scheduler, ReduceLROnPlateau)
        if self._plateau and self.interval == "batch":
            raise ValueError("LRSchedulerCallback: ReduceLROnPlateau steps once per epoch")

    def on_batch_end(self, trainer: TrainerLike, batch: int) -> None:
        """Step a per-batch schedule."""
        if self.interval == "batch":
            self.scheduler.step()

    def on_epoch_end(self, trainer: TrainerLike, epoch: int, logs: dict[str, float]) -> None:
        """Step a per-epoch schedule (with the monitored value for ReduceLROnPlateau)."""
        if self.interval != "epoch":
            return
        if self._plateau:
            if self.monitor not in logs:
                raise ValueError(f"LRSchedulerCallback: {self.monitor!r} is not in the logs "
                                 f"({', '.join(logs)})")  # fmt: skip
            self.scheduler.step(logs[self.monitor])
        else:
            self.scheduler.step()
