"""Trainer, EarlyStopping (Keras 3's rule on scripted validation losses), checkpoints, guards."""

import json

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import datasets as data
from tinyreg import nn, optim, reg, vision
from tinyreg.training import Callback, EarlyStopping, ModelCheckpoint, Trainer, TrainingError
from tinyreg.utils.data import DataLoader, TensorDataset


class Scripted(Callback):
    """Writes a scripted val_loss into the logs, and a marker weight per epoch into the model."""

    def __init__(self, values, key="val_loss"):
        self.values, self.key = values, key

    def on_epoch_end(self, trainer, epoch, logs):
        logs[self.key] = self.values[epoch]
        trainer.model[0].bias.data[0] = epoch  # lets a test see which epoch's weights are kept


def scripted_fit(values, epochs=None, key="val_loss", **kwargs):
    X = np.zeros((8, 2), np.float32)
    y = np.zeros(8, np.int64)
    model = nn.Sequential(nn.Dense(2, 2))
    stopper = EarlyStopping(monitor=key, **kwargs)
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.0),
                      callbacks=[Scripted(values, key), stopper])  # fmt: skip
    history = trainer.fit(X, y, epochs=epochs or len(values), batch_size=4, verbose=0)
    return stopper, history, model


def test_early_stopping_patience_and_restore():
    losses = [1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.6]
    stopper, history, model = scripted_fit(losses, patience=3, restore_best_weights=True)
    assert stopper.stopped_epoch == 5 and stopper.best_epoch == 2 and stopper.best == 0.7
    assert len(history.epoch) == 6 and history.best_epoch == 2 and history.stopped_epoch == 5
    assert model[0].bias.data[0] == 2  # the weights of epoch 2 are back


def test_early_stopping_patience_zero_stops_at_first_non_improvement():
    stopper, history, _ = scripted_fit([1.0, 0.9, 0.95, 0.5])
    assert stopper.stopped_epoch == 2 and len(history.epoch) == 3


def test_early_stopping_min_delta():
    # 0.95 is not < 1.0 - 0.1, so it does not count as an improvement
    stopper, _, _ = scripted_fit([1.0, 0.95, 0.92, 0.5], patience=2, min_delta=0.1)
    assert stopper.stopped_epoch == 2 and stopper.best_epoch == 0


def test_restore_happens_even_without_stopping():
    stopper, history, model = scripted_fit([1.0, 0.5, 0.9], patience=5, restore_best_weights=True)
    assert stopper.stopped_epoch == 0 and len(history.epoch) == 3
    assert model[0].bias.data[0] == 1


def test_start_from_epoch_ignores_warm_up():
    stopper, history, _ = scripted_fit([0.1, 0.2, 0.3, 0.4, 0.35, 0.5], start_from_epoch=2,
                                       patience=1)  # fmt: skip
    # without the warm-up, epoch 0 (0.1) would be best and training would stop at epoch 1
    assert stopper.best_epoch == 2 and stopper.stopped_epoch == 3


def test_baseline_must_be_beaten_to_reset_patience():
    values = [0.9, 0.8, 0.85, 0.7]  # improvements that never beat the baseline keep counting
    stopper, _, _ = scripted_fit(values, baseline=0.5, patience=2)
    assert stopper.stopped_epoch == 2 and stopper.best_epoch == 1
    assert scripted_fit(values, patience=2)[0].stopped_epoch == 0


def test_max_mode_and_auto_mode_for_accuracy():
    stopper, _, _ = scripted_fit([0.5, 0.7, 0.6, 0.65], key="val_accuracy", patience=2)
    assert stopper.mode == "max" and stopper.stopped_epoch == 3 and stopper.best == 0.7
    with pytest.raises(ValueError, match="mode='min'"):
        EarlyStopping(monitor="val_f1")


def digits_setup(seed=0, n_train=None):
    X, y = vision.datasets.load_digits()
    (Xtr, ytr), (Xv, yv), _ = data.train_val_test_split(X.reshape(len(X), -1), y, seed=seed)
    if n_train:
        Xtr, ytr = Xtr[:n_train], ytr[:n_train]
    tr.manual_seed(seed)
    model = nn.Sequential(nn.Dense(64, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.1),
                          nn.Dense(64, 10))  # fmt: skip
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return model, opt, (Xtr, ytr), (Xv, yv)


def test_digits_mlp_reaches_95_percent():
    model, opt, (X, y), val = digits_setup()
    trainer = Trainer(model, "cross_entropy", opt, penalty=reg.L2(1e-4))
    history = trainer.fit(X, y, val=val, epochs=15, batch_size=32, seed=0, verbose=0)
    assert max(history["val_accuracy"]) >= 0.95
    assert trainer.evaluate(*val)["accuracy"] == history["val_accuracy"][-1]
    assert set(history.history) >= {"loss", "penalty", "val_loss", "accuracy", "lr", "sparsity",
                                    "epoch_time"}  # fmt: skip


def test_seeded_fits_are_identical():
    runs = []
    for _ in range(2):
        model, opt, (X, y), val = digits_setup(n_train=300)
        h = Trainer(model, "cross_entropy", opt, penalty=reg.L1(1e-4)).fit(
            X, y, val=val, epochs=3, batch_size=64, seed=1, verbose=0
        )
        runs.append({k: v for k, v in h.history.items() if k != "epoch_time"})
    assert runs[0] == runs[1]


def test_float32_step_creates_no_float64_arrays():
    model, opt, (X, y), _ = digits_setup(n_train=64)
    seen = []
    original = tr.Tensor.backward

    loss = tr.nn.functional.cross_entropy(model(tr.tensor(X)), y) + reg.L2(1e-3)(model)
    stack = [loss]
    visited = set()
    while stack:  # every array in the recorded graph
        node = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        seen.append(node.data.dtype)
        stack.extend(node._parents)
    original(loss)
    opt.step()
    assert X.dtype == np.float32
    assert set(seen) == {np.dtype(np.float32)}
    assert all(
        p.grad.dtype == np.float32 and p.data.dtype == np.float32 for p in model.parameters()
    )
    assert all(v.dtype == np.float32 for s in opt.state.values() for v in s.values())


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_nan_loss_stops_with_clear_error_and_keeps_best_weights():
    model, _, (X, y), val = digits_setup(n_train=128)
    stopper = EarlyStopping(restore_best_weights=True, patience=10)

    class Explode(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 1:
                trainer.optimizer.param_groups[0]["lr"] = 1e30

    opt = optim.SGD(model.parameters(), lr=0.01)
    trainer = Trainer(model, "cross_entropy", opt, callbacks=[stopper, Explode()])
    with pytest.raises(TrainingError, match=r"at epoch 3, batch \d+.*weights of epoch 2"):
        trainer.fit(X, y, val=val, epochs=5, batch_size=32, verbose=0)
    assert all(np.all(np.isfinite(p.data)) for p in model.parameters())
    assert stopper.best_epoch in (0, 1)


def test_keyboard_interrupt_returns_history_and_restores_best():
    model, opt, (X, y), val = digits_setup(n_train=128)

    class Interrupt(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 2:
                raise KeyboardInterrupt

    stopper = EarlyStopping(restore_best_weights=True, patience=10)
    trainer = Trainer(model, "cross_entropy", opt, callbacks=[stopper, Interrupt()])
    history = trainer.fit(X, y, val=val, epochs=10, batch_size=32, verbose=0)
    assert history.interrupted and len(history.epoch) == 3
    best_state = stopper.best_weights
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, best_state[name])


def test_checkpoint_round_trip(tmp_path):
    model, opt, (X, y), val = digits_setup(n_train=128)
    path = tmp_path / "best.npz"
    trainer = Trainer(model, "cross_entropy", opt, callbacks=[ModelCheckpoint(path)])
    history = trainer.fit(X, y, val=val, epochs=3, batch_size=32, verbose=0)
    restored = digits_setup(seed=5)[0]
    restored.load_state_dict(tr.load(path))
    best = int(np.argmin(history["val_loss"]))
    if best == 2:  # the last epoch was the best: the checkpoint equals the final model
        for name, value in model.state_dict().items():
            np.testing.assert_array_equal(value, restored.state_dict()[name])
    restored_loss = Trainer(restored, "cross_entropy", opt).evaluate(*val)["loss"]
    np.testing.assert_allclose(restored_loss, min(history["val_loss"]), rtol=1e-6)


def test_history_exports(tmp_path):
    model, opt, (X, y), val = digits_setup(n_train=64)
    history = Trainer(model, "cross_entropy", opt).fit(X, y, val=val, epochs=2, verbose=0)
    history.to_csv(tmp_path / "h.csv")
    history.to_json(tmp_path / "h.json")
    lines = (tmp_path / "h.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,loss") and len(lines) == 3
    assert json.loads((tmp_path / "h.json").read_text())["history"]["loss"] == history["loss"]


def test_bad_arguments_raise_before_training():
    model, opt, (X, y), val = digits_setup(n_train=64)
    trainer = Trainer(model, "cross_entropy", opt)
    before = model.state_dict()
    cases = [
        (dict(epochs=0), "epochs"),
        (dict(batch_size=0), "batch_size"),
        (dict(y=y[:-1]), "rows"),
        (dict(y=np.where(y == 0, 10, y)), r"\[0, 10\)"),
        (dict(val=(X[:0], y[:0])), "validation set is empty"),
    ]
    for kwargs, message in cases:
        args = {"X": X, "y": y, "epochs": 1, "verbose": 0, **kwargs}
        with pytest.raises(ValueError, match=message):
            trainer.fit(args.pop("X"), args.pop("y"), **args)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_dataloader_batches_and_single_sample_warning():
    X, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    dataset = TensorDataset(X, y)
    loader = DataLoader(dataset, batch_size=3, shuffle=True, generator=np.random.default_rng(0))
    batches = list(loader)
    assert [len(b[0]) for b in batches] == [3, 3, 3, 1] and len(loader) == 4
    assert sorted(np.concatenate([b[1].data for b in batches])) == list(range(10))
    assert [len(b[0]) for b in DataLoader(dataset, 3, drop_last=True)] == [3, 3, 3]
    model, opt, (Xd, yd), _ = digits_setup(n_train=65)
    with pytest.warns(UserWarning, match="one sample"):
        Trainer(model, "cross_entropy", opt).fit(Xd, yd, epochs=1, batch_size=32, verbose=0)


def state_of_best_epoch(history, snapshots, key="val_loss"):
    return snapshots[int(np.argmin(history[key]))]


class Snapshots(Callback):
    """Records the weights at the end of every epoch."""

    def __init__(self):
        self.states = []

    def on_epoch_end(self, trainer, epoch, logs):
        self.states.append(trainer.model.state_dict())


def test_trainer_keeps_the_best_weights_on_nan_without_early_stopping():
    model, _, (X, y), val = digits_setup(n_train=128)
    snapshots = Snapshots()

    class Explode(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 2:
                trainer.optimizer.param_groups[0]["lr"] = 1e30

    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.05),
                      callbacks=[snapshots, Explode()])  # fmt: skip
    with pytest.raises(TrainingError) as info:
        trainer.fit(X, y, val=val, epochs=6, batch_size=32, verbose=0)
    best = int(np.argmin(trainer.history["val_loss"]))
    assert f"weights of epoch {best + 1}, the best by val_loss" in str(info.value)
    assert trainer.best_epoch == best
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, snapshots.states[best][name])


def test_ctrl_c_mid_epoch_restores_the_best_epoch_without_early_stopping(capsys):
    model, opt, (X, y), val = digits_setup(n_train=128)
    snapshots = Snapshots()

    class InterruptMidEpoch(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 2:
                original = trainer.optimizer.step

                def step():
                    original()
                    raise KeyboardInterrupt  # during the first batch of epoch 4

                trainer.optimizer.step = step

    trainer = Trainer(model, "cross_entropy", opt, callbacks=[snapshots, InterruptMidEpoch()])
    history = trainer.fit(X, y, val=val, epochs=10, batch_size=32, verbose=0)
    assert history.interrupted and len(history.epoch) == 3
    best = int(np.argmin(history["val_loss"]))
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, snapshots.states[best][name])
    assert f"weights of epoch {best + 1}" in capsys.readouterr().err


def test_logs_keep_data_loss_apart_from_the_penalty():
    model, opt, (X, y), val = digits_setup(n_train=128)
    trainer = Trainer(model, "cross_entropy", opt, penalty=reg.L2(1e-2))
    history = trainer.fit(X, y, val=val, epochs=2, batch_size=32, verbose=0)
    for loss, penalty, total in zip(
        history["loss"], history["penalty"], history["total_loss"], strict=True
    ):
        assert penalty > 0 and total == pytest.approx(loss + penalty)


def test_every_callback_sees_every_epoch_even_after_one_stops_training():
    seen = []

    class Stopper(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            trainer.stop_training = epoch == 1

    class Recorder(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            seen.append(epoch)

        def on_train_end(self, trainer):
            seen.append("end")

    class Failing(Callback):
        def on_train_end(self, trainer):
            raise RuntimeError("callback failed")

    model, opt, (X, y), val = digits_setup(n_train=64)
    trainer = Trainer(model, "cross_entropy", opt, callbacks=[Stopper(), Failing(), Recorder()])
    with pytest.raises(RuntimeError, match="callback failed"):
        trainer.fit(X, y, epochs=5, batch_size=32, verbose=0)
    assert seen == [0, 1, "end"]  # the failing callback did not hide the end from the next one
