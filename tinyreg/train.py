"""Training: DataLoader, Trainer, Keras-style callbacks (EarlyStopping, ModelCheckpoint), History.

Callbacks follow Keras's protocol with the trainer passed in: `on_train_begin(trainer)`,
`on_epoch_begin(trainer, epoch)`, `on_epoch_end(trainer, epoch, logs)`, `on_train_end(trainer)`.
A callback stops training by setting `trainer.stop_training = True`. Epochs count from 0.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import functional as F
from . import random as _random
from .device import check_device, to_device
from .nn import BatchNorm1d, Module
from .optim import Optimizer
from .reg import Penalty
from .serialization import save
from .tensor import Tensor, no_grad, tensor


class TrainingError(RuntimeError):
    """Training cannot go on (a NaN or Inf loss); the best weights so far have been kept."""


# --------------------------------------------------------------------------- data
class DataLoader:
    """Mini-batches of (X, y) NumPy arrays, reshuffled every epoch by a seeded generator."""

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        batch_size: int = 32,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int | None = None,
    ):
        if len(X) != len(y):
            raise ValueError(f"DataLoader: X has {len(X)} rows but y has {len(y)}")
        if not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be an integer >= 1, got {batch_size!r}")
        self.X, self.y = X, y
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), shuffle, drop_last
        if seed is None:
            seed = int(_random.generator().integers(2**63))
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        full, rest = divmod(len(self.X), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    @property
    def last_batch_size(self) -> int:
        rest = len(self.X) % self.batch_size
        return self.batch_size if rest == 0 or self.drop_last else rest

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.X)
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            if self.drop_last and len(idx) < self.batch_size:
                return
            yield self.X[idx], self.y[idx]


# --------------------------------------------------------------------------- history
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
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def to_csv(self, path: str | os.PathLike) -> None:
        keys = list(self.history)
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["epoch", *keys])
            for row, epoch in enumerate(self.epoch):
                writer.writerow([epoch, *(self.history[k][row] for k in keys)])

    def to_json(self, path: str | os.PathLike) -> None:
        with open(path, "w") as f:
            json.dump({"epoch": self.epoch, "history": self.history,
                       "stopped_epoch": self.stopped_epoch, "best_epoch": self.best_epoch,
                       "interrupted": self.interrupted}, f, indent=1)  # fmt: skip


# --------------------------------------------------------------------------- callbacks
class Callback:
    """Base class: override the hooks you need."""

    def on_train_begin(self, trainer: Trainer) -> None: ...

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None: ...

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None: ...

    def on_train_end(self, trainer: Trainer) -> None: ...


def _resolve_mode(mode: str, monitor: str) -> str:
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
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
        if patience < 0 or start_from_epoch < 0:
            raise ValueError(f"EarlyStopping: patience and start_from_epoch must be >= 0, got "
                             f"{patience}, {start_from_epoch}")  # fmt: skip
        self.monitor, self.mode = monitor, _resolve_mode(mode, monitor)
        self.patience, self.min_delta = patience, abs(min_delta)
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        self.baseline, self.verbose = baseline, verbose
        self._reset()

    def _reset(self) -> None:
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_weights: dict[str, np.ndarray] | None = None

    def _improves(self, value: float, reference: float) -> bool:
        if self.mode == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def on_train_begin(self, trainer: Trainer) -> None:
        self._reset()

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
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
        if self._improves(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = trainer.model.state_dict()
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            trainer.stop_training = True

    def on_train_end(self, trainer: Trainer) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            trainer.model.load_state_dict(self.best_weights)
            if self.verbose:
                print(f"EarlyStopping: restored the weights of epoch {self.best_epoch}")
        trainer.history.stopped_epoch = self.stopped_epoch
        trainer.history.best_epoch = self.best_epoch


class ModelCheckpoint(Callback):
    """Save the model (an .npz via `tinyreg.save`, atomically) after each epoch, or only when
    `monitor` improves with `save_best_only`. `path` may contain `{epoch}`."""

    def __init__(self, path: str | os.PathLike, monitor: str = "val_loss", mode: str = "auto",
                 save_best_only: bool = True):  # fmt: skip
        self.path, self.monitor = os.fspath(path), monitor
        self.mode, self.save_best_only = _resolve_mode(mode, monitor), save_best_only

    def on_train_begin(self, trainer: Trainer) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        current = logs.get(self.monitor)
        if self.save_best_only:
            if current is None or not (current < self.best if self.mode == "min"
                                       else current > self.best):  # fmt: skip
                return
            self.best = current
        save(trainer.model, self.path.format(epoch=epoch))


# --------------------------------------------------------------------------- trainer
LOSSES: dict[str, Callable[..., Tensor]] = {
    "cross_entropy": F.cross_entropy,
    "mse": F.mse_loss,
    "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
}


class Trainer:
    """Fits a model: switches train/eval modes, adds the penalty to the loss, augments training
    batches only, records per-epoch logs, runs callbacks, and guards against NaN losses and
    Ctrl-C (both end training with the best weights kept).

    device="cuda" keeps the model on the GPU and copies each batch there once (augmentation runs
    on the host batch before the copy); build the optimizer on a model already moved with
    `model.to("cuda")`, since moving replaces the parameters' arrays."""

    def __init__(
        self,
        model: Module,
        loss: str | Callable[..., Tensor],
        optimizer: Optimizer,
        penalty: Penalty | None = None,
        augment: Callable[[np.ndarray], np.ndarray] | None = None,
        callbacks: Sequence[Callback] = (),
        metrics: Sequence[str] = ("accuracy",),
        device: str = "cpu",
    ):
        if isinstance(loss, str):
            if loss not in LOSSES:
                raise ValueError(f"Trainer: loss must be one of {sorted(LOSSES)} or a callable, "
                                 f"got {loss!r}")  # fmt: skip
            loss = LOSSES[loss]
        unknown = set(metrics) - {"accuracy"}
        if unknown:
            raise ValueError(f"Trainer: unknown metrics {sorted(unknown)} (known: accuracy)")
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.penalty, self.augment = penalty, augment
        self.callbacks, self.metrics = list(callbacks), tuple(metrics)
        self.device = check_device(device)
        self.stop_training = False
        self.history = History()

    # ------------------------------------------------------------------ checks
    def _check(self, X: np.ndarray, y: np.ndarray, name: str) -> None:
        if len(X) == 0:
            raise ValueError(f"Trainer: the {name} set is empty")
        if len(X) != len(y):
            raise ValueError(f"Trainer: {name} X has {len(X)} rows but y has {len(y)}")
        if self.loss is F.cross_entropy:
            y = np.asarray(y)
            if y.dtype.kind not in "iu":
                raise ValueError(f"Trainer: {name} labels must be integers, got dtype {y.dtype}")
            with no_grad():
                was_training = self.model.training
                classes = self.model.eval()(tensor(X[:1], device=self.device)).shape[-1]
                self.model.train(was_training)
            if y.min() < 0 or y.max() >= classes:
                raise ValueError(f"Trainer: {name} labels must lie in [0, {classes}), got values "
                                 f"in [{y.min()}, {y.max()}]")  # fmt: skip

    def _penalized(self) -> list[Tensor]:
        if self.penalty is not None:
            return self.penalty.selected(self.model)
        return [p for p in self.model.parameters() if p.regularize]

    def sparsity(self) -> float:
        """Fraction of exactly-zero penalized weights (Dense weights when there is no penalty)."""
        params = self._penalized()
        total = sum(p.size for p in params)
        return sum(int(np.count_nonzero(p.data == 0)) for p in params) / total if total else 0.0

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        val: tuple[np.ndarray, np.ndarray] | None = None,
        epochs: int = 10,
        batch_size: int = 32,
        shuffle: bool = True,
        seed: int | None = None,
        verbose: int = 1,
    ) -> History:
        """Train for up to `epochs` epochs. verbose: 0 silent, 1 a progress bar when writing to a
        terminal, 2 a progress bar always."""
        if not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"Trainer.fit: epochs must be an integer >= 1, got {epochs!r}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"Trainer.fit: batch_size must be an integer >= 1, got {batch_size!r}")
        self.model.to(self.device)
        self._check(X, y, "training")
        if val is not None:
            self._check(*val, "validation")
        loader = DataLoader(X, y, batch_size, shuffle, seed=seed)
        skip_single = loader.last_batch_size == 1 and any(
            isinstance(m, BatchNorm1d) for m in self.model.modules()
        )
        if skip_single:
            warnings.warn("Trainer.fit: the last batch of each epoch has one sample, which "
                          "BatchNorm cannot train on; it is skipped (choose another batch_size "
                          "to use it)", stacklevel=2)  # fmt: skip
        show_bar = verbose >= 2 or (verbose == 1 and sys.stderr.isatty())
        from tqdm.auto import tqdm

        self.history, self.stop_training = History(), False
        for callback in self.callbacks:
            callback.on_train_begin(self)
        try:
            for epoch in range(epochs):
                for callback in self.callbacks:
                    callback.on_epoch_begin(self, epoch)
                bar = tqdm(total=len(loader), desc=f"epoch {epoch + 1}/{epochs}",
                           disable=not show_bar)  # fmt: skip
                logs = self._train_epoch(loader, bar, epoch, skip_single)
                if val is not None:
                    logs.update({f"val_{k}": v for k, v in self.evaluate(*val).items()})
                shown = ("loss", "accuracy", "val_loss", "val_accuracy")
                bar.set_postfix({k: f"{logs[k]:.4f}" for k in shown if k in logs})
                bar.close()  # one line per epoch stays on screen, as in Keras
                self.history.append(epoch, logs)
                for callback in self.callbacks:
                    callback.on_epoch_end(self, epoch, logs)
                if self.stop_training:
                    break
        except KeyboardInterrupt:
            self.history.interrupted = True
            print("\ntinyreg: training interrupted; keeping the history so far", file=sys.stderr)
        finally:
            self.model.eval()
            for callback in self.callbacks:
                callback.on_train_end(self)
        return self.history

    def _train_epoch(self, loader: DataLoader, bar: Any, epoch: int,
                     skip_single: bool) -> dict[str, float]:  # fmt: skip
        self.model.train()
        start = time.perf_counter()
        totals = {"loss": 0.0, "penalty": 0.0, "correct": 0, "seen": 0}
        for index, (xb, yb) in enumerate(loader):
            bar.update(1)
            if skip_single and len(xb) == 1:
                continue
            if self.augment is not None:
                xb = self.augment(xb)
            self.optimizer.zero_grad()
            out = self.model(tensor(xb, device=self.device))  # one host-to-device copy
            data_loss = self.loss(out, yb)
            total = data_loss
            if self.penalty is not None:
                penalty = self.penalty(self.model)
                totals["penalty"] += penalty.item() * len(xb)
                total = data_loss + penalty
            value = total.item()
            if not math.isfinite(value):
                raise TrainingError(
                    f"the loss became {value} at epoch {epoch}, batch {index}; training stopped "
                    "(the best weights so far are kept). Try a smaller learning rate."
                )
            total.backward()
            self.optimizer.step()
            totals["loss"] += data_loss.item() * len(xb)
            totals["seen"] += len(xb)
            if "accuracy" in self.metrics:
                predicted = to_device(out.data.argmax(axis=-1), "cpu")
                totals["correct"] += int((predicted == yb).sum())
            bar.set_postfix(loss=f"{value:.4f}", refresh=False)
        seen = max(totals["seen"], 1)
        logs = {"loss": totals["loss"] / seen}
        if "accuracy" in self.metrics:
            logs["accuracy"] = totals["correct"] / seen
        if self.penalty is not None:
            logs["penalty"] = totals["penalty"] / seen
        logs["lr"] = float(self.optimizer.param_groups[0]["lr"])
        logs["sparsity"] = self.sparsity()
        logs["epoch_time"] = time.perf_counter() - start
        return logs

    # ------------------------------------------------------------------ inference
    def predict(self, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """The model's outputs in eval mode, batch by batch."""
        self.model.eval()
        with no_grad():
            outs = [to_device(self.model(tensor(X[i : i + batch_size], device=self.device)).data,
                              "cpu") for i in range(0, len(X), batch_size)]  # fmt: skip
        return np.concatenate(outs)

    def evaluate(self, X: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> dict[str, float]:
        """{"loss": ..., "accuracy": ...} in eval mode (no dropout, running BatchNorm stats)."""
        out = self.predict(X, batch_size)
        with no_grad():
            result = {"loss": self.loss(tensor(out), y).item()}
        if "accuracy" in self.metrics:
            result["accuracy"] = float((out.argmax(axis=-1) == y).mean())
        return result
