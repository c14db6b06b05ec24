"""Keras-style callbacks: Callback, History, EarlyStopping, ModelCheckpoint.

Callbacks follow Keras's protocol with the trainer passed in: `on_train_begin(trainer)`,
`on_epoch_begin(trainer, epoch)`, `on_epoch_end(trainer, epoch, logs)`, `on_train_end(trainer)`.
A callback reaches the model as `trainer.model` and stops training by setting
`trainer.stop_training = True`. Epoch indices in the Python API count from 0, as in Keras;
what a person reads (messages, file names, plots) counts from 1.
"""

from __future__ import annotations

import csv
import json
import math
import os
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import validate as check
from ..serialization import check_writable, save

if TYPE_CHECKING:
    from .trainer import Trainer


class History:
    """Per-epoch logs: `history["val_loss"][epoch]`; `stopped_epoch` and `best_epoch` are set
    by EarlyStopping (None when it did not run)."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None
        self.interrupted = False

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record the logs of `epoch` (0-based)."""
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write one row per epoch (epoch counted from 0, as the Python API) to a CSV file."""
        keys = list(self.history)
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["epoch", *keys])
            for row, epoch in enumerate(self.epoch):
                writer.writerow([epoch, *(self.history[k][row] for k in keys)])

    def to_json(self, path: str | os.PathLike) -> None:
        """Write the history, best and stopped epochs and the interrupted flag as JSON."""
        with open(path, "w") as f:
            json.dump({"epoch": self.epoch, "history": self.history,
                       "stopped_epoch": self.stopped_epoch, "best_epoch": self.best_epoch,
                       "interrupted": self.interrupted}, f, indent=1)  # fmt: skip


class Callback:
    """Base class: override the hooks you need."""

    def on_train_begin(self, trainer: Trainer) -> None:
        """Called once before the first epoch."""

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        """Called before each epoch (0-based index)."""

    def on_batch_end(self, trainer: Trainer, batch: int) -> None:
        """Called after each optimizer step (batch index within the epoch, from 0)."""

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        """Called after each epoch with its logs (loss, val_loss, ...)."""

    def on_train_end(self, trainer: Trainer) -> None:
        """Called once after training, also after an error or Ctrl-C."""


def improves(value: float, reference: float, mode: str, min_delta: float = 0.0) -> bool:
    """Keras's rule, shared by EarlyStopping and ModelCheckpoint: in "min" mode value improves on
    reference when value < reference - min_delta; in "max" mode when value > reference +
    min_delta."""
    if mode == "min":
        return value < reference - min_delta
    return value > reference + min_delta


def resolve_mode(mode: str, monitor: str) -> str:
    """ "min" or "max" for `monitor`: `mode` itself, or guessed from the name for "auto"."""
    check.choice("mode", "mode", mode, ("auto", "min", "max"))
    if mode in ("min", "max"):
        return mode
    name = monitor.removeprefix("val_")
    if name in ("accuracy", "acc"):
        return "max"
    if name in ("loss", "penalty") or name.endswith("loss"):
        return "min"
    raise ValueError(f"mode='auto' cannot tell whether {monitor!r} should go up or down; "
                     "pass mode='min' or mode='max'")  # fmt: skip


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved for `patience` epochs in a row (Keras 3's rule).

    An epoch improves when current < best - min_delta (mode "min"; > best + min_delta in "max").
    Epochs before `start_from_epoch` are not monitored. With `baseline`, the patience counter
    only resets for epochs that also beat the baseline. With `restore_best_weights`, the weights
    of the best epoch are put back at the end of training, whether or not stopping fired.
    After training: `stopped_epoch` (0 if it never fired, as Keras), `best_epoch`, `best`.
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
        self._reset()

    def _reset(self) -> None:
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_weights: dict[str, np.ndarray] | None = None

    def on_train_begin(self, trainer: Trainer) -> None:
        """Reset the counters, so one callback can serve several fits."""
        self._reset()

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        """Apply Keras 3's rule to this epoch's monitored value."""
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"EarlyStopping: {self.monitor!r} is not in the logs "
                          f"({', '.join(logs)})", stacklevel=2)  # fmt: skip
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = trainer.model.state_dict(), epoch
        self.wait += 1
        if improves(current, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = trainer.model.state_dict()
            if self.baseline is None or improves(current, self.baseline, self.mode, self.min_delta):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            trainer.stop_training = True

    def on_train_end(self, trainer: Trainer) -> None:
        """Restore the best weights (if asked) and report the epochs in the history."""
        if self.restore_best_weights and self.best_weights is not None:
            trainer.model.load_state_dict(self.best_weights)
            if self.verbose:
                print(f"EarlyStopping: restored the weights of epoch {self.best_epoch + 1}")
        trainer.history.stopped_epoch = self.stopped_epoch
        trainer.history.best_epoch = self.best_epoch


class ModelCheckpoint(Callback):
    """Save the model (an .npz via `tinyreg.save`, atomically) after each epoch, or only when
    `monitor` improves (by more than `min_delta`, as EarlyStopping) with `save_best_only`.
    `path` may contain `{epoch}` (counted from 1, as Keras's file names). The path's template and
    its folder's writability are checked before training starts."""

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

    def on_train_begin(self, trainer: Trainer) -> None:
        """Check that the file can be written, before training starts."""
        check_writable("ModelCheckpoint", self.path.format(epoch=1))
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        """Save the model if it improved (or always without save_best_only)."""
        current = logs.get(self.monitor)
        if self.save_best_only:
            if current is None or not improves(current, self.best, self.mode, self.min_delta):
                return
            self.best = current
        save(trainer.model, self.path.format(epoch=epoch + 1))


class LRSchedulerCallback(Callback):
    """Steps a learning-rate scheduler inside `Trainer.fit`: after every epoch (interval="epoch",
    for StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR), after every batch
    (interval="batch", for OneCycleLR), or with the epoch's `monitor` value for
    ReduceLROnPlateau. The logged `lr` is the first group's rate during the epoch."""

    def __init__(self, scheduler: Any, interval: str = "epoch", monitor: str = "val_loss"):
        if not hasattr(scheduler, "step"):
            raise TypeError(f"LRSchedulerCallback: scheduler must be an optim.lr_scheduler "
                            f"scheduler, got a {type(scheduler).__name__}")  # fmt: skip
        self.scheduler = scheduler
        self.interval = check.choice("LRSchedulerCallback", "interval", interval,
                                     ("epoch", "batch"))  # fmt: skip
        self.monitor = check.instance("LRSchedulerCallback", "monitor", monitor, str, "a str")
        self._plateau = type(scheduler).__name__ == "ReduceLROnPlateau"
        if self._plateau and self.interval == "batch":
            raise ValueError("LRSchedulerCallback: ReduceLROnPlateau steps once per epoch")

    def on_batch_end(self, trainer: Trainer, batch: int) -> None:
        """Step a per-batch schedule."""
        if self.interval == "batch":
            self.scheduler.step()

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
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
