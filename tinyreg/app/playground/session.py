"""One playground session: one model (or two, for the A/B view) training step by step on the
tinyreg engine, knobs applied between steps, and the snapshots the page draws.

A `Learner` is one model with its optimizer, regularizers and its own random state; a `Session`
holds the points and one or two learners. Both are synchronous: the server steps them in a
worker thread. The training step is the loop that `codegen.script` writes out, so the script
reproduces the numbers:

    rows = the next `batch_size` rows of this epoch's order (tr.randperm at each epoch's start)
    xb, yb = MixUp(xb, yb) if mixup > 0                 (soft labels)
    loss = F.cross_entropy(model(xb), yb, label_smoothing) + penalty(model)   (L1/L2/elastic)
    loss.backward(); optimizer.step()                   (then the proximal steps: l1_prox,
                                                         group_lasso, max_norm, in that order)

The model is GaussianNoise(augmentation), then per hidden width Dense, BatchNorm1d (batch_norm),
the activation and Dropout(dropout), then the output Dense. At the end of each epoch (a pass over
the training points) the training and validation loss and accuracy are measured in eval mode
(plain cross-entropy, no penalty or smoothing), and early stopping (patience > 0) keeps the best
epoch's weights by `tinyreg.utils.best.Best` and puts them back when it stops.

Threads: tinyreg's random state (`tinyreg.manual_seed`) is global to the process, as PyTorch's
default generator is. So every use of the engine here holds ENGINE_LOCK: sessions take turns step
by step (Python's GIL would let them share the cores only inside kernels anyway). Each learner
keeps its own copy of the random state (`OwnRandom`, through `get_rng_state`/`set_rng_state`)
and swaps it in for the code that draws (building the model, a training step), so two sessions,
or A and B, never share a stream, and the same configuration gives the same numbers, as the
script does with `tr.manual_seed(seed)`.
"""

from __future__ import annotations

import base64
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ... import nn, optim, reg
from ... import random as tr_random
from ...autograd import no_grad
from ...creation import randperm, tensor
from ...experiments import recipes
from ...nn import functional as F
from ...utils.best import Best
from ...vision.transforms import MixUp
from . import data
from .config import KNOBS, PREFIX_B, SHARED, ConfigError, check_config, parse_value

GRID = 64  # the decision boundary's cells per side
HISTOGRAM_BINS = 24
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
               "leaky_relu": nn.LeakyReLU, "elu": nn.ELU}  # fmt: skip
OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW}
ENGINE_LOCK = threading.RLock()  # see the module's docstring


class OwnRandom:
    """A private copy of tinyreg's global random state (the generator `manual_seed` seeds and
    the counter of dropout and noise streams), seeded with `seed`. `with own.active():` swaps
    it in (under a lock shared by every session) and out again, advanced by what was drawn."""

    def __init__(self, seed: int):
        with ENGINE_LOCK:
            saved = tr_random.get_rng_state()
            tr_random.manual_seed(seed)
            self._state = tr_random.get_rng_state()
            tr_random.set_rng_state(saved)

    @contextmanager
    def active(self) -> Iterator[None]:
        """Draw from this state inside the block (tinyreg's functions see it as the global one)."""
        with ENGINE_LOCK:
            saved = tr_random.get_rng_state()
            tr_random.set_rng_state(self._state)
            try:
                yield
            finally:
                self._state = tr_random.get_rng_state()
                tr_random.set_rng_state(saved)


def build_model(config: dict[str, Any], classes: int) -> nn.Sequential:
    """GaussianNoise(augmentation), then for each hidden width: Dense, BatchNorm1d (if asked),
    the activation and Dropout(dropout); then Dense to the classes. Noise and dropout are
    always there (identity at 0) so that their strength can change while training."""
    layers: list[nn.Module] = [nn.GaussianNoise(config["augmentation"])]
    width = 2
    for hidden in config["hidden"]:
        layers.append(nn.Dense(width, hidden))
        if config["batch_norm"]:
            layers.append(nn.BatchNorm1d(hidden))
        layers += [ACTIVATIONS[config["activation"]](), nn.Dropout(config["dropout"])]
        width = hidden
    layers.append(nn.Dense(width, classes))
    return nn.Sequential(*layers)


def _parts(config: dict[str, Any], role: str) -> list[tuple[Any, float]]:
    """(make, value) of the configuration's nonzero knobs that `recipes.KNOBS` (the registry
    compare and sweep read) gives `role` ("penalty" or "prox"), in registry order."""
    return [(knob.make, config[name]) for name, knob in recipes.KNOBS.items()
            if knob.role == role and config[name]]  # fmt: skip


def penalty_for(config: dict[str, Any]) -> reg.Regularizer | None:
    """The loss term, as a sweep point builds it (`recipes.make_penalty`): L1, L2, or one
    ElasticNet when both are set; None when neither is."""
    parts = _parts(config, "penalty")
    return recipes.make_penalty(parts) if parts else None


def proximal_steps(config: dict[str, Any]) -> list[reg.Regularizer]:
    """The proximal steps after each update, in the registry's order: L1, group lasso,
    max-norm."""
    return recipes.make_all(_parts(config, "prox"))


def optimizer_for(config: dict[str, Any], params: list) -> optim.Optimizer:
    """SGD (with momentum), Adam or AdamW with the configuration's lr and weight decay."""
    kind, prox = config["optimizer"], proximal_steps(config)
    if kind == "sgd":
        return optim.SGD(params, lr=config["lr"], momentum=config["momentum"],
                         weight_decay=config["weight_decay"], prox=prox)  # fmt: skip
    return OPTIMIZERS[kind](params, lr=config["lr"], weight_decay=config["weight_decay"],
                            prox=prox)  # fmt: skip


def evaluate(model: nn.Module, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(cross-entropy, accuracy) of the model in eval mode on (X, y); back in train mode after."""
    with ENGINE_LOCK, no_grad():
        model.eval()
        out = model(tensor(X))
        loss = F.cross_entropy(out, y).item()
        model.train()
    return loss, float((out.numpy().argmax(axis=1) == y).mean())


def encode(array: np.ndarray) -> str:
    """An array's bytes in base64 (float32 or uint8; the page reads them as a typed array)."""
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()


class Learner:
    """One model training on `points`: built from `config` with its own random state seeded by
    config["seed"], stepped one mini-batch at a time, knobs applied between steps."""

    def __init__(self, config: dict[str, Any], points: data.Points):
        self.config, self.points = config, points  # the session's dict: knobs land in both
        self.random = OwnRandom(config["seed"])
        with self.random.active():
            self.model = build_model(config, points.classes)
        self.model.train()
        self.dense = [m for m in self.model.modules() if isinstance(m, nn.Dense)]
        self.optimizer = optimizer_for(config, self.model.parameters())
        self.step_count, self.epoch, self.position = 0, 0, 0
        self.order = np.arange(0)
        self.curves: dict[str, list[float]] = {
            k: [] for k in ("loss", "accuracy", "val_loss", "val_accuracy")
        }
        self.best = Best("min", copy_weights=self.model.state_dict)
        self.stopped_early = False  # early stopping fired and put the best weights back
        self.failed: str | None = None
        self.revision = 0  # counts the knob changes applied
        self.apply({})

    # ------------------------------------------------------------------ knobs
    def apply(self, values: dict[str, Any]) -> None:
        """Set live knobs (already validated): they take effect at the next step."""
        self.config.update(values)
        config = self.config
        self.penalty = penalty_for(config)
        for group in self.optimizer.param_groups:
            group.update(lr=config["lr"], weight_decay=config["weight_decay"],
                         prox=tuple(proximal_steps(config)))  # fmt: skip
            if "momentum" in group:
                group["momentum"] = config["momentum"]
        for module in self.model.modules():
            if isinstance(module, nn.Dropout):
                module.p = config["dropout"]
            elif isinstance(module, nn.GaussianNoise):
                module.stddev = config["augmentation"]
        alpha = config["mixup"]
        self.mixup = MixUp(alpha, num_classes=self.points.classes) if alpha else None
        if "early_stopping" in values and not config["early_stopping"]:
            self.stopped_early = False
        self.revision += 1

    @property
    def done(self) -> bool:
        """Whether training is over: the steps are done, early stopping fired, or a NaN loss."""
        steps = self.config["steps"]
        return bool(self.stopped_early or self.failed or (steps and self.step_count >= steps))

    def resume(self) -> None:
        """Train on after early stopping fired: a fresh patience count from here."""
        self.stopped_early = False
        self.best.reset()

    # ------------------------------------------------------------------ training
    def step(self) -> None:
        """One training step on the next mini-batch (a new order at each epoch's start); the
        end of an epoch measures the curves and checks early stopping."""
        X, y = self.points.train
        n, size = len(X), self.config["batch_size"]
        with self.random.active():
            if self.position == 0:
                self.order = randperm(n).numpy()
            rows = self.order[self.position : self.position + size]
            self.position += size
            if not (self.config["batch_norm"] and len(rows) == 1):  # BatchNorm needs 2 rows
                xb, yb = X[rows], y[rows]
                if self.mixup is not None:
                    xb, yb = self.mixup(xb[:, None], yb)
                    xb = xb[:, 0]
                self.optimizer.zero_grad()
                loss = F.cross_entropy(self.model(tensor(xb)), yb,
                                       label_smoothing=self.config["label_smoothing"])  # fmt: skip
                if self.penalty is not None:
                    loss = loss + self.penalty(self.model)
                value = loss.item()
                if not math.isfinite(value):
                    self.failed = (f"the loss became {value} at step {self.step_count + 1}; "
                                   "lower the learning rate and reset")  # fmt: skip
                    return
                loss.backward()
                self.optimizer.step()
        self.step_count += 1
        if self.position >= n:
            self.position = 0
            self._end_epoch()

    def _end_epoch(self) -> None:
        """Measure the epoch's curves and apply early stopping's rule (patience epochs in a row
        without a lower validation loss: stop and put the best epoch's weights back)."""
        loss, accuracy = evaluate(self.model, *self.points.train)
        val_loss, val_accuracy = evaluate(self.model, *self.points.val)
        for key, value in zip(self.curves, (loss, accuracy, val_loss, val_accuracy), strict=True):
            self.curves[key].append(value)
        self.best.update(val_loss, self.epoch)
        patience = self.config["early_stopping"]
        if patience and self.epoch - self.best.epoch >= patience:
            self.model.load_state_dict(self.best.weights)
            self.stopped_early = True
        self.epoch += 1

    # ------------------------------------------------------------------ what the page sees
    def state(self, playing: bool) -> dict[str, Any]:
        """The numbers `window.playground.state()` gives: step, train_loss, val_loss (eval mode,
        now), val_accuracy, zero_fraction (exact zeros among the Dense weights) and running."""
        train_loss, _ = evaluate(self.model, *self.points.train)
        val_loss, val_accuracy = evaluate(self.model, *self.points.val)
        return {"step": self.step_count, "train_loss": train_loss, "val_loss": val_loss,
                "val_accuracy": val_accuracy,
                "zero_fraction": reg.sparsity(reg.penalized(self.model)),
                "running": bool(playing and not self.done)}  # fmt: skip

    def boundary(self) -> np.ndarray:
        """The predicted class and its confidence on a GRID x GRID grid over the points' square,
        rows from the top: uint8 (2, GRID, GRID), confidence 0 (a tie) .. 255 (certain)."""
        x0, x1, y0, y1 = self.points.extent
        xs, ys = np.linspace(x0, x1, GRID), np.linspace(y1, y0, GRID)
        grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2).astype(np.float32)
        with ENGINE_LOCK, no_grad():
            self.model.eval()
            probs = F.softmax(self.model(tensor(grid)), dim=1).numpy()
            self.model.train()
        k = probs.shape[1]
        top = probs.max(axis=1)
        confidence = np.clip((top - 1 / k) / (1 - 1 / k), 0, 1)
        classes = probs.argmax(axis=1)
        return (
            np.stack([classes, np.rint(confidence * 255)]).astype(np.uint8).reshape(2, GRID, GRID)
        )

    def weights(self) -> dict[str, Any]:
        """The Dense weights for the page: each matrix (in, out), each unit's incoming-weight
        norm, and the histogram of the nonzero weights with the count of exact zeros."""
        mats = [np.asarray(d.weight.data) for d in self.dense]
        flat = np.concatenate([m.ravel() for m in mats])
        nonzero = flat[flat != 0]
        top = float(np.abs(nonzero).max()) if nonzero.size else 1.0
        counts, _ = np.histogram(nonzero, bins=HISTOGRAM_BINS, range=(-top, top))
        return {"layers": [{"shape": list(m.shape), "w": encode(m.astype(np.float32))}
                           for m in mats],
                "norms": [np.linalg.norm(m.astype(np.float64), axis=0).round(5).tolist()
                          for m in mats],
                "histogram": {"counts": counts.tolist(), "range": top,
                              "zeros": int(flat.size - nonzero.size), "total": int(flat.size)},
                "max_norm": self.config["max_norm"]}  # fmt: skip

    def snapshot(self, playing: bool, curves_since: int = 0) -> dict[str, Any]:
        """Everything the page draws of this model: the state, the boundary (base64 uint8), the
        epoch curves from epoch `curves_since` on, early stopping's best epoch, the weights."""
        es = self.config["early_stopping"]
        return {"state": self.state(playing), "epoch": self.epoch, "revision": self.revision,
                "boundary": encode(self.boundary()),
                "curves": {"from": curves_since,
                           **{k: v[curves_since:] for k, v in self.curves.items()}},
                "best_epoch": self.best.epoch if es else None, "stopped": self.stopped_early,
                "failed": self.failed, **self.weights()}  # fmt: skip


def _split_field(field: str) -> tuple[str, str]:
    """("a" or "b", the knob's name) of a field as the page names it ("b.dropout")."""
    return ("b", field.removeprefix(PREFIX_B)) if field.startswith(PREFIX_B) else ("a", field)


class Session:
    """One page's training: the points and one or two learners (A and B share the data, the
    seed and so the initial weights). `custom` holds uploaded points (X, y)."""

    def __init__(self, a: dict[str, Any], b: dict[str, Any] | None = None,
                 custom: tuple[np.ndarray, np.ndarray] | None = None):  # fmt: skip
        self.configs = {"a": dict(a), **({"b": dict(b)} if b is not None else {})}
        self.custom = custom
        self.playing = bool(a["run"])
        self.rebuild(data_too=True)

    def rebuild(self, data_too: bool = False) -> None:
        """Build the learners again from their configurations (after a model or data knob, or
        reset): step 0, the initial weights the seed gives."""
        if data_too:
            self.points = data.load(self.configs["a"], self.custom)
        self.learners = {k: Learner(c, self.points) for k, c in self.configs.items()}

    @property
    def two(self) -> bool:
        """Whether this is an A/B session."""
        return "b" in self.learners

    @property
    def done(self) -> bool:
        """Whether every learner has finished."""
        return all(learner.done for learner in self.learners.values())

    def step(self) -> None:
        """One step of every learner that is not done."""
        for learner in self.learners.values():
            if not learner.done:
                try:
                    learner.step()
                except (ArithmeticError, ValueError, RuntimeError) as error:
                    learner.failed = f"training stopped: {error}"

    def set(self, values: dict[str, Any]) -> None:
        """Apply knob values from the page ({"dropout": 0.3, "b.lr": 0.1}): each validated first
        (a ConfigError and nothing changed if one is bad); live knobs at the next step, model
        knobs rebuild both learners, data knobs the points too. A `b.` field without a second
        model adds one (a copy of the first with that change)."""
        changes: dict[str, dict[str, Any]] = {"a": {}, "b": {}}
        for field, raw in values.items():
            which, name = _split_field(field)
            value = parse_value(field, raw)
            for target in ("a", "b") if name in SHARED else (which,):
                changes[target][name] = value
        adding_b = not self.two and any(f.startswith(PREFIX_B) for f in values)
        new = {"a": {**self.configs["a"], **changes["a"]}}
        if self.two or adding_b:
            new["b"] = {**self.configs.get("b", self.configs["a"]), **changes["b"]}
        for key, config in new.items():
            check_config(config, PREFIX_B if key == "b" else "")
        if "run" in changes["a"]:
            self.playing = bool(changes["a"]["run"])
        scopes = {KNOBS[name].scope for change in changes.values() for name in change}
        if adding_b or scopes & {"data", "model"}:
            old = self.configs, self.points
            self.configs = new
            try:
                self.rebuild(data_too="data" in scopes)
            except ConfigError:
                self.configs, self.points = old
                raise
            return
        for key, learner in self.learners.items():
            if changes[key]:
                learner.apply(changes[key])

    def add_b(self) -> None:
        """Enter the A/B view: a second model, a copy of the first; both start again."""
        if not self.two:
            self.configs["b"] = dict(self.configs["a"])
            self.rebuild()

    def drop_b(self) -> None:
        """Leave the A/B view: only the first model trains on (it is not reset)."""
        self.configs.pop("b", None)
        self.learners.pop("b", None)

    def upload(self, text: str) -> None:
        """Train on the learner's own points (CSV text, see `data.parse_csv`): dataset becomes
        "custom" and both learners start again."""
        self.custom = data.parse_csv(text)
        for config in self.configs.values():
            config["dataset"] = "custom"
        self.rebuild(data_too=True)

    def play(self) -> None:
        """Start (or go on) training: past the step limit (steps becomes 0, no limit) and after
        early stopping (a fresh patience count); a NaN loss needs a reset."""
        learners = self.learners.values()
        if any(x.config["steps"] and x.step_count >= x.config["steps"] for x in learners):
            for config in self.configs.values():
                config["steps"] = 0
        for learner in learners:
            if learner.stopped_early:
                learner.resume()
        self.playing = True

    def state(self) -> dict[str, Any]:
        """`window.playground.state()`: one model's numbers, or {"a": ..., "b": ...}."""
        states = {k: learner.state(self.playing) for k, learner in self.learners.items()}
        return states if self.two else states["a"]

    def points_message(self) -> dict[str, Any]:
        """The points for the page: training and test (x1, x2, label) rows and the square."""
        p = self.points

        def rows(part: tuple[np.ndarray, np.ndarray]) -> list[list[float]]:
            return np.column_stack([part[0].astype(np.float64).round(4), part[1]]).tolist()

        return {"type": "points", "train": rows(p.train), "test": rows(p.test),
                "classes": p.classes, "extent": list(p.extent)}  # fmt: skip
