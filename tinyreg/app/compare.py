"""`tinyreg compare`: one network, trained once per regularization technique, side by side.

The default run trains an MLP on a few hundred of the bundled digits (with all 1,347 training
images digits is too easy for regularization to matter; with 300 the unregularized net overfits
visibly) and reports, per technique: test accuracy, the train-minus-validation accuracy gap, the
fraction of exactly-zero weights, the mean |w|, the epochs run and the best epoch, and the time.
It writes report/report.md with the same table and PNG plots.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import augment as A
from .. import data, nn, optim, plots, reg
from ..callbacks import EarlyStopping, History
from ..random import manual_seed
from ..train import Trainer


@dataclass(frozen=True)
class Run:
    """One technique: which pieces of regularization the shared recipe switches on."""

    name: str
    description: str
    penalty: Callable[[], reg.Penalty] | None = None
    prox: Callable[[], reg.Penalty] | None = None
    dropout: float = 0.0
    batch_norm: bool = False
    early_stopping: bool = False
    augment: bool = False


RUNS = [
    Run("none", "no regularization"),
    Run("l1", "L1 penalty 1e-4 (subgradient)", penalty=lambda: reg.L1(1e-4)),
    Run("l2", "L2 penalty 1e-3", penalty=lambda: reg.L2(1e-3)),
    Run("elastic_net", "elastic net l1=1e-4, l2=1e-3",
        penalty=lambda: reg.ElasticNet(1e-4, 1e-3)),
    Run("l1_prox", "L1 1e-3 as a proximal step (exact zeros)", prox=lambda: reg.L1(1e-3)),
    Run("dropout", "dropout p=0.3 after each hidden layer", dropout=0.3),
    Run("batch_norm", "BatchNorm1d after each hidden Dense", batch_norm=True),
    Run("early_stopping", "early stopping, patience 15, best weights restored",
        early_stopping=True),
    Run("augmentation", "random rotation +-10 deg and scaling 0.95-1.05 per image",
        augment=True),
    Run("all", "L2 1e-3 + dropout 0.2 + batch norm + early stopping + augmentation",
        penalty=lambda: reg.L2(1e-3), dropout=0.2, batch_norm=True, early_stopping=True,
        augment=True),
]  # fmt: skip


@dataclass
class Dataset:
    name: str
    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    classes: int
    images: bool
    note: str


def load_dataset(name: str, seed: int, train_size: int | None) -> Dataset:
    """The data set of a compare run: split with `seed`, optionally only `limit` training rows."""
    if name == "digits":
        X, y = data.load_digits()
        (Xtr, ytr), val, test = data.train_val_test_split(X, y, val=0.2, test=0.2, seed=seed)
        n = train_size or 200
        note = (f"digits: {n} of {len(Xtr)} training images (a small training set, so that "
                "overfitting and what each technique does about it are visible), "
                f"{len(val[0])} validation, {len(test[0])} test")  # fmt: skip
        return Dataset(name, (Xtr[:n], ytr[:n]), val, test, 10, True, note)
    makers = {"moons": lambda: data.make_moons(600, noise=0.3, seed=seed),
              "spirals": lambda: data.make_spirals(900, noise=0.25, seed=seed)}  # fmt: skip
    if name not in makers:
        raise ValueError(f"--dataset must be one of digits, moons, spirals; got {name!r}")
    X, y = makers[name]()
    train, val, test = data.train_val_test_split(X, y, val=0.25, test=0.25, seed=seed)
    if train_size:
        train = (train[0][:train_size], train[1][:train_size])
    note = f"{name}: {len(train[0])} training, {len(val[0])} validation, {len(test[0])} test points"
    return Dataset(name, train, val, test, int(y.max()) + 1, False, note)


def build_model(run: Run, inputs: int, classes: int, hidden: int) -> nn.Module:
    """The MLP every run trains (with dropout and batch norm where the run asks)."""
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


def augmentation() -> A.Transform:
    """Mild on purpose: on 8x8 digits a one-pixel crop shift or 15 degrees already hurts."""
    return A.RandomAffine(10, scale=(0.95, 1.05))


@dataclass
class Result:
    run: Run
    history: History
    model: nn.Module
    test_accuracy: float
    gap: float
    zero_fraction: float
    mean_abs_weight: float
    epochs_run: int
    best_epoch: int
    seconds: float


def train_run(run: Run, dataset: Dataset, epochs: int, seed: int, hidden: int, lr: float,
              device: str = "cpu") -> Result:  # fmt: skip
    """Train one run on the data set and measure it on the test set."""
    manual_seed(seed)
    X, y = dataset.train
    inputs = int(np.prod(X.shape[1:]))
    model = build_model(run, inputs, dataset.classes, hidden).to(device)
    prox = run.prox() if run.prox else None
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9, prox=prox)
    callbacks = (
        [EarlyStopping(patience=15, restore_best_weights=True)] if run.early_stopping else []
    )
    use_augment = run.augment and dataset.images
    trainer = Trainer(model, "cross_entropy", opt, penalty=run.penalty() if run.penalty else None,
                      augment=augmentation() if use_augment else None,
                      callbacks=callbacks, device=device)  # fmt: skip
    start = time.perf_counter()
    history = trainer.fit(X, y, val=dataset.val, epochs=epochs, batch_size=32, seed=seed,
                          verbose=0)  # fmt: skip
    seconds = time.perf_counter() - start
    train_accuracy, val_accuracy, test_accuracy = (
        trainer.evaluate(*split)["accuracy"] for split in (dataset.train, dataset.val, dataset.test)
    )
    model.to("cpu")  # statistics and plots read the weights on the host
    weights = reg.penalized(model)
    best = history.best_epoch if run.early_stopping else int(np.argmin(history["val_loss"]))
    return Result(run, history, model, test_accuracy, train_accuracy - val_accuracy,
                  reg.sparsity(weights),
                  float(np.mean(np.abs(np.concatenate([w.data.ravel() for w in weights])))),
                  len(history.epoch), best, seconds)  # fmt: skip


def format_table(results: list[Result]) -> str:
    """The results as a Markdown table."""
    lines = ["| run | test acc | train-val gap | zero weights | mean abs(w) | epochs | best epoch "
             "| seconds |", "|---|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for r in results:
        lines.append(f"| {r.run.name} | {r.test_accuracy:.3f} | {r.gap:+.3f} | "
                     f"{r.zero_fraction:.1%} | {r.mean_abs_weight:.4f} | {r.epochs_run} | "
                     f"{r.best_epoch} | {r.seconds:.1f} |")  # fmt: skip
    return "\n".join(lines)


def write_report(results: list[Result], dataset: Dataset, out: Path, seed: int,
                 epochs: int) -> None:  # fmt: skip
    """Write report.md and its figures into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    by_name = {r.run.name: r for r in results}
    figures = []
    for r in results:
        path = out / f"curves_{r.run.name}.png"
        plots.learning_curves(r.history, title=f"{r.run.name}: {r.run.description}", path=path)
        figures.append(path.name)
    histogram_runs = {n: by_name[n].model for n in ("none", "l1", "l2", "l1_prox") if n in by_name}
    if histogram_runs:
        plots.weight_histograms(histogram_runs, path=out / "weight_histograms.png")
        figures.append("weight_histograms.png")
    plots.sparsity_curves({r.run.name: r.history for r in results}, path=out / "sparsity.png")
    figures.append("sparsity.png")
    if dataset.images:
        batch = dataset.train[0][:8]
        plots.augmentation_grid(batch, augmentation()(batch), path=out / "augmentation.png")
        figures.append("augmentation.png")
    lines = [f"# tinyreg compare ({dataset.name}, seed {seed}, up to {epochs} epochs)", "",
             dataset.note + ".", "", "Model: MLP with two hidden layers, ReLU, SGD momentum 0.9, "
             "batch 32. Each run switches on one technique:", ""]  # fmt: skip
    lines += [f"- **{r.run.name}**: {r.run.description}" for r in results]
    lines += ["", format_table(results), "",
              "train-val gap: training minus validation accuracy of the final (or restored) "
              "model, both in eval mode. zero weights: fraction of Dense weights exactly 0. "
              "best epoch: lowest validation loss.", ""]  # fmt: skip
    lines += [f"![{name}]({name})" for name in figures]
    (out / "report.md").write_text("\n".join(lines) + "\n")


def main(
    dataset_name: str = "digits",
    chosen: list[str] | None = None,
    epochs: int = 150,
    seed: int = 0,
    out: str | os.PathLike = "report",
    device: str = "cpu",
    quick: bool = False,
) -> int:
    """Train every chosen run (names from RUNS, all by default), print the table, write the
    report; returns the exit code. The command line checks the arguments (cli.py)."""
    known = {r.name: r for r in RUNS}
    chosen = list(known) if chosen is None else chosen
    if quick:
        epochs = min(epochs, 3)
    dataset = load_dataset(dataset_name, seed, 120 if quick else None)
    hidden = 32 if quick else 256
    print(f"tinyreg compare: {dataset.note}; up to {epochs} epochs per run")
    results = []
    for i, name in enumerate(chosen, 1):
        run = known[name]
        if run.augment and not dataset.images and run.name == "augmentation":
            print(f"[{i}/{len(chosen)}] {name}: skipped (augmentation needs images)")
            continue
        result = train_run(run, dataset, epochs, seed, hidden, lr=0.05, device=device)
        results.append(result)
        print(f"[{i}/{len(chosen)}] {name:<15} test acc {result.test_accuracy:.3f}  "
              f"gap {result.gap:+.3f}  zeros {result.zero_fraction:.1%}  "
              f"({result.seconds:.1f} s)", flush=True)  # fmt: skip
    print()
    print(format_table(results))
    write_report(results, dataset, Path(out), seed, epochs)
    print(f"\nreport written to {Path(out) / 'report.md'}")
    return 0
