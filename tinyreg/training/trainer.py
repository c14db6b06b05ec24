"""Training: the Trainer loop.

`Trainer.fit` runs epochs of mini-batches of its arrays (rows in the order of `utils.data`'s
samplers), adds the penalty, augments the training batches, logs per-epoch metrics into a
`training.history.History`, runs the callbacks of `tinyreg.training.callbacks` (their protocol
is documented there), and keeps the best weights by the rule of `tinyreg.utils.best`. Everything
is importable from `tinyreg.training` (`from tinyreg.training import Trainer, EarlyStopping`).
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import random as _random
from .. import validate as check
from .._tensor import Tensor
from ..autograd import no_grad
from ..creation import tensor
from ..device import check_device, to_device
from ..nn import BatchNorm1d, Module
from ..nn import functional as F
from ..nn.utils import clip_grad_norm_
from ..optim import Optimizer
from ..optim.lr_scheduler import ReduceLROnPlateau
from ..optim.swa_utils import AveragedModel
from ..reg import Regularizer, penalized, sparsity
from ..utils.best import Best, resolve_mode
from ..utils.data import BatchSampler, RandomSampler, SequentialSampler
from .callbacks import Callback, LRSchedulerCallback, ModelCheckpoint
from .history import History

__all__ = ["Trainer", "TrainingError"]


class TrainingError(RuntimeError):
    """Training cannot go on (a NaN or Inf loss); the best weights so far have been kept."""


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


def _same_bits(a: Any, b: Any) -> bool:
    """Whether two arrays (same device) hold the same values bit for bit (so -0.0 differs from
    0.0, and a NaN equals the same NaN)."""
    if type(a) is not type(b) or a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fc" and a.dtype.itemsize in (2, 4, 8):
        a, b = a.view(f"u{a.dtype.itemsize}"), b.view(f"u{b.dtype.itemsize}")
    return bool((a == b).all())


def _batches(n: int, batch_size: int, shuffle: bool, seed: int | None) -> BatchSampler:
    """The row indices of each batch of an epoch over `n` rows: in order, or shuffled anew each
    epoch by a generator seeded with `seed` (None: a seed drawn from the global generator)."""
    if shuffle and seed is None:
        seed = int(_random.generator().integers(2**63))
    order = (RandomSampler(range(n), generator=np.random.default_rng(seed)) if shuffle
             else SequentialSampler(range(n)))  # fmt: skip
    return BatchSampler(order, batch_size, drop_last=False)


def _holds(model: Module, state: dict[str, Any]) -> bool:
    """Whether `state` (a `state_dict()` copy) still equals the model's weights bit for bit."""
    live = {name: p.data for name, p in model.named_parameters()}
    live.update(model.named_buffers())
    return live.keys() == state.keys() and all(_same_bits(live[k], state[k]) for k in live)


class Trainer:
    """Fits a model: switches train/eval modes, adds the penalty to the loss, augments training
    batches only, records per-epoch logs, runs callbacks, and guards against NaN losses and
    Ctrl-C.

    The trainer keeps, in memory, the weights of the best epoch by `monitor` ("val_loss" when
    there is validation data, else "loss"), whatever the callbacks. A NaN or Inf loss and Ctrl-C
    both end training with those weights put back (the message names the epoch, counted from 1);
    a run that ends normally keeps its last weights unless EarlyStopping(restore_best_weights=
    True) asks otherwise, as in Keras. `best_epoch` (0-based) and `best_weights` stay readable.
    The rule is `utils.best.Best` (min_delta 0; epochs whose value is NaN or infinite are skipped)
    and an improving epoch costs one copy of the weights, shared through `snapshot()` with an
    EarlyStopping(restore_best_weights=True) that finds the same epoch best.

    ema: if given (a decay in [0, 1)), an exponential moving average of the weights is kept after
    every step (`optim.swa_utils.AveragedModel(model, decay=ema)`) and the model holds it when
    training ends, as Keras's use_ema does (EarlyStopping's restored weights, if any, come after
    and win; BatchNorm statistics are the last ones seen). Only a run that ends normally takes
    the average: after a NaN loss or Ctrl-C the model holds the best epoch's (evaluated, not
    averaged) weights, since the average may hold the exploded ones.

    Ctrl-C (KeyboardInterrupt) is caught, unlike Keras's fit (which lets it propagate): fit
    puts the best weights back, runs every callback's on_train_end, sets
    `history.interrupted = True`, prints which weights the model holds, and returns the history
    (the epoch that was running is not recorded). A NaN loss sets `history.failed` and raises
    TrainingError after the same restore. The restore comes after the callbacks' on_train_end,
    so the model holds what the message says. Checked before training, besides the data:
    BatchNorm with one-sample batches (PyTorch's "expected more than 1 value per channel"), a
    MixUp/CutMix whose num_classes is not the model's output count, and a
    ModelCheckpoint(save_best_only=True) or ReduceLROnPlateau callback monitoring a metric this
    fit will not log (e.g. val_loss without val=; Keras only warns each epoch).
    clip_grad_norm: if given, gradients are rescaled after each backward so that their total
    2-norm is at most this (`nn.utils.clip_grad_norm_`, PyTorch's rule).

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
        penalty: Regularizer | None = None,
        augment: Callable[[np.ndarray], np.ndarray] | None = None,
        callbacks: Sequence[Callback] = (),
        metrics: Sequence[str] = ("accuracy",),
        device: str = "cpu",
        monitor: str | None = None,
        clip_grad_norm: float | None = None,
        ema: float | None = None,
    ):
        owner = "Trainer"
        check.instance(owner, "model", model, Module, "a tinyreg Module")
        if isinstance(loss, str):
            check.choice(owner, "loss", loss, tuple(sorted(F.LOSSES)))
            loss = F.LOSSES[loss]
        elif not callable(loss):
            raise TypeError(f"Trainer: loss must be one of {sorted(F.LOSSES)} or a callable, got "
                            f"a {type(loss).__name__}")  # fmt: skip
        check.instance(owner, "optimizer", optimizer, Optimizer, "a tinyreg.optim optimizer")
        if penalty is not None:
            expected = "a tinyreg.reg.Regularizer (L1, L2, ElasticNet, GroupLasso, yours) or None"
            check.instance(owner, "penalty", penalty, Regularizer, expected)
            if penalty.loss is None:
                raise TypeError(f"{owner}: penalty {penalty!r} has no loss term (a constraint): "
                                "pass it to the optimizer as prox=")  # fmt: skip
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
            resolve_mode("auto", monitor)
        self.model, self.loss, self.optimizer = model, loss, optimizer
        # class-index losses (also functools.partial(F.cross_entropy, label_smoothing=...))
        self._class_labels = getattr(loss, "func", loss) in (F.cross_entropy, F.nll_loss)
        self.penalty, self.augment = penalty, augment
        self.callbacks, self.metrics = list(callbacks), tuple(metrics)
        self.device = check_device(device)
        self.monitor = monitor
        if clip_grad_norm is not None:
            clip_grad_norm = check.finite(owner, "clip_grad_norm", clip_grad_norm, low=0.0)
        self.clip_grad_norm = clip_grad_norm
        if ema is not None:
            ema = check.number(owner, "ema", ema, 0.0, 1.0, high_open=True)
        self.ema = ema
        self.averaged: AveragedModel | None = None
        self.stop_training = False
        self.history = History()
        self._best = Best()  # replaced by each fit, with the mode of its monitor
        self._snapshot: dict[str, np.ndarray] | None = None

    # ------------------------------------------------------------------ checks
    def _inputs(self, X: Any, y: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(X, y) checked and converted: float features without NaN/Inf, labels that fit the
        loss and the model's outputs, and a model that accepts X's shape."""
        owner = "Trainer.fit"
        X = check.float_array(owner, f"{name} X", X)
        if X.ndim == 0 or len(X) == 0:
            raise ValueError(f"{owner}: the {name} set is empty (X has shape {X.shape})")
        if self._class_labels:
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
        self._outputs = out.shape[-1]
        if self._class_labels:
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

    def _averaged_parameters(self) -> dict[str, np.ndarray]:
        return {name: p.data for name, p in self.averaged.module.named_parameters()}

    # ------------------------------------------------------------------ best weights
    @property
    def best_epoch(self) -> int | None:
        """The best epoch (0-based) of the last fit by its monitor; None before one finished."""
        return self._best.epoch

    @property
    def best_weights(self) -> dict[str, np.ndarray] | None:
        """The weights of `best_epoch` (a state dict), None before an epoch finished."""
        return self._best.weights

    def snapshot(self) -> dict[str, np.ndarray]:
        """A copy of the model's weights as they are now (`model.state_dict()`). The copy taken
        last in this epoch is handed out again when the weights still equal it bit for bit, so
        the trainer's best weights and an EarlyStopping's of the same epoch are one copy."""
        if self._snapshot is None or not _holds(self.model, self._snapshot):
            self._snapshot = self.model.state_dict()
        return self._snapshot

    def _remember_if_best(self, epoch: int, logs: dict[str, float]) -> None:
        """Keep a copy of the weights when the monitored metric improves (lower loss, higher
        accuracy); the first epoch with a finite value always counts."""
        value = logs.get(self._monitor)
        if value is not None and math.isfinite(value):
            self._best.update(value, epoch)

    def _restore_best(self, reason: str) -> str:
        """Put the best weights back; a sentence saying which ones the model now holds."""
        if self.best_weights is None:
            return f"{reason}; no epoch finished, so the model keeps the weights it had before fit"
        self.model.load_state_dict(self.best_weights)
        return (f"{reason}; the model holds the weights of epoch {self.best_epoch + 1}, the best "
                f"by {self._monitor} ({self._best.value:.6g})")  # fmt: skip

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
        self._best = Best(resolve_mode("auto", self._monitor), copy_weights=self.snapshot)
        batches = _batches(len(X), batch_size, shuffle, seed)
        batch_norm = any(isinstance(m, BatchNorm1d) for m in self.model.modules())
        if batch_norm and min(batch_size, len(X)) == 1:
            raise ValueError(f"{owner}: every training batch has one sample (batch_size="
                             f"{batch_size}, {len(X)} rows) and the model has BatchNorm, which "
                             "expects more than 1 value per channel when training (PyTorch's "
                             "error); use a batch_size of 2 or more")  # fmt: skip
        self._check_monitors(val is not None)
        if getattr(self.augment, "mixes_labels", False):
            given = getattr(self.augment, "num_classes", None)
            if given != self._outputs:
                raise ValueError(f"{owner}: augment {type(self.augment).__name__} has "
                                 f"num_classes={given} but the model has {self._outputs} "
                                 f"outputs; pass num_classes={self._outputs}")  # fmt: skip
        skip_single = batch_norm and len(X) % batch_size == 1
        if skip_single:
            warnings.warn("Trainer.fit: the last batch of each epoch has one sample, which "
                          "BatchNorm cannot train on; it is skipped (choose another batch_size "
                          "to use it)", stacklevel=2)  # fmt: skip
        show_bar = verbose >= 2 or (verbose == 1 and sys.stderr.isatty())
        from tqdm.auto import tqdm

        self.history, self.stop_training = History(), False
        self.averaged = AveragedModel(self.model, self.ema) if self.ema is not None else None
        completed, reason, failed = False, None, False
        for callback in self.callbacks:
            callback.on_train_begin(self)
        try:
            for epoch in range(epochs):
                self._snapshot = None  # the weights change in this epoch
                for callback in self.callbacks:
                    callback.on_epoch_begin(self, epoch)
                bar = tqdm(total=len(batches), desc=f"epoch {epoch + 1}/{epochs}",
                           disable=not show_bar)  # fmt: skip
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    # a diverging run is reported once, by the NaN guard, not by NumPy warnings
                    logs = self._train_epoch(X, y, batches, bar, epoch, skip_single)
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
            completed = True
        except TrainingError as error:
            reason, failed = str(error), True
            self.history.failed = True
        except KeyboardInterrupt:
            self.history.interrupted = True
            reason = "training interrupted"
        finally:
            if completed and self.averaged is not None and self.averaged.n_averaged:
                # only a finished run takes the average: after a NaN loss or Ctrl-C it may hold
                # exploded weights, and the best epoch's weights are put back instead
                self.model.load_state_dict({**self.model.state_dict(),
                                            **self._averaged_parameters()})  # fmt: skip
            self.model.eval()
            self._snapshot = None
            try:
                _run_all([lambda c=c: c.on_train_end(self) for c in self.callbacks])
            finally:
                # after the callbacks, so that the model holds what the message says
                message = self._restore_best(reason) if reason is not None else ""
        if failed:
            raise TrainingError(message)
        if reason is not None:
            print(f"\ntinyreg: {message}; the history so far is kept", file=sys.stderr)
        return self.history

    def _check_monitors(self, has_val: bool) -> None:
        """Refuse, before training, a ModelCheckpoint(save_best_only=True) or a
        ReduceLROnPlateau LRSchedulerCallback whose monitor is a metric the trainer can log but
        will not in this fit (a val_ metric without validation data, accuracy without that
        metric, penalty without a penalty); other names may come from the user's callbacks."""
        base = {"loss", "accuracy", "penalty", "total_loss", "lr", "sparsity", "epoch_time"}
        possible = base | {"val_loss", "val_accuracy"}
        logged = {"loss", "lr", "sparsity", "epoch_time"}
        logged |= {"accuracy"} if "accuracy" in self.metrics else set()
        logged |= {"penalty", "total_loss"} if self.penalty is not None else set()
        if has_val:
            logged |= {f"val_{k}" for k in ("loss", "accuracy") if k in logged}
        for i, callback in enumerate(self.callbacks):
            monitor = getattr(callback, "monitor", None)
            if isinstance(callback, ModelCheckpoint) and callback.save_best_only:
                what = "save_best_only needs it"
            elif isinstance(callback, LRSchedulerCallback) and isinstance(
                callback.scheduler, ReduceLROnPlateau
            ):
                what = "ReduceLROnPlateau steps with it"
            else:
                continue
            if monitor in possible and monitor not in logged:
                need = "validation data (val=)" if monitor.startswith("val_") else "it logged"
                raise ValueError(f"Trainer.fit: callbacks[{i}] ({type(callback).__name__}) "
                                 f"monitors {monitor!r}, which this fit does not log (it logs "
                                 f"{', '.join(sorted(logged))}); {what}: give {need} or "
                                 "another monitor")  # fmt: skip

    def _train_epoch(self, X: np.ndarray, y: np.ndarray, batches: BatchSampler, bar: Any,
                     epoch: int, skip_single: bool) -> dict[str, float]:  # fmt: skip
        self.model.train()
        start = time.perf_counter()
        lr_at_start = self.optimizer.param_groups[0]["lr"]
        totals = {"loss": 0.0, "penalty": 0.0, "correct": 0, "seen": 0}
        for index, rows in enumerate(batches):
            xb, yb = X[rows], y[rows]
            bar.update(1)
            if skip_single and len(xb) == 1:
                continue
            if getattr(self.augment, "mixes_labels", False):
                xb, yb = self.augment(xb, yb)  # MixUp / CutMix: soft labels (N, classes)
            elif self.augment is not None:
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
            if self.clip_grad_norm is not None:
                clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)
            self.optimizer.step()
            if self.averaged is not None:
                self.averaged.update_parameters(self.model)
            for callback in self.callbacks:
                callback.on_batch_end(self, index)
            totals["loss"] += data_loss.item() * len(xb)
            totals["seen"] += len(xb)
            if "accuracy" in self.metrics:
                predicted = to_device(out.data.argmax(axis=-1), "cpu")
                truth = yb.argmax(axis=-1) if yb.ndim == 2 else yb  # the dominant mixed label
                totals["correct"] += int((predicted == truth).sum())
            bar.set_postfix(loss=f"{value:.4f}", refresh=False)
        seen = max(totals["seen"], 1)
        logs = {"loss": totals["loss"] / seen}
        if "accuracy" in self.metrics:
            logs["accuracy"] = totals["correct"] / seen
        if self.penalty is not None:
            logs["penalty"] = totals["penalty"] / seen
            logs["total_loss"] = logs["loss"] + logs["penalty"]
        logs["lr"] = float(lr_at_start)
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
