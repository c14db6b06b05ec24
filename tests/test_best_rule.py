"""The one "best so far" rule (tinyreg.utils.best): its formula, PyTorch's ReduceLROnPlateau, the
four users (Trainer, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau) agreeing on the best epoch
of one metric sequence, one copy of the weights per improving epoch, and no import circle."""

import ast
import math
from pathlib import Path

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn, optim
from tinyreg.optim.lr_scheduler import ReduceLROnPlateau
from tinyreg.training import (
    Callback,
    EarlyStopping,
    LRSchedulerCallback,
    ModelCheckpoint,
    Trainer,
)
from tinyreg.utils.best import Best, improves, resolve_mode

ROOT = Path(__file__).resolve().parents[1]
INF, NAN = math.inf, math.nan


def reference_best_epoch(values, mode="min", delta=0.0, threshold_mode="abs"):
    """The best epoch by the documented formula, written out independently of tinyreg."""
    best, epoch = (INF if mode == "min" else -INF), None
    for e, v in enumerate(values):
        if threshold_mode == "rel":
            bound = best * (1 - delta) if mode == "min" else best * (1 + delta)
        else:
            bound = best - delta if mode == "min" else best + delta
        if (v < bound) if mode == "min" else (v > bound):
            best, epoch = v, e
    return epoch, best


# --------------------------------------------------------------------------- the formula
@pytest.mark.parametrize(
    "value,best,mode,delta,threshold_mode,expected",
    [
        (0.9, 1.0, "min", 0.0, "abs", True),
        (1.0, 1.0, "min", 0.0, "abs", False),  # a tie does not improve
        (0.95, 1.0, "min", 0.1, "abs", False),  # 0.95 is not < 1.0 - 0.1
        (0.85, 1.0, "min", 0.1, "abs", True),
        (0.95, 1.0, "min", 0.1, "rel", False),  # not < 1.0 * 0.9
        (9.0, 10.0, "min", 0.05, "rel", True),  # 9 < 10 * 0.95
        (1.1, 1.0, "max", 0.0, "abs", True),
        (1.05, 1.0, "max", 0.1, "abs", False),
        (10.6, 10.0, "max", 0.05, "rel", True),
        (10.4, 10.0, "max", 0.05, "rel", False),
        (NAN, 1.0, "min", 0.0, "abs", False),  # NaN never improves
        (NAN, INF, "max", 0.0, "rel", False),
        (5.0, INF, "min", 0.5, "abs", True),  # the first number improves on the start
        (-5.0, -INF, "max", 0.5, "rel", True),
        (INF, INF, "min", 0.0, "abs", False),  # ... unless it is that same infinity
    ],
)
def test_improves_formula(value, best, mode, delta, threshold_mode, expected):
    assert improves(value, best, mode, delta, threshold_mode) is expected
    tracker = Best(mode, delta, threshold_mode)
    tracker.value = best
    assert tracker.improves(value) is expected


def test_resolve_mode_guesses_from_the_name():
    assert resolve_mode("auto", "val_loss") == "min" and resolve_mode("auto", "penalty") == "min"
    assert resolve_mode("auto", "val_accuracy") == "max" and resolve_mode("auto", "acc") == "max"
    assert resolve_mode("max", "val_loss") == "max"
    with pytest.raises(ValueError, match="mode='min'"):
        resolve_mode("auto", "f1")
    with pytest.raises(ValueError, match="'up'"):
        resolve_mode("up", "loss")


def test_best_tracks_value_epoch_and_copies_weights_once_per_improvement():
    copies = []

    def copy():
        copies.append(len(copies))
        return {"w": np.array([float(len(copies))])}

    tracker = Best("min", 0.1, copy_weights=copy)
    assert tracker.value == INF and tracker.epoch is None and tracker.weights is None
    outcomes = [tracker.update(v, e) for e, v in enumerate([1.0, 0.95, NAN, 0.5, 0.45, 0.2])]
    assert outcomes == [True, False, False, True, False, True]
    assert tracker.value == 0.2 and tracker.epoch == 5 and len(copies) == 3
    assert tracker.weights["w"][0] == 3.0  # the copy of the last improvement
    assert tracker.improves(0.05, reference=0.2) and not tracker.improves(0.15, reference=0.2)
    tracker.reset()
    assert tracker.value == INF and tracker.epoch is None and tracker.weights is None
    with pytest.raises(ValueError, match="mode"):
        Best("up")
    with pytest.raises(ValueError, match="min_delta"):
        Best("min", -0.1)
    with pytest.raises(ValueError, match="threshold_mode"):
        Best("min", 0.1, "relative")
    with pytest.raises(TypeError, match="copy_weights"):
        Best(copy_weights={"w": 1})


# --------------------------------------------------------------------------- PyTorch's rule
def plateau_sequences():
    rng = np.random.default_rng(0)
    for _ in range(40):
        values = list(np.round(rng.uniform(0.0, 2.0, int(rng.integers(1, 15))), 2))
        for i in range(len(values)):
            if rng.random() < 0.1:
                values[i] = [INF, -INF][int(rng.integers(2))]
        yield [float(v) for v in values]


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
@pytest.mark.parametrize("threshold", [0.0, 1e-4, 0.05, 0.5])
def test_reduce_lr_on_plateau_best_equals_pytorchs(mode, threshold_mode, threshold):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference, when installed")
    kwargs = dict(mode=mode, threshold=threshold, threshold_mode=threshold_mode, patience=1,
                  factor=0.5, cooldown=1)  # fmt: skip
    for values in plateau_sequences():
        opt = optim.SGD([tr.tensor(np.ones(2), requires_grad=True)], lr=1.0)
        t_opt = torch.optim.SGD([torch.ones(2)], lr=1.0)
        mine = ReduceLROnPlateau(opt, **kwargs)
        theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **kwargs)
        tracker = Best(mode, threshold, threshold_mode)
        for epoch, value in enumerate(values):
            mine.step(value)
            theirs.step(value)
            tracker.update(value, epoch)
            assert mine.best == theirs.best == tracker.value, (values, epoch)
            assert opt.param_groups[0]["lr"] == t_opt.param_groups[0]["lr"], (values, epoch)
        assert reference_best_epoch(values, mode, threshold, threshold_mode)[1] == mine.best


# --------------------------------------------------------------------------- the four users
class ScriptedModel(nn.Module):
    """On 8 rows (x = 0..7, all of class 0): predicts class 0 for the first round(8 * value)
    rows, so the epoch's accuracy is the scripted value; its parameter `w` holds the epoch
    number, so a test sees which epoch's weights a user kept."""

    def __init__(self, values):
        super().__init__()
        self.w = nn.Parameter(np.zeros(1, np.float32))
        self.values, self.epoch = values, 0

    def forward(self, x):
        self.w.data[0] = self.epoch
        k = round(8 * self.values[self.epoch]) if self.epoch < len(self.values) else 0
        out = np.stack([x.data[:, 0] < k, np.full(len(x.data), 0.5)], axis=1)
        return tr.tensor(out.astype(np.float32)) + self.w * 0.0


class SetEpoch(Callback):
    def on_epoch_begin(self, trainer, epoch):
        trainer.model.epoch = epoch


def scripted_fit(values, monitor, callbacks, tmp_path=None):
    """A fit whose logged `monitor` ("loss" or "accuracy") is values[epoch], epoch by epoch."""
    model = ScriptedModel(values)

    def loss(out, y):  # the logged loss is exactly values[epoch] (one batch of 8)
        scripted = values[model.epoch] if monitor == "loss" else 1.0
        return (out * 0.0).sum() + scripted

    X = np.arange(8, dtype=np.float32).reshape(8, 1)
    y = np.zeros(8, np.float32)
    trainer = Trainer(model, loss, optim.SGD(model.parameters(), lr=0.0), monitor=monitor,
                      callbacks=[SetEpoch(), *callbacks])  # fmt: skip
    history = trainer.fit(X, y, epochs=len(values), batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_array_equal(history[monitor], values)
    return trainer, model


SEQUENCES = {  # binary fractions, exact in float32 (the logged loss); accuracy in eighths (8 rows)
    "min": [0.875, 0.625, 0.75, 0.5, 0.5625, 0.4375, 0.375, 0.75],
    "max": [0.25, 0.5, 0.375, 0.625, 0.75, 0.875, 0.75, 0.625],
}


@pytest.mark.parametrize("mode,monitor", [("min", "loss"), ("max", "accuracy")])
@pytest.mark.parametrize("min_delta", [0.0, 0.125, 0.25])
def test_the_four_users_agree_on_the_best_epoch(tmp_path, mode, monitor, min_delta):
    values = SEQUENCES[mode]
    expected, best = reference_best_epoch(values, mode, min_delta)
    stopper = EarlyStopping(monitor=monitor, patience=100, min_delta=min_delta,
                            restore_best_weights=True)  # fmt: skip
    checkpoint = ModelCheckpoint(tmp_path / "m{epoch}.npz", monitor=monitor, min_delta=min_delta)
    opt_lr = optim.SGD([tr.tensor(np.ones(1), requires_grad=True)], lr=1.0)
    plateau = ReduceLROnPlateau(opt_lr, mode=mode, threshold=min_delta, threshold_mode="abs")
    trainer, model = scripted_fit(
        values, monitor, [stopper, checkpoint, LRSchedulerCallback(plateau, monitor=monitor)]
    )
    assert stopper.mode == checkpoint.mode == mode
    assert stopper.best_epoch == checkpoint.best_epoch == expected
    assert stopper.best == checkpoint.best == plateau.best == best
    assert stopper.best_weights["w"][0] == expected and model.w.data[0] == expected
    saved = sorted(int(p.stem[1:]) - 1 for p in tmp_path.glob("m*.npz"))
    assert saved[-1] == expected  # the last file written is the best epoch's
    if min_delta == 0.0:  # the trainer's own rule has no min_delta
        assert trainer.best_epoch == expected and trainer.best_weights["w"][0] == expected
    else:
        assert trainer.best_epoch == reference_best_epoch(values, mode)[0]
    answers = {"min": {0.0: 6, 0.125: 5, 0.25: 3}, "max": {0.0: 5, 0.125: 4, 0.25: 3}}
    assert expected == answers[mode][min_delta]  # min_delta changes the answer


@pytest.mark.parametrize("threshold", [0.0, 0.1])
def test_plateau_rel_threshold_agrees_with_best(threshold):
    values = [1.0, 0.95, 0.85, 0.84, 0.7, 0.69]
    opt = optim.SGD([tr.tensor(np.ones(1), requires_grad=True)], lr=1.0)
    plateau = ReduceLROnPlateau(opt, threshold=threshold, threshold_mode="rel", patience=100)
    tracker = Best("min", threshold, "rel")
    for epoch, value in enumerate(values):
        plateau.step(value)
        tracker.update(value, epoch)
    expected, best = reference_best_epoch(values, "min", threshold, "rel")
    assert tracker.epoch == expected and plateau.best == tracker.value == best
    assert (expected, best) == ((5, 0.69) if threshold == 0.0 else (4, 0.7))


# --------------------------------------------------------------------------- one copy per epoch
class CountCopies(Callback):
    """Counts the model's state_dict calls epoch by epoch (installed at train begin)."""

    def __init__(self):
        self.per_epoch, self.epoch = {}, None

    def on_train_begin(self, trainer):
        model = trainer.model
        original = type(model).state_dict

        def counting():
            self.per_epoch[self.epoch] = self.per_epoch.get(self.epoch, 0) + 1
            return original(model)

        model.state_dict = counting

    def on_epoch_begin(self, trainer, epoch):
        self.epoch = epoch


class Mutate(Callback):
    """Changes the weights at the end of the listed epochs (as a pruning callback would)."""

    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch in self.epochs:
            trainer.model.w.data[0] = 100 + epoch


def test_an_improving_epoch_copies_the_weights_once():
    values = SEQUENCES["min"]
    improving = [0, 1, 3, 5, 6]
    counter = CountCopies()
    stopper = EarlyStopping(monitor="loss", patience=100, restore_best_weights=True)
    trainer, model = scripted_fit(values, "loss", [counter, stopper])
    assert counter.per_epoch == dict.fromkeys(improving, 1)  # was 2 (3 at the first epoch)
    assert stopper.best_weights is trainer.best_weights  # one copy, kept by both
    assert stopper.best_epoch == trainer.best_epoch == 6 and model.w.data[0] == 6


def test_a_callback_that_changes_the_weights_gets_its_own_copy():
    # a callback before EarlyStopping changes the weights after the trainer took its copy: the
    # copies differ, so EarlyStopping takes its own (the weights it would have kept before)
    counter = CountCopies()
    stopper = EarlyStopping(monitor="loss", patience=100, restore_best_weights=True)
    trainer, model = scripted_fit(SEQUENCES["min"], "loss", [counter, Mutate({3}), stopper])
    assert counter.per_epoch == {0: 1, 1: 1, 3: 2, 5: 1, 6: 1}
    assert trainer.best_weights["w"][0] == 6 and stopper.best_weights is trainer.best_weights
    counter = CountCopies()
    stopper = EarlyStopping(monitor="loss", patience=100, restore_best_weights=True)
    trainer, model = scripted_fit(SEQUENCES["min"][:5], "loss", [counter, Mutate({3}), stopper])
    assert stopper.best_epoch == trainer.best_epoch == 3
    assert stopper.best_weights["w"][0] == 103 and trainer.best_weights["w"][0] == 3
    assert model.w.data[0] == 103  # restored: EarlyStopping's copy, taken after the change


def test_early_stopping_without_the_trainers_rule_copies_on_its_own():
    # min_delta makes EarlyStopping's best epochs differ from the trainer's: each keeps its own
    counter = CountCopies()
    stopper = EarlyStopping(monitor="loss", patience=100, min_delta=0.25, restore_best_weights=True)
    trainer, _ = scripted_fit(SEQUENCES["min"], "loss", [counter, stopper])
    assert stopper.best_epoch == 3 and trainer.best_epoch == 6
    assert stopper.best_weights["w"][0] == 3 and trainer.best_weights["w"][0] == 6
    assert counter.per_epoch == {0: 1, 1: 1, 3: 1, 5: 1, 6: 1}  # epochs 0 and 3: one shared copy


# --------------------------------------------------------------------------- no import circle
def imports_of(path):
    """The tinyreg modules a file imports (relative imports resolved), TYPE_CHECKING included."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join(base + [node.module or ""]) if node.level else node.module
            found.update(f"{module}.{a.name}".strip(".") for a in node.names)
    return {name for name in found if name.startswith("tinyreg")}


def test_no_import_circle():
    callbacks = imports_of(ROOT / "tinyreg/training/callbacks.py")
    assert not {m for m in callbacks if m.startswith("tinyreg.training.trainer")}, callbacks
    best = imports_of(ROOT / "tinyreg/utils/best.py")
    assert not {m for m in best if m.startswith(("tinyreg.training", "tinyreg.optim"))}, best
    assert "tinyreg.utils.best.improves" in imports_of(ROOT / "tinyreg/optim/lr_scheduler.py")
    history = imports_of(ROOT / "tinyreg/training/history.py")
    assert not history, history
