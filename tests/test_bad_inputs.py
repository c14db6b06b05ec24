"""Hostile inputs across the public API.

Every case asserts the exception type, that the message names the argument (or data set) and the
bad value, and, where there is state, that the model, optimizer or files are unchanged after the
error. NumPy scalars where Python numbers belong are accepted (their own cases at the end).
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import datasets as data
from tinyreg import nn, optim, reg
from tinyreg.app import cli
from tinyreg.nn import functional as F
from tinyreg.training import EarlyStopping, ModelCheckpoint, Trainer
from tinyreg.utils.data import DataLoader, TensorDataset
from tinyreg.vision import transforms as augment


def small_model():
    tr.manual_seed(0)
    return nn.Sequential(nn.Dense(4, 8), nn.ReLU(), nn.Dense(8, 3))


def small_data(n=12, features=4, seed=0):
    r = np.random.default_rng(seed)
    return r.standard_normal((n, features)).astype(np.float32), r.integers(0, 3, n)


def snapshot(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def assert_same(model, before):
    after = model.state_dict()
    assert after.keys() == before.keys()
    for key in before:
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)


def trainer_for(model=None, **kwargs):
    model = model or small_model()
    return Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), **kwargs)


# --------------------------------------------------------------------------- constructor cases
# (id, call, exception type, substrings the message must contain)
M = small_model()
CONSTRUCTORS = [
    # layers
    ("dense-in-str", lambda: nn.Dense("4", 2), TypeError, ["in_features", "'4'"]),
    ("dense-in-zero", lambda: nn.Dense(0, 2), ValueError, ["in_features", "0"]),
    ("dense-in-float", lambda: nn.Dense(2.5, 2), TypeError, ["in_features", "2.5"]),
    ("dense-in-bool", lambda: nn.Dense(True, 2), TypeError, ["in_features", "True"]),
    ("dense-out-negative", lambda: nn.Dense(3, -1), ValueError, ["out_features", "-1"]),
    ("dense-init", lambda: nn.Dense(3, 2, init="xavier"), ValueError, ["init", "'xavier'"]),
    ("dense-bias", lambda: nn.Dense(3, 2, bias="yes"), TypeError, ["bias", "'yes'"]),
    ("dropout-negative", lambda: nn.Dropout(-0.1), ValueError, ["p", "-0.1"]),
    ("dropout-above-one", lambda: nn.Dropout(1.5), ValueError, ["p", "1.5"]),
    ("dropout-nan", lambda: nn.Dropout(float("nan")), ValueError, ["p", "nan"]),
    ("dropout-str", lambda: nn.Dropout("0.5"), TypeError, ["p", "'0.5'"]),
    ("dropout-none", lambda: nn.Dropout(None), TypeError, ["p", "None"]),
    ("bn-features", lambda: nn.BatchNorm1d(0), ValueError, ["num_features", "0"]),
    ("bn-features-float", lambda: nn.BatchNorm1d(3.0), TypeError, ["num_features", "3.0"]),
    ("bn-eps-zero", lambda: nn.BatchNorm1d(3, eps=0), ValueError, ["eps", "0"]),
    ("bn-eps-nan", lambda: nn.BatchNorm1d(3, eps=float("nan")), ValueError, ["eps", "nan"]),
    ("bn-momentum", lambda: nn.BatchNorm1d(3, momentum=2), ValueError, ["momentum", "2"]),
    (
        "bn-momentum-str",
        lambda: nn.BatchNorm1d(3, momentum="0.1"),
        TypeError,
        ["momentum", "'0.1'"],
    ),
    ("bn-affine", lambda: nn.BatchNorm1d(3, affine="no"), TypeError, ["affine", "'no'"]),
    ("sequential-item", lambda: nn.Sequential(nn.ReLU(), 3), TypeError, ["layer 1", "int"]),
    ("module-to", lambda: small_model().to("tpu"), ValueError, ["device", "'tpu'"]),
    ("module-to-int", lambda: small_model().to(np.int32), ValueError, ["floating dtype"]),
    # penalties
    ("l1-negative", lambda: reg.L1(-1.0), ValueError, ["lam", "-1.0"]),
    ("l1-nan", lambda: reg.L1(float("nan")), ValueError, ["lam", "nan"]),
    ("l1-inf", lambda: reg.L1(float("inf")), ValueError, ["lam", "inf"]),
    ("l1-str", lambda: reg.L1("0.1"), TypeError, ["lam", "'0.1'"]),
    ("l2-none", lambda: reg.L2(None), TypeError, ["lam", "None"]),
    ("en-l1", lambda: reg.ElasticNet(-1, 0.1), ValueError, ["l1", "-1"]),
    ("en-l2", lambda: reg.ElasticNet(0.1, "x"), TypeError, ["l2", "'x'"]),
    (
        "penalty-params-module",
        lambda: reg.L2(0.1, params=M),
        TypeError,
        ["params", "Module", "model.parameters()"],
    ),
    ("penalty-params-item", lambda: reg.L2(0.1, params=[1.0]), TypeError, ["params[0]", "float"]),
    ("penalty-call-str", lambda: reg.L2(0.1)("model"), TypeError, ["target", "str"]),
    ("prox-lr", lambda: reg.L1(0.1).prox_step(M.parameters(), -1), ValueError, ["lr", "-1"]),
    # optimizers
    ("sgd-lr-negative", lambda: optim.SGD(M.parameters(), lr=-0.1), ValueError, ["lr", "-0.1"]),
    ("sgd-lr-nan", lambda: optim.SGD(M.parameters(), lr=float("nan")), ValueError, ["lr", "nan"]),
    ("sgd-lr-inf", lambda: optim.SGD(M.parameters(), lr=float("inf")), ValueError, ["lr", "inf"]),
    ("sgd-lr-str", lambda: optim.SGD(M.parameters(), lr="0.1"), TypeError, ["lr", "'0.1'"]),
    (
        "sgd-momentum",
        lambda: optim.SGD(M.parameters(), momentum=-1),
        ValueError,
        ["momentum", "-1"],
    ),
    (
        "sgd-nesterov",
        lambda: optim.SGD(M.parameters(), nesterov=True),
        ValueError,
        ["nesterov", "momentum=0.0"],
    ),
    (
        "sgd-nesterov-str",
        lambda: optim.SGD(M.parameters(), momentum=0.9, nesterov="yes"),
        TypeError,
        ["nesterov", "'yes'"],
    ),
    (
        "sgd-wd",
        lambda: optim.SGD(M.parameters(), weight_decay=-1e-3),
        ValueError,
        ["weight_decay", "-0.001"],
    ),
    ("sgd-prox", lambda: optim.SGD(M.parameters(), prox="l1"), TypeError, ["prox", "str"]),
    ("sgd-module", lambda: optim.SGD(M, lr=0.1), TypeError, ["params", "model.parameters()"]),
    ("sgd-tensor", lambda: optim.SGD(M[0].weight, lr=0.1), TypeError, ["params", "Parameter"]),
    ("sgd-numbers", lambda: optim.SGD([1.0, 2.0], lr=0.1), TypeError, ["params[0]", "float"]),
    ("sgd-empty", lambda: optim.SGD([], lr=0.1), ValueError, ["empty parameter list"]),
    (
        "sgd-no-grad",
        lambda: optim.SGD([tr.tensor([1.0])], lr=0.1),
        ValueError,
        ["require grad", "(1,)"],
    ),
    (
        "sgd-duplicate",
        lambda: optim.SGD([M[0].weight, M[0].weight], lr=0.1),
        ValueError,
        ["more than once", "(4, 8)"],
    ),
    (
        "sgd-duplicate-groups",
        lambda: optim.SGD([{"params": [M[0].bias]}, {"params": [M[0].bias]}], lr=0.1),
        ValueError,
        ["more than once", "(8,)"],
    ),
    (
        "sgd-group-option",
        lambda: optim.SGD([{"params": M.parameters(), "lrate": 0.1}]),
        ValueError,
        ["unknown options", "lrate"],
    ),
    (
        "sgd-group-lr",
        lambda: optim.SGD([{"params": M.parameters(), "lr": -1.0}]),
        ValueError,
        ["lr", "-1.0"],
    ),
    ("sgd-group-no-params", lambda: optim.SGD([{"lr": 0.1}]), ValueError, ["'params'"]),
    (
        "adam-betas-short",
        lambda: optim.Adam(M.parameters(), betas=(0.9,)),
        ValueError,
        ["betas", "(0.9,)"],
    ),
    (
        "adam-beta1-one",
        lambda: optim.Adam(M.parameters(), betas=(1.0, 0.999)),
        ValueError,
        ["betas[0]", "1.0"],
    ),
    (
        "adam-beta2-negative",
        lambda: optim.Adam(M.parameters(), betas=(0.9, -0.1)),
        ValueError,
        ["betas[1]", "-0.1"],
    ),
    (
        "adam-betas-str",
        lambda: optim.Adam(M.parameters(), betas="ab"),
        ValueError,
        ["betas", "'ab'"],
    ),
    ("adam-eps", lambda: optim.Adam(M.parameters(), eps=-1e-8), ValueError, ["eps", "-1e-08"]),
    (
        "adamw-wd-nan",
        lambda: optim.AdamW(M.parameters(), weight_decay=float("nan")),
        ValueError,
        ["weight_decay", "nan"],
    ),
    # callbacks
    ("es-patience", lambda: EarlyStopping(patience=-1), ValueError, ["patience", "-1"]),
    ("es-patience-float", lambda: EarlyStopping(patience=2.5), TypeError, ["patience", "2.5"]),
    ("es-patience-str", lambda: EarlyStopping(patience="3"), TypeError, ["patience", "'3'"]),
    ("es-mode", lambda: EarlyStopping(mode="up"), ValueError, ["mode", "'up'"]),
    (
        "es-mode-auto-unknown",
        lambda: EarlyStopping(monitor="f1"),
        ValueError,
        ["'f1'", "mode='min'"],
    ),
    (
        "es-min-delta",
        lambda: EarlyStopping(min_delta=float("nan")),
        ValueError,
        ["min_delta", "nan"],
    ),
    ("es-monitor", lambda: EarlyStopping(monitor=3), TypeError, ["monitor", "int"]),
    (
        "es-start",
        lambda: EarlyStopping(start_from_epoch=-1),
        ValueError,
        ["start_from_epoch", "-1"],
    ),
    ("es-baseline", lambda: EarlyStopping(baseline="x"), TypeError, ["baseline", "'x'"]),
    (
        "es-restore",
        lambda: EarlyStopping(restore_best_weights="yes"),
        TypeError,
        ["restore_best_weights", "'yes'"],
    ),
    (
        "ckpt-placeholder",
        lambda: ModelCheckpoint("model-{step}.npz"),
        ValueError,
        ["model-{step}.npz", "placeholder"],
    ),
    (
        "ckpt-positional",
        lambda: ModelCheckpoint("model-{0}.npz"),
        ValueError,
        ["model-{0}.npz", "placeholder"],
    ),
    ("ckpt-path-type", lambda: ModelCheckpoint(3), TypeError, ["path", "int"]),
    ("ckpt-mode", lambda: ModelCheckpoint("m.npz", mode="bad"), ValueError, ["mode", "'bad'"]),
    (
        "ckpt-best-only",
        lambda: ModelCheckpoint("m.npz", save_best_only=1),
        TypeError,
        ["save_best_only", "1"],
    ),
    # data
    (
        "loader-batch-zero",
        lambda: DataLoader(TensorDataset(*small_data()), batch_size=0),
        ValueError,
        ["batch_size", "0"],
    ),
    (
        "loader-batch-float",
        lambda: DataLoader(TensorDataset(*small_data()), batch_size=2.0),
        TypeError,
        ["batch_size", "2.0"],
    ),
    (
        "loader-batch-str",
        lambda: DataLoader(TensorDataset(*small_data()), batch_size="8"),
        TypeError,
        ["batch_size", "'8'"],
    ),
    (
        "loader-shuffle",
        lambda: DataLoader(TensorDataset(*small_data()), shuffle="yes"),
        TypeError,
        ["shuffle", "'yes'"],
    ),
    (
        "loader-generator",
        lambda: DataLoader(TensorDataset(*small_data()), generator=-1),
        TypeError,
        ["generator", "-1"],
    ),
    (
        "dataset-rows",
        lambda: TensorDataset(np.zeros((3, 2)), np.zeros(4)),
        ValueError,
        ["4 rows", "has 3"],
    ),
    (
        "split-val",
        lambda: data.train_val_test_split(*small_data(), val=1.0),
        ValueError,
        ["val", "1.0"],
    ),
    (
        "split-test",
        lambda: data.train_val_test_split(*small_data(), test=-0.1),
        ValueError,
        ["test", "-0.1"],
    ),
    (
        "split-sum",
        lambda: data.train_val_test_split(*small_data(), val=0.6, test=0.5),
        ValueError,
        ["val + test", "0.6", "0.5"],
    ),
    (
        "split-seed",
        lambda: data.train_val_test_split(*small_data(), seed=-3),
        ValueError,
        ["seed", "-3"],
    ),
    ("moons-n", lambda: data.make_moons(n=1), ValueError, ["n", "1"]),
    ("moons-noise", lambda: data.make_moons(noise=-1.0), ValueError, ["noise", "-1.0"]),
    ("spirals-classes", lambda: data.make_spirals(classes=1), ValueError, ["classes", "1"]),
    ("poly-degree", lambda: data.polynomial_features(np.zeros(3), 0), ValueError, ["degree", "0"]),
    ("seed-negative", lambda: tr.manual_seed(-1), ValueError, ["seed", "-1"]),
    ("seed-float", lambda: tr.manual_seed(2.5), ValueError, ["seed", "2.5"]),
    ("seed-str", lambda: tr.manual_seed("0"), ValueError, ["seed", "'0'"]),
    ("seed-bool", lambda: tr.manual_seed(True), ValueError, ["seed", "True"]),
    # augmentation
    ("rotation-nan", lambda: augment.RandomRotation(float("nan")), ValueError, ["degrees", "nan"]),
    ("rotation-negative", lambda: augment.RandomRotation(-5), ValueError, ["degrees", "-5"]),
    ("rotation-inf", lambda: augment.RandomRotation(float("inf")), ValueError, ["degrees", "inf"]),
    ("rotation-order", lambda: augment.RandomRotation((10, 5)), ValueError, ["degrees", "(10, 5)"]),
    (
        "rotation-triple",
        lambda: augment.RandomRotation((1, 2, 3)),
        ValueError,
        ["degrees", "(1, 2, 3)"],
    ),
    ("rotation-str", lambda: augment.RandomRotation("10"), TypeError, ["degrees", "'10'"]),
    (
        "rotation-fill",
        lambda: augment.RandomRotation(10, fill=float("nan")),
        ValueError,
        ["fill", "nan"],
    ),
    ("rotation-seed", lambda: augment.RandomRotation(10, seed=-1), ValueError, ["seed", "-1"]),
    ("scale-zero", lambda: augment.RandomScale((0, 1)), ValueError, ["scale", "(0, 1)"]),
    ("scale-tiny", lambda: augment.RandomScale((1e-40, 1)), ValueError, ["scale", "1e-40"]),
    ("scale-negative", lambda: augment.RandomScale((-1, 1)), ValueError, ["scale", "(-1, 1)"]),
    ("scale-order", lambda: augment.RandomScale((2, 1)), ValueError, ["scale", "(2, 1)"]),
    ("scale-huge", lambda: augment.RandomScale((1, 1e7)), ValueError, ["scale", "10000000.0"]),
    (
        "affine-scale",
        lambda: augment.RandomAffine(10, scale=(0, 1)),
        ValueError,
        ["scale", "(0, 1)"],
    ),
    ("flip-p", lambda: augment.RandomFlip(p=2), ValueError, ["p", "2"]),
    (
        "flip-horizontal",
        lambda: augment.RandomFlip(horizontal="yes"),
        TypeError,
        ["horizontal", "'yes'"],
    ),
    ("crop-zero", lambda: augment.RandomCrop(0), ValueError, ["size", "0"]),
    ("crop-tuple", lambda: augment.RandomCrop((3,)), ValueError, ["size", "(3,)"]),
    ("crop-str", lambda: augment.RandomCrop("8"), TypeError, ["size", "'8'"]),
    ("crop-float", lambda: augment.RandomCrop(2.5), TypeError, ["size", "2.5"]),
    ("crop-padding", lambda: augment.RandomCrop(4, padding=-1), ValueError, ["padding", "-1"]),
    (
        "crop-padding-float",
        lambda: augment.RandomCrop(4, padding=1.5),
        TypeError,
        ["padding", "1.5"],
    ),
    (
        "compose-item",
        lambda: augment.Compose([augment.RandomFlip(), 3]),
        TypeError,
        ["transforms[1]", "int"],
    ),
    (
        "compose-string",
        lambda: augment.Compose(["flip"]),
        TypeError,
        ["transforms[0]", "'flip'"],
    ),
    (
        "compose-single",
        lambda: augment.Compose(augment.RandomFlip()),
        TypeError,
        ["transforms", "RandomFlip"],
    ),
    (
        "augment-object-images",
        lambda: augment.RandomFlip()(np.array([[["a"]]], dtype=object)),
        TypeError,
        ["images", "object"],
    ),
    (
        "augment-5d-images",
        lambda: augment.RandomFlip()(np.zeros((1, 1, 1, 4, 4))),
        ValueError,
        ["images", "(1, 1, 1, 4, 4)"],
    ),
    (
        "crop-too-big",
        lambda: augment.RandomCrop(9)(np.zeros((2, 4, 4))),
        ValueError,
        ["(9, 9)", "(4, 4)"],
    ),
    # engine
    (
        "gradcheck-eps",
        lambda: tr.gradcheck(lambda x: x, [np.ones(2)], eps=0),
        ValueError,
        ["eps", "0"],
    ),
    (
        "gradcheck-atol",
        lambda: tr.gradcheck(lambda x: x, [np.ones(2)], atol=-1),
        ValueError,
        ["atol", "-1"],
    ),
    ("gradcheck-fn", lambda: tr.gradcheck("f", [np.ones(2)]), TypeError, ["fn", "str"]),
    (
        "gradcheck-inputs",
        lambda: tr.gradcheck(lambda x: x, np.ones(2)),
        TypeError,
        ["inputs", "ndarray"],
    ),
    ("tensor-dtype", lambda: tr.tensor([1.0], dtype="str"), TypeError, ["dtype", "'str'"]),
    ("tensor-complex", lambda: tr.tensor(np.ones(2, complex)), TypeError, ["complex128"]),
    ("tensor-object", lambda: tr.tensor(np.array([None, 1])), TypeError, ["object"]),
    ("tensor-strings", lambda: tr.tensor(["a", "b"]), TypeError, ["<U1"]),
    ("tensor-ragged", lambda: tr.tensor([[1.0], [1.0, 2.0]]), TypeError, ["list"]),
    (
        "tensor-requires-grad",
        lambda: tr.tensor([1.0], requires_grad="yes"),
        TypeError,
        ["requires_grad", "'yes'"],
    ),
    (
        "tensor-int-grad",
        lambda: tr.tensor([1, 2], requires_grad=True),
        TypeError,
        ["requires_grad", "int64"],
    ),
    ("tensor-device", lambda: tr.tensor([1.0], device="gpu"), ValueError, ["device", "'gpu'"]),
    ("zeros-negative", lambda: tr.zeros(2, -1), ValueError, ["shape", "-1"]),
    ("ones-float", lambda: tr.ones(2.5), ValueError, ["shape", "2.5"]),
    ("randn-int", lambda: tr.randn(2, dtype=np.int32), ValueError, ["dtype", "int32"]),
    (
        "transpose-range",
        lambda: tr.ones(2, 3).transpose(0, 2),
        IndexError,
        ["transpose", "dimension 2", "2-d"],
    ),
    (
        "transpose-negative-range",
        lambda: tr.ones(2, 3).transpose(-3, 0),
        IndexError,
        ["transpose", "-3"],
    ),
    ("permute-repeat", lambda: tr.ones(2, 3).permute(0, 0), ValueError, ["permute", "(0, 0)"]),
    ("permute-short", lambda: tr.ones(2, 3).permute(1), ValueError, ["permute", "(1,)"]),
    ("sum-dim", lambda: tr.ones(2, 3).sum(dim=5), IndexError, ["sum", "dimension 5"]),
    ("mean-dim-twice", lambda: tr.ones(2, 3).mean(dim=(1, -1)), ValueError, ["mean", "twice"]),
    ("sum-dim-and-axis", lambda: tr.ones(2, 3).sum(dim=0, axis=1), TypeError, ["dim or axis"]),
    ("pow-str", lambda: tr.ones(2) ** "2", TypeError, ["exponent", "'2'"]),
    ("pow-list", lambda: tr.ones(2) ** [1, 2], TypeError, ["exponent", "[1, 2]"]),
    ("reshape", lambda: tr.ones(2, 3).reshape(4, 2), ValueError, ["(2, 3)", "(4, 2)"]),
    ("add-shapes", lambda: tr.ones(2, 3) + tr.ones(4), ValueError, ["(2, 3)", "(4,)"]),
    ("matmul-shapes", lambda: tr.ones(2, 3) @ tr.ones(2, 3), ValueError, ["matmul", "(2, 3)"]),
    ("dense-input", lambda: nn.Dense(4, 2)(tr.ones(3, 5)), ValueError, ["(N, 4)", "(3, 5)"]),
    ("bn-input", lambda: nn.BatchNorm1d(4)(tr.ones(3, 5)), ValueError, ["(N, 4)", "(3, 5)"]),
    ("bn-one-sample", lambda: nn.BatchNorm1d(4)(tr.ones(1, 4)), ValueError, ["(1, 4)"]),
    (
        "backward-nonscalar",
        lambda: (tr.ones(2, requires_grad=True) * 2).backward(),
        RuntimeError,
        ["scalar", "(2,)"],
    ),
    ("f-dropout-p", lambda: F.dropout(tr.ones(3), 1.2), ValueError, ["p", "1.2"]),
    (
        "f-dropout-training",
        lambda: F.dropout(tr.ones(3), 0.5, "yes"),
        TypeError,
        ["training", "'yes'"],
    ),
    (
        "ce-float-labels",
        lambda: F.cross_entropy(tr.ones(2, 3), np.array([0.0, 1.0])),
        ValueError,
        ["labels", "float64"],
    ),
    (
        "ce-range",
        lambda: F.cross_entropy(tr.ones(2, 3), np.array([0, 3])),
        ValueError,
        ["labels", "[0, 3)", "[0, 3]"],
    ),
    (
        "ce-shape",
        lambda: F.cross_entropy(tr.ones(2, 3), np.array([0])),
        ValueError,
        ["labels", "(2,)", "(1,)"],
    ),
    (
        "ce-reduction",
        lambda: F.cross_entropy(tr.ones(2, 3), np.array([0, 1]), reduction="avg"),
        ValueError,
        ["reduction", "'avg'"],
    ),
    (
        "mse-shape",
        lambda: F.mse_loss(tr.ones(2, 3), np.ones((3, 2))),
        ValueError,
        ["(2, 3)", "(3, 2)"],
    ),
    (
        "mse-target-str",
        lambda: F.mse_loss(tr.ones(2), np.array(["a", "b"])),
        TypeError,
        ["target", "<U1"],
    ),
    (
        "bce-shape",
        lambda: F.binary_cross_entropy_with_logits(tr.ones(2), np.ones(3)),
        ValueError,
        ["(2,)", "(3,)"],
    ),
    # trainer construction
    (
        "trainer-loss-name",
        lambda: Trainer(M, "hinge", optim.SGD(M.parameters())),
        ValueError,
        ["loss", "'hinge'"],
    ),
    (
        "trainer-loss-type",
        lambda: Trainer(M, 3, optim.SGD(M.parameters())),
        TypeError,
        ["loss", "int"],
    ),
    (
        "trainer-model",
        lambda: Trainer("m", "cross_entropy", optim.SGD(M.parameters())),
        TypeError,
        ["model", "str"],
    ),
    (
        "trainer-optimizer",
        lambda: Trainer(M, "cross_entropy", "sgd"),
        TypeError,
        ["optimizer", "str"],
    ),
    ("trainer-penalty", lambda: trainer_for(penalty="l2"), TypeError, ["penalty", "str"]),
    ("trainer-augment", lambda: trainer_for(augment=3), TypeError, ["augment", "int"]),
    (
        "trainer-callback",
        lambda: trainer_for(callbacks=[object()]),
        TypeError,
        ["callbacks[0]", "object"],
    ),
    (
        "trainer-callbacks-single",
        lambda: trainer_for(callbacks=EarlyStopping()),
        TypeError,
        ["callbacks", "EarlyStopping"],
    ),
    (
        "trainer-metrics-str",
        lambda: trainer_for(metrics="accuracy"),
        TypeError,
        ["metrics", "'accuracy'"],
    ),
    ("trainer-metrics", lambda: trainer_for(metrics=["f1"]), ValueError, ["metrics", "f1"]),
    ("trainer-device", lambda: trainer_for(device="gpu"), ValueError, ["device", "'gpu'"]),
    ("trainer-monitor", lambda: trainer_for(monitor="f1"), ValueError, ["'f1'"]),
]


@pytest.mark.parametrize("name,call,error,needles", CONSTRUCTORS, ids=[c[0] for c in CONSTRUCTORS])
def test_constructor_and_function_arguments(name, call, error, needles):
    before = snapshot(M)
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    assert_same(M, before)  # the shared model is never touched by a failing call


# --------------------------------------------------------------------------- fit: data and args
X_OK, Y_OK = small_data()


def with_nan(index):
    X = X_OK.copy()
    X[index] = np.nan
    return X


FIT_CASES = [
    ("epochs-zero", dict(epochs=0), ValueError, ["epochs", "0"]),
    ("epochs-float", dict(epochs=1.5), TypeError, ["epochs", "1.5"]),
    ("epochs-str", dict(epochs="10"), TypeError, ["epochs", "'10'"]),
    ("batch-zero", dict(batch_size=0), ValueError, ["batch_size", "0"]),
    ("seed-negative", dict(seed=-1), ValueError, ["seed", "-1"]),
    ("verbose", dict(verbose=5), ValueError, ["verbose", "5"]),
    ("shuffle", dict(shuffle="no"), TypeError, ["shuffle", "'no'"]),
    ("val-single", dict(val=(X_OK,)), TypeError, ["val", "pair"]),
    ("x-nan", dict(X=with_nan((3, 1))), ValueError, ["training X", "nan", "(3, 1)"]),
    (
        "x-inf",
        dict(X=np.where(np.arange(48).reshape(12, 4) == 5, np.inf, X_OK)),
        ValueError,
        ["training X", "inf", "(1, 1)"],
    ),
    ("val-nan", dict(val=(with_nan((0, 2)), Y_OK)), ValueError, ["validation X", "nan", "(0, 2)"]),
    ("x-object", dict(X=X_OK.astype(object)), TypeError, ["training X", "object"]),
    ("x-complex", dict(X=X_OK.astype(complex)), TypeError, ["training X", "complex128"]),
    ("x-strings", dict(X=X_OK.astype(str)), TypeError, ["training X", "<U"]),
    ("y-float", dict(y=Y_OK.astype(float)), TypeError, ["training y", "float64"]),
    ("y-range", dict(y=Y_OK + 5), ValueError, ["training labels", "[0, 3)"]),
    ("y-shape", dict(y=np.zeros((12, 3), np.int64)), ValueError, ["training y", "(12, 3)"]),
    ("rows", dict(y=Y_OK[:5]), ValueError, ["training X has 12 rows", "5"]),
    ("empty", dict(X=X_OK[:0], y=Y_OK[:0]), ValueError, ["training set is empty", "(0, 4)"]),
    ("val-empty", dict(val=(X_OK[:0], Y_OK[:0])), ValueError, ["validation set is empty"]),
    (
        "features",
        dict(X=np.zeros((12, 10), np.float32)),
        ValueError,
        ["training set", "(12, 10)", "(N, 4)"],
    ),
    (
        "val-features",
        dict(val=(np.zeros((5, 7), np.float32), Y_OK[:5])),
        ValueError,
        ["validation set", "(5, 7)", "(N, 4)"],
    ),
    ("val-labels", dict(val=(X_OK, Y_OK - 1)), ValueError, ["validation labels", "-1"]),
    (
        "monitor-without-val",
        dict(trainer=dict(monitor="val_loss")),
        ValueError,
        ["monitor", "'val_loss'", "val="],
    ),
]


@pytest.mark.parametrize("name,kwargs,error,needles", FIT_CASES, ids=[c[0] for c in FIT_CASES])
def test_fit_checks_everything_before_the_first_step(name, kwargs, error, needles):
    kwargs = dict(kwargs)
    model = small_model()
    trainer = trainer_for(model, **kwargs.pop("trainer", {}))
    before = snapshot(model)
    X, y = kwargs.pop("X", X_OK), kwargs.pop("y", Y_OK)
    with pytest.raises(error) as info:
        trainer.fit(X, y, **{"epochs": 2, "verbose": 0, **kwargs})
    for needle in needles:
        assert needle in str(info.value), f"{needle!r} not in {str(info.value)!r}"
    assert_same(model, before)
    assert trainer.history.epoch == []


@pytest.mark.parametrize("convert", [
    lambda X: X.astype(np.float16), lambda X: (X > 0), lambda X: (X * 10).astype(np.int32),
    lambda X: X.tolist(), lambda X: tr.tensor(X), lambda X: X.astype(np.float64),
])  # fmt: skip
def test_fit_accepts_what_pytorch_or_keras_users_pass(convert):
    model = small_model()
    history = trainer_for(model).fit(convert(X_OK), list(Y_OK), epochs=1, verbose=0)
    assert history.epoch == [0] and all(p.dtype == np.float32 for p in model.parameters())


# --------------------------------------------------------------------------- state: all or nothing
def test_load_state_dict_is_all_or_nothing():
    model = small_model()
    before = snapshot(model)
    good = snapshot(small_model())
    cases = [
        ({**good, "2.bias": np.zeros(4)}, ValueError, ["'2.bias'", "(4,)", "(3,)"]),
        ({**good, "2.weight": np.full((8, 3), "x")}, TypeError, ["'2.weight'", "<U1"]),
        ({**good, "2.weight": np.ones((8, 3), complex)}, TypeError, ["'2.weight'", "complex"]),
        ({k: v for k, v in good.items() if k != "0.bias"}, KeyError, ["missing", "0.bias"]),
        ({**good, "extra": np.zeros(1)}, KeyError, ["unexpected", "extra"]),
        ({**good, 3: np.zeros(1)}, TypeError, ["keys", "3"]),
        ([("0.weight", good["0.weight"])], TypeError, ["state", "list"]),
    ]
    for state, error, needles in cases:
        with pytest.raises(error) as info:
            model.load_state_dict(state)
        for needle in needles:
            assert needle in str(info.value), f"{needle!r} not in {str(info.value)!r}"
        assert_same(model, before)
    model.load_state_dict({k: v.astype(np.float64).tolist() for k, v in good.items()})
    assert_same(model, good)  # lists and float64 are converted, as torch's copy_ does
    assert all(p.dtype == np.float32 for p in model.parameters())


def optimizer_pair(kind="adam"):
    model = small_model()
    opt = optim.Adam(model.parameters()) if kind == "adam" else optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9)  # fmt: skip
    for p in model.parameters():
        p.grad = tr.tensor(np.ones_like(p.data))
    opt.step()
    return model, opt


@pytest.mark.parametrize("mutate,error,needles", [
    (lambda s: s["state"][0].update(exp_avg=np.zeros(3)), ValueError,
     ["state[0]['exp_avg']", "(3,)", "(4, 8)"]),
    (lambda s: s["state"][1].update(exp_avg_sq=np.zeros((8, 8))), ValueError,
     ["state[1]['exp_avg_sq']", "(8, 8)"]),
    (lambda s: s["state"][0].pop("step"), ValueError, ["state[0]", "step"]),
    (lambda s: s["state"][0].update(step=-2), ValueError, ["step", "-2"]),
    (lambda s: s["state"].update({9: s["state"][0]}), ValueError, ["state index", "9"]),
    (lambda s: s["state"][0].update(exp_avg=np.full((4, 8), "a")), TypeError,
     ["exp_avg", "<U1"]),
    (lambda s: s["param_groups"].append(s["param_groups"][0]), ValueError,
     ["groups do not match"]),
    (lambda s: s["param_groups"][0].update(lr=-1.0), ValueError, ["lr", "-1.0"]),
    (lambda s: s["param_groups"][0].update(betas=(0.9, 2.0)), ValueError, ["betas[1]", "2.0"]),
    (lambda s: s["param_groups"][0].update(momentum=0.9), ValueError,
     ["unknown group options", "momentum"]),
    (lambda s: s.pop("state"), ValueError, ["'state'"]),
])  # fmt: skip
def test_optimizer_load_state_dict_is_all_or_nothing(mutate, error, needles):
    model, opt = optimizer_pair()
    saved = opt.state_dict()
    bad = opt.state_dict()
    mutate(bad)
    with pytest.raises(error) as info:
        opt.load_state_dict(bad)
    for needle in needles:
        assert needle in str(info.value), f"{needle!r} not in {str(info.value)!r}"
    now = opt.state_dict()
    assert now["param_groups"] == saved["param_groups"]
    for i in saved["state"]:
        for key, value in saved["state"][i].items():
            np.testing.assert_array_equal(now["state"][i][key], value)


def test_sgd_state_of_the_wrong_shape_is_an_error_not_a_segfault():
    model, opt = optimizer_pair("sgd")
    bad = opt.state_dict()
    bad["state"][0]["momentum_buffer"] = np.zeros(5, np.float32)
    with pytest.raises(ValueError, match=r"momentum_buffer.*\(5,\).*\(4, 8\)"):
        opt.load_state_dict(bad)


def test_step_checks_every_gradient_shape_before_updating_any_parameter():
    model = small_model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    before = snapshot(model)
    params = model.parameters()
    for p in params:
        p.grad = tr.tensor(np.ones_like(p.data))
    params[-1].grad.data = np.ones(5, np.float32)  # the last one is wrong: no parameter may move
    with pytest.raises(ValueError, match=r"shape \(3,\) has a gradient of shape \(5,\)"):
        opt.step()
    assert_same(model, before)


# --------------------------------------------------------------------------- files
def test_checkpoint_problems_are_found_before_training(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    for path, needle in [(blocked / "ckpt.npz", str(blocked / "ckpt.npz")),
                         (tmp_path, str(tmp_path))]:  # fmt: skip
        model = small_model()
        before = snapshot(model)
        trainer = trainer_for(model, callbacks=[ModelCheckpoint(path, monitor="loss")])
        with pytest.raises(OSError) as info:
            trainer.fit(X_OK, Y_OK, epochs=2, verbose=0)
        assert needle in str(info.value) and ".tmp" not in str(info.value)
        assert_same(model, before)
        assert trainer.history.epoch == []


def test_save_and_load_errors_name_the_users_path_and_change_nothing(tmp_path):
    model = small_model()
    before = snapshot(model)
    blocked = tmp_path / "file"
    blocked.write_text("x")
    with pytest.raises(OSError, match=str(blocked / "m.npz")):
        tr.save(model, blocked / "m.npz")
    with pytest.raises(IsADirectoryError, match="folder"):
        tr.save(model, tmp_path)
    with pytest.raises(TypeError, match="obj is of type object"):
        tr.save(object(), tmp_path / "m.npz")
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        tr.load(model, tmp_path / "missing.npz")
    (tmp_path / "bad.npz").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="bad.npz"):
        tr.load(model, tmp_path / "bad.npz")
    np.savez(tmp_path / "shapes.npz", **{k: np.zeros(2) for k in before})
    with pytest.raises(ValueError, match="shape"):
        tr.load(model, tmp_path / "shapes.npz")
    np.savez(tmp_path / "pickled.npz", **{k: np.array([{}], dtype=object) for k in before})
    with pytest.raises(ValueError, match="pickled.npz"):
        tr.load(model, tmp_path / "pickled.npz")  # never unpickled
    assert_same(model, before)
    assert sorted(os.listdir(tmp_path)) == ["bad.npz", "file", "pickled.npz", "shapes.npz"]


# --------------------------------------------------------------------------- accepted NumPy scalars
def test_numpy_scalars_are_accepted_and_stored_as_python_numbers():
    layer = nn.Dense(np.int64(4), np.int32(3))
    assert layer.weight.shape == (4, 3) and type(layer.in_features) is int
    assert nn.Dropout(np.float32(0.25)).p == 0.25
    assert nn.BatchNorm1d(np.int64(3), eps=np.float32(1e-3), momentum=np.float64(0.2)).momentum
    assert reg.L1(np.float32(0.5)).l1 == 0.5 and reg.ElasticNet(np.float64(0.1), 0).l1 == 0.1
    opt = optim.SGD(layer.parameters(), lr=np.float32(0.5), momentum=np.float64(0.9))
    assert type(opt.param_groups[0]["lr"]) is float and opt.param_groups[0]["lr"] == 0.5
    adam = optim.Adam(layer.parameters(), betas=(np.float32(0.5), np.float64(0.75)))
    assert adam.param_groups[0]["betas"] == (0.5, 0.75)
    assert EarlyStopping(patience=np.int64(2), min_delta=np.float32(0.5)).patience == 2
    assert DataLoader(TensorDataset(*small_data()), batch_size=np.int64(5)).batch_size == 5
    assert augment.RandomRotation(np.float32(10)).degrees == (-10.0, 10.0)
    assert augment.RandomCrop(np.int64(3), padding=np.int64(1)).size == (3, 3)
    model = small_model()
    history = trainer_for(model).fit(X_OK, Y_OK, epochs=np.int64(1), batch_size=np.int64(4),
                                     seed=np.int64(3), verbose=0)  # fmt: skip
    assert history.epoch == [0]
    tr.manual_seed(np.int64(5))


# --------------------------------------------------------------------------- the command line
@pytest.mark.parametrize("argv,needle", [
    (["compare", "--epochs", "0"], "--epochs: expected an integer >= 1, got 0"),
    (["compare", "--epochs", "ten"], "--epochs: expected an integer >= 1, got 'ten'"),
    (["compare", "--seed", "-1"], "--seed: expected an integer >= 0, got -1"),
    (["compare", "--runs", "l1,nonsense"], "unknown runs ['nonsense']"),
    (["compare", "--dataset", "imagenet"], "invalid choice: 'imagenet'"),
    (["compare", "--device", "tpu"], "invalid choice: 'tpu'"),
    (["compare", "--bogus"], "unrecognized arguments: --bogus"),
    (["bench", "--steps", "0"], "--steps: expected an integer >= 1, got 0"),
    (["bench", "--size", "-5"], "--size: expected an integer >= 1, got -5"),
    (["bench", "nothing"], "invalid choice: 'nothing'"),
])  # fmt: skip
def test_cli_flags_fail_in_one_line_with_status_2(argv, needle, capsys):
    try:
        code = cli.main(argv)
    except SystemExit as exit_info:
        code = exit_info.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_cli_unwritable_out_fails_before_any_work(tmp_path, capsys):
    blocked = tmp_path / "file"
    blocked.write_text("x")
    for argv in (["compare", "--out", str(blocked / "report")],
                 ["bench", "--json", str(blocked / "r.json")]):  # fmt: skip
        assert cli.main(argv) == 2
        captured = capsys.readouterr()
        assert str(blocked) in captured.err and len(captured.err.strip().splitlines()) == 1
        assert captured.out == ""  # no work started
    assert blocked.read_text() == "x"


def test_cli_in_a_fresh_process_prints_no_traceback():
    result = subprocess.run([sys.executable, "-m", "tinyreg.app.cli", "compare", "--epochs", "-3"],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "tinyreg compare: error: argument --epochs: expected an integer >= 1, got -3"
    ]
