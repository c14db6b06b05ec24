"""Issue 17, "Trust on every surface", for the training loop, weight averaging, schedulers and the
label-mixing / rotation transforms: bad arguments fail before anything changes, interrupted work
is never recorded as finished, and restored weights are what the message says."""

import math

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn, optim
from tinyreg.optim import lr_scheduler as S
from tinyreg.optim import swa_utils
from tinyreg.training import (
    Callback,
    EarlyStopping,
    LRSchedulerCallback,
    ModelCheckpoint,
    Trainer,
    TrainingError,
)
from tinyreg.vision import transforms as augment


def setup(bn=False, seed=0):
    """A tiny separable problem whose full-batch loss falls every epoch."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((64, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    tr.manual_seed(seed)
    layers = [nn.Dense(4, 8), nn.BatchNorm1d(8), nn.ReLU()] if bn else [nn.Dense(4, 8), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Dense(8, 2))
    return model, X, y


class Snapshots(Callback):
    def __init__(self):
        self.states = []

    def on_epoch_end(self, trainer, epoch, logs):
        self.states.append(trainer.model.state_dict())


def assert_holds(model, state):
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[name])


def unchanged(model):
    before = model.state_dict()
    return lambda: assert_holds(model, before)


# 1 ------------------------------------------------------------------ EMA and a NaN loss
def test_ema_nan_loss_restores_the_evaluated_best_weights_not_the_exploded_average():
    model, X, y = setup()
    snapshots = Snapshots()

    class Explode(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 2:
                trainer.optimizer.param_groups[0]["lr"] = 1e30

    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), ema=0.5,
                      callbacks=[snapshots, Explode()])  # fmt: skip
    with pytest.raises(TrainingError) as info:
        trainer.fit(X, y, val=(X, y), epochs=6, batch_size=16, shuffle=False, verbose=0)
    best = int(np.argmin(trainer.history["val_loss"]))
    assert f"weights of epoch {best + 1}, the best by val_loss" in str(info.value)
    assert trainer.history.failed and len(trainer.history.epoch) == 3
    assert all(np.abs(p.data).max() < 1e3 for p in model.parameters())
    assert_holds(model, snapshots.states[best])


# 2 ------------------------------------------------------------------ swa_utils: all or nothing
def test_update_bn_on_the_wrong_width_changes_nothing():
    model, X, _ = setup(bn=True)
    bn = model[1]
    bn.running_mean[...] = 0.5
    bn.running_var[...] = 2.0
    model.eval()
    check = unchanged(model)
    with pytest.raises(ValueError):
        swa_utils.update_bn(X[:, :3], model, batch_size=16)
    check()
    assert bn.momentum == 0.1 and not model.training and not bn.training
    with pytest.raises(ValueError, match="update_bn: data must be batches of more than one row"):
        swa_utils.update_bn(X[:17], model, batch_size=16)  # PyTorch raises on the 1-row batch
    check()
    swa_utils.update_bn(X, model, batch_size=16)  # still works, and restores the modes
    assert not model.training and not bn.training and bn.momentum == 0.1
    np.testing.assert_allclose(bn.running_mean, 0.0, atol=10)  # recomputed, finite


def test_averaged_model_refuses_another_architecture_before_averaging():
    model, _, _ = setup()
    averaged = swa_utils.AveragedModel(model)
    averaged.update_parameters(model)
    check = unchanged(averaged)
    other = nn.Sequential(nn.Dense(4, 8), nn.ReLU(), nn.Dense(8, 3))  # same first layer
    with pytest.raises(ValueError, match="AveragedModel.update_parameters: model must have"):
        averaged.update_parameters(other)
    check()
    assert averaged.n_averaged == 1
    with pytest.raises(TypeError, match="model must be a tinyreg Module"):
        averaged.update_parameters("model")


# 3 ------------------------------------------------------------------ checks that came too late
def test_scheduler_load_state_dict_refuses_values_that_break_step():
    opt = optim.SGD(setup()[0].parameters(), lr=0.1)
    schedule = S.StepLR(opt, step_size=2)
    saved = schedule.state_dict()
    bad = [({"step_size": 0}, ValueError, "step_size must be an integer >= 1, got 0"),
           ({"gamma": math.nan}, ValueError, "gamma"),
           ({"last_epoch": "3"}, TypeError, "last_epoch"),
           ({"last_epoch": 2.0}, TypeError, "last_epoch"),
           ({"base_lrs": [0.1, 0.2]}, ValueError, "base_lrs must be a list of 1"),
           ({"step_size": 3, "gamma": -1.0}, ValueError, "gamma")]  # fmt: skip
    for state, error, message in bad:
        with pytest.raises(error, match=f"StepLR.load_state_dict: {message}"):
            schedule.load_state_dict(state)
        assert schedule.state_dict() == saved  # nothing changed, not even step_size
    schedule.step()
    plateau = S.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match="mode must be one of"):
        plateau.load_state_dict({"mode": "up"})
    with pytest.raises(ValueError, match="factor"):
        plateau.load_state_dict({"factor": 2.0})
    plateau.step(1.0)


def test_lr_scheduler_callback_refuses_an_optimizer():
    opt = optim.SGD(setup()[0].parameters(), lr=0.1)
    with pytest.raises(TypeError, match="LRSchedulerCallback: scheduler must be an optim"):
        LRSchedulerCallback(opt)


def test_mixup_without_num_classes_fails_before_training():
    model, X, y = setup()
    images = X.reshape(64, 1, 2, 2)
    with pytest.raises(ValueError, match="MixUp: num_classes is needed"):
        augment.MixUp()(images, y)
    check = unchanged(model)
    for mixing in (augment.MixUp(), augment.CutMix(num_classes=3)):
        trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters()), augment=mixing)
        with pytest.raises(ValueError, match="Trainer.fit: augment .* has num_classes=.* 2 out"):
            trainer.fit(X, y, epochs=1, verbose=0)
        check()


def test_plateau_callback_and_checkpoint_without_validation_fail_before_training(tmp_path):
    model, X, y = setup()
    opt = optim.SGD(model.parameters(), lr=0.1)
    check = unchanged(model)
    path = tmp_path / "best.npz"
    for callback in (LRSchedulerCallback(S.ReduceLROnPlateau(opt)), ModelCheckpoint(path)):
        trainer = Trainer(model, "cross_entropy", opt, callbacks=[callback])
        with pytest.raises(ValueError, match="monitors 'val_loss'.*validation data"):
            trainer.fit(X, y, epochs=2, verbose=0)
        check()
    assert not path.exists()
    Trainer(model, "cross_entropy", opt, callbacks=[ModelCheckpoint(path, monitor="loss")]).fit(
        X, y, epochs=1, verbose=0
    )
    assert path.exists()


def test_ctrl_c_from_a_callback_before_early_stopping_sees_the_epoch_keeps_the_best():
    model, X, y = setup()
    snapshots = Snapshots()

    class Interrupt(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 2:
                raise KeyboardInterrupt

    stopper = EarlyStopping(restore_best_weights=True, patience=10)
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1),
                      callbacks=[snapshots, Interrupt(), stopper])  # fmt: skip
    history = trainer.fit(X, y, val=(X, y), epochs=6, batch_size=64, shuffle=False, verbose=0)
    assert history.interrupted and int(np.argmin(history["val_loss"])) == 2
    assert stopper.best_epoch == 1  # it never saw epoch 3, the best
    assert_holds(model, snapshots.states[2])


# 4 ------------------------------------------------------------------ first-round leftovers
def test_batchnorm_with_one_sample_batches_is_an_error_before_training():
    model, X, y = setup(bn=True)
    check = unchanged(model)
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1))
    for rows, batch_size in ((64, 1), (1, 32)):
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            trainer.fit(X[:rows], y[:rows], epochs=1, batch_size=batch_size, verbose=0)
        check()
    assert len(trainer.history.epoch) == 0


def test_rotation_degrees_too_wide_is_a_value_error():
    for make in (lambda: augment.RandomRotation(1e308),
                 lambda: augment.RandomAffine((-1e308, 1e308))):  # fmt: skip
        with pytest.raises(ValueError, match="degrees must be a range whose width"):
            make()


# 5 ------------------------------------------------------------------ Ctrl-C is caught, documented
def test_ctrl_c_returns_the_history_and_the_docstring_says_so():
    model, X, y = setup()

    class Interrupt(Callback):
        def on_batch_end(self, trainer, batch):
            if len(trainer.history.epoch) == 1:
                raise KeyboardInterrupt

    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1),
                      callbacks=[Interrupt()])  # fmt: skip
    history = trainer.fit(X, y, epochs=5, batch_size=16, verbose=0)
    assert history.interrupted and not history.failed and history.epoch == [0]
    assert "KeyboardInterrupt" in Trainer.__doc__ and "Keras" in Trainer.__doc__
