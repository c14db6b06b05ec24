"""MixUp and CutMix: torchvision.transforms.v2's formulas, soft labels, eval mode, and training
through the Trainer with soft targets."""

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn, optim, vision
from tinyreg.training import Trainer
from tinyreg.vision import transforms as augment


def batch(n=6, size=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 1, size, size)).astype(np.float32), np.arange(n) % 3


def test_mixup_mixes_each_image_with_the_next_one():
    x, y = batch()
    mixed, soft = augment.MixUp(0.4, num_classes=3, seed=1)(x, y)
    lam = float(np.random.default_rng(1).beta(0.4, 0.4))
    np.testing.assert_allclose(mixed, lam * x + (1 - lam) * np.roll(x, 1, axis=0), rtol=1e-6)
    onehot = np.eye(3)[y]
    np.testing.assert_allclose(soft, lam * onehot + (1 - lam) * np.roll(onehot, 1, axis=0),
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, rtol=1e-6)


def test_cutmix_pastes_one_box_and_weights_labels_by_its_area():
    x, y = batch(size=10)
    mixed, soft = augment.CutMix(1.0, num_classes=3, seed=2)(x, y)
    changed = np.any(mixed != x, axis=(0, 1))  # the pasted box (where partners differ)
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    area = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1) if rows.size else 0
    lam = 1 - area / 100
    onehot = np.eye(3)[y]
    np.testing.assert_allclose(soft, lam * onehot + (1 - lam) * np.roll(onehot, 1, axis=0),
                               rtol=1e-6)  # fmt: skip
    box = np.zeros((10, 10), bool)
    if rows.size:
        box[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1] = True
    np.testing.assert_array_equal(mixed[..., box], np.roll(x, 1, axis=0)[..., box])
    np.testing.assert_array_equal(mixed[..., ~box], x[..., ~box])


def test_eval_mode_and_argument_errors():
    x, y = batch()
    for transform in (augment.MixUp(num_classes=3).eval(), augment.CutMix(num_classes=3).eval()):
        images, soft = transform(x, y)
        np.testing.assert_array_equal(images, x)
        np.testing.assert_array_equal(soft, np.eye(3)[y])
    with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
        augment.MixUp(0)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        augment.MixUp(num_classes=2)(x, y)
    with pytest.raises(TypeError, match="labels must be integer class labels"):
        augment.CutMix()(x, y.astype(float))


def test_trainer_trains_with_mixup_on_soft_targets():
    X, y = vision.datasets.load_digits()
    tr.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Dense(64, 64), nn.ReLU(), nn.Dense(64, 10))
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                      augment=augment.MixUp(0.2, num_classes=10))  # fmt: skip
    history = trainer.fit(X[:600], y[:600], val=(X[600:900], y[600:900]), epochs=5, verbose=0)
    assert history["val_accuracy"][-1] > 0.85
    assert 0 < history["accuracy"][-1] <= 1
