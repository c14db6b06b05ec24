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
from . import validate as check
from .device import check_device, to_device
from .nn import BatchNorm1d, Module
from .optim import Optimizer
from .reg import Penalty, penalized, sparsity
from .serialization import check_writable, save
from .tensor import Tensor, no_grad, tensor


class TrainingError(RuntimeError):
    """Training cannot go on (a NaN or Inf loss); the best weights so far have been kept."""


# --------------------------------------------------------------------------- data
def _rows(owner: str, name: str, value: Any) -> np.ndarray:
    """An array with a first (sample) axis, from an array, a list or a Tensor."""
    array = np.asarray(check.unwrap(value))
    if array.ndim == 0:
        raise ValueError(f"{owner}: {name} must have one row per sample, got a scalar")
    return array


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
        X, y = _rows("DataLoader", "X", X), _rows("DataLoader", "y", y)
        if len(X) != len(y):
            raise ValueError(f"DataLoader: X has {len(X)} rows but y has {len(y)}")
        self.X, self.y = X, y
        self.batch_size = check.integer("DataLoader", "batch_size", batch_size, low=1)
        self.shuffle = check.boolean("DataLoader", "shuffle", shuffle)
        self.drop_last = check.boolean("DataLoader", "drop_last", drop_last)
        if seed is not None:
            seed = check.integer("DataLoader", "seed", seed, low=0)
        else:
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
        self.mode = _resolve_mode(mode, monitor)
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
        self.mode = _resolve_mode(mode, monitor)
        self.save_best_only = check.boolean(owner, "save_best_only", save_best_only)
        self.min_delta = abs(check.finite(owner, "min_delta", min_delta))

    def on_train_begin(self, trainer: Trainer) -> None:
        check_writable("ModelCheckpoint", self.path.format(epoch=1))
        self.best = math.inf if self.mode == "min" else -math.inf

    def _improves(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        current = logs.get(self.monitor)
        if self.save_best_only:
            if current is None or not self._improves(current):
                return
            self.best = current
        save(trainer.model, self.path.format(epoch=epoch + 1))


# --------------------------------------------------------------------------- trainer
LOSSES: dict[str, Callable[..., Tensor]] = {
    "cross_entropy": F.cross_entropy,
    "mse": F.mse_loss,
    "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
}


def _run_all(calls: Sequence[Callable[[], None]]) -> None:
    """Run every call even if one raises (so no callback misses the end of training), then
    re-raise the first error."""
    first: BaseException | None = None
    for call in calls:
        try:
            call()
        except Exception as error:  # noqa: PERF203 - each call must run
            first = first or error
    if first is not None:
        raise first


class Trainer:
    """Fits a model: switches train/eval modes, adds the penalty to the loss, augments training
    batches only, records per-epoch logs, runs callbacks, and guards against NaN losses and
    Ctrl-C.

    The trainer keeps, in memory, the weights of the best epoch by `monitor` ("val_loss" when
    there is validation data, else "loss"), whatever the callbacks. A NaN or Inf loss and Ctrl-C
    both end training with those weights put back (the message names the epoch, counted from 1);
    a run that ends normally keeps its last weights unless EarlyStopping(restore_best_weights=
    True) asks otherwise, as in Keras. `best_epoch` (0-based) and `best_weights` stay readable.

    Logged per epoch: `loss` (the data loss, without the penalty, so it compares with
    `val_loss`), `penalty` and `total_loss` = loss + penalty (what the optimizer minimizes; Keras
    logs this one as `loss`), `accuracy`, `lr`, `sparsity`, `epoch_time`, and `val_*`.

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
        monitor: str | None = None,
    ):
        owner = "Trainer"
        check.instance(owner, "model", model, Module, "a tinyreg Module")
        if isinstance(loss, str):
            check.choice(owner, "loss", loss, tuple(sorted(LOSSES)))
            loss = LOSSES[loss]
        elif not callable(loss):
            raise TypeError(f"Trainer: loss must be one of {sorted(LOSSES)} or a callable, got "
                            f"a {type(loss).__name__}")  # fmt: skip
        check.instance(owner, "optimizer", optimizer, Optimizer, "a tinyreg.optim optimizer")
        if penalty is not None:
            check.instance(owner, "penalty", penalty, Penalty, "a tinyreg.reg penalty or None")
        if augment is not None and not callable(augment):
            raise TypeError(f"Trainer: augment must be a transform (a callable on image "
                            f"batches) or None, got a {type(augment).__name__}")  # fmt: skip
        if isinstance(callbacks, Callback) or not isinstance(callbacks, Sequence):
            raise TypeError(f"Trainer: callbacks must be a list of Callback objects, got a "
                            f"{type(callbacks).__name__}")  # fmt: skip
        for i, callback in enumerate(callbacks):
            check.instance(owner, f"callbacks[{i}]", callback, Callback, "a Callback")
        if isinstance(metrics, str):
            raise TypeError(f"Trainer: metrics must be a list of names, got the string "
                            f"{metrics!r}; write ({metrics!r},)")  # fmt: skip
        unknown = set(metrics) - {"accuracy"}
        if unknown:
            raise ValueError(f"Trainer: unknown metrics {sorted(unknown)} (known: accuracy)")
        if monitor is not None:
            check.instance(owner, "monitor", monitor, str, "a metric name or None")
            _resolve_mode("auto", monitor)
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.penalty, self.augment = penalty, augment
        self.callbacks, self.metrics = list(callbacks), tuple(metrics)
        self.device = check_device(device)
        self.monitor = monitor
        self.stop_training = False
        self.history = History()
        self.best_weights: dict[str, np.ndarray] | None = None
        self.best_epoch: int | None = None

    # ------------------------------------------------------------------ checks
    def _inputs(self, X: Any, y: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(X, y) checked and converted: float features without NaN/Inf, labels that fit the
        loss and the model's outputs, and a model that accepts X's shape."""
        owner = "Trainer.fit"
        X = check.float_array(owner, f"{name} X", X)
        if X.ndim == 0 or len(X) == 0:
            raise ValueError(f"{owner}: the {name} set is empty (X has shape {X.shape})")
        if self.loss is F.cross_entropy:
            y = check.label_array(owner, f"{name} y", y)
        else:
            y = check.float_array(owner, f"{name} y", y)
        if y.ndim == 0 or len(X) != len(y):
            raise ValueError(f"{owner}: {name} X has {len(X)} rows but y has "
                             f"{len(y) if y.ndim else 'none (a scalar)'}")  # fmt: skip
        with no_grad():
            was_training = self.model.training
            try:
                out = self.model.eval()(tensor(X[:1], device=self.device))
            except ValueError as error:
                raise ValueError(f"{owner}: the {name} set does not fit the model: X has shape "
                                 f"{X.shape}; {error}") from None  # fmt: skip
            finally:
                self.model.train(was_training)
        if self.loss is F.cross_entropy:
            classes = out.shape[-1]
            if y.ndim != 1:
                raise ValueError(f"{owner}: {name} y must be one class index per row, got "
                                 f"shape {y.shape}")  # fmt: skip
            if y.min() < 0 or y.max() >= classes:
                raise ValueError(f"{owner}: {name} labels must lie in [0, {classes}) (the "
                                 f"model has {classes} outputs), got values in [{y.min()}, "
                                 f"{y.max()}]")  # fmt: skip
        return X, y

    def sparsity(self) -> float:
        """Fraction of exactly-zero penalized weights (`reg.sparsity` over the weights the
        penalty covers; Dense weights when there is no penalty)."""
        return sparsity(penalized(self.model, self.penalty.params if self.penalty else None))

    # ------------------------------------------------------------------ best weights
    def _remember_if_best(self, epoch: int, logs: dict[str, float]) -> None:
        """Keep a copy of the weights when the monitored metric improves (lower loss, higher
        accuracy); the first epoch always counts."""
        value = logs.get(self._monitor)
        if value is None or not math.isfinite(value):
            return
        better = value > self._best if self._mode == "max" else value < self._best
        if better or self.best_epoch is None:
            self._best, self.best_epoch = value, epoch
            self.best_weights = self.model.state_dict()

    def _restore_best(self, reason: str) -> str:
        """Put the best weights back; a sentence saying which ones the model now holds."""
        if self.best_weights is None:
            return f"{reason}; no epoch finished, so the model keeps the weights it had before fit"
        self.model.load_state_dict(self.best_weights)
        return (f"{reason}; the model holds the weights of epoch {self.best_epoch + 1}, the best "
                f"by {self._monitor} ({self._best:.6g})")  # fmt: skip

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
        """Train for up to `epochs` epochs. X: (N, ...) float features (lists, Tensors and
        integer arrays are converted to float32; NaN/Inf refused); y: class indices for
        cross_entropy, else targets; val: an (X, y) pair. verbose: 0 silent, 1 a progress bar
        when writing to a terminal, 2 a progress bar always. Every argument and both data sets
        are checked, and callbacks' files, before the first step."""
        owner = "Trainer.fit"
        epochs = check.integer(owner, "epochs", epochs, low=1)
        batch_size = check.integer(owner, "batch_size", batch_size, low=1)
        shuffle = check.boolean(owner, "shuffle", shuffle)
        if seed is not None:
            seed = check.integer(owner, "seed", seed, low=0)
        verbose = check.integer(owner, "verbose", verbose, 0, 2)
        if val is not None and (not isinstance(val, tuple | list) or len(val) != 2):
            raise TypeError(f"{owner}: val must be a pair (X_val, y_val) or None, got "
                            f"{check.describe(val)}")  # fmt: skip
        self.model.to(self.device)
        X, y = self._inputs(X, y, "training")
        if val is not None:
            val = self._inputs(*val, "validation")
        self._monitor = self.monitor or ("val_loss" if val is not None else "loss")
        if self._monitor.startswith("val_") and val is None:
            raise ValueError(f"{owner}: monitor={self._monitor!r} needs validation data (val=)")
        self._mode = _resolve_mode("auto", self._monitor)
        self._best, self.best_epoch, self.best_weights = math.nan, None, None
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
                self._remember_if_best(epoch, logs)
                for callback in self.callbacks:  # all see every epoch, even after a stop request
                    callback.on_epoch_end(self, epoch, logs)
                if self.stop_training:
                    break
        except TrainingError as error:
            raise TrainingError(self._restore_best(str(error))) from None
        except KeyboardInterrupt:
            self.history.interrupted = True
            message = self._restore_best("training interrupted")
            print(f"\ntinyreg: {message}; the history so far is kept", file=sys.stderr)
        finally:
            self.model.eval()
            _run_all([lambda c=c: c.on_train_end(self) for c in self.callbacks])
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
                    f"the loss became {value} at epoch {epoch + 1}, batch {index + 1} (try a "
                    "smaller learning rate); training stopped"
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
            logs["total_loss"] = logs["loss"] + logs["penalty"]
        logs["lr"] = float(self.optimizer.param_groups[0]["lr"])
        logs["sparsity"] = self.sparsity()
        logs["epoch_time"] = time.perf_counter() - start
        return logs

    # ------------------------------------------------------------------ inference
    def predict(self, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """The model's outputs in eval mode, batch by batch."""
        X = check.float_array("Trainer.predict", "X", X, finite_values=False)
        batch_size = check.integer("Trainer.predict", "batch_size", batch_size, low=1)
        if X.ndim == 0 or len(X) == 0:
            raise ValueError(f"Trainer.predict: X is empty (shape {X.shape})")
        self.model.eval()
        with no_grad():
            outs = [to_device(self.model(tensor(X[i : i + batch_size], device=self.device)).data,
                              "cpu") for i in range(0, len(X), batch_size)]  # fmt: skip
        return np.concatenate(outs)

    def evaluate(self, X: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> dict[str, float]:
        """{"loss": ..., "accuracy": ...} in eval mode (no dropout, running BatchNorm stats)."""
        y = np.asarray(getattr(y, "data", y))
        if y.ndim == 0 or len(y) != len(X):
            raise ValueError(f"Trainer.evaluate: X has {len(X)} rows but y has shape {y.shape}")
        out = self.predict(X, batch_size)
        with no_grad():
            result = {"loss": self.loss(tensor(out), y).item()}
        if "accuracy" in self.metrics:
            result["accuracy"] = float((out.argmax(axis=-1) == y).mean())
        return result
