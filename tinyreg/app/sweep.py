"""`tinyreg sweep`: choose a regularization strength by cross-validation, on this machine's cores
or on a Dask cluster (tinyreg.sweep does the work; this module is the command).

Knobs of the built-in builder (the MLP of `tinyreg compare`, the CNN on mnist): l1, l2 (penalties),
l1_prox and group_lasso (proximal steps), max_norm, dropout, label_smoothing, lr.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from .. import optim, reg
from ..experiments import plots
from ..experiments.sweep import (
    choose,
    grid,
    load_results,
    parse_space,
    run_sweep,
    sample,
    summarize,
)
from ..nn import functional as F
from . import compare

KNOBS = ("l1", "l2", "l1_prox", "group_lasso", "max_norm", "dropout", "label_smoothing", "lr")


def build(params: dict[str, float], dataset: str, classes: int, inputs: int, hidden: int,
          epochs: int) -> tuple[Any, dict[str, Any]]:  # fmt: skip
    """The compare recipe with the point's knobs switched on: (model, Trainer keyword arguments
    plus epochs and batch_size)."""
    run = compare.Run("sweep", dropout=params.get("dropout", 0.0))
    model = (compare.build_cnn(run, classes) if dataset == "mnist"
             else compare.build_model(run, inputs, classes, hidden))  # fmt: skip
    makers = {"l1_prox": reg.L1, "group_lasso": reg.GroupLasso, "max_norm": reg.MaxNorm}
    prox = [make(params[name]) for name, make in makers.items() if params.get(name)]
    opt = optim.SGD(model.parameters(), lr=params.get("lr", 0.05), momentum=0.9, prox=prox or None)
    l1, l2 = params.get("l1", 0.0), params.get("l2", 0.0)
    smoothing = params.get("label_smoothing", 0.0)
    loss = partial(F.cross_entropy, label_smoothing=smoothing) if smoothing else "cross_entropy"
    return model, {"loss": loss, "optimizer": opt,
                   "penalty": reg.ElasticNet(l1, l2) if (l1 or l2) else None,
                   "epochs": epochs, "batch_size": 32}  # fmt: skip


def main(specs: list[str], dataset: str = "digits", k: int = 5, seeds: int = 1,
         budget: int | None = None, jobs: int | None = None, scheduler: str | None = None,
         dask_local: int | None = None, epochs: int = 50, train_size: int | None = None,
         out: str | os.PathLike = "sweep", resume: bool = False) -> int:  # fmt: skip
    """Run the sweep, print the best points and the choice, write the report; the exit code."""
    space = parse_space(specs, known=KNOBS)
    points = sample(space, budget) if budget else grid(space)
    data = compare.load_dataset(dataset, 0, train_size)
    X = np.concatenate([data.train[0], data.val[0]])
    y = np.concatenate([data.train[1], data.val[1]])
    inputs = int(np.prod(X.shape[1:]))
    builder = partial(build, dataset=dataset, classes=data.classes, inputs=inputs, hidden=64,
                      epochs=epochs)  # fmt: skip
    out = Path(out)
    print(f"tinyreg sweep: {len(points)} points x {k or 1} folds x {seeds} seeds on {dataset} "
          f"({len(X)} rows), {epochs} epochs per trial")  # fmt: skip
    if (jobs or os.cpu_count() or 1) > 1 or scheduler or dask_local:
        compare.warm_up(compare.Setting(dataset, 64, 8, 1))  # Numba's cache, before the workers
    client = cluster = None
    if dask_local:
        from dask.distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=dask_local, threads_per_worker=1, processes=True)
        client = Client(cluster)
    try:
        run_sweep(builder, points, X, y, out / "results.jsonl", k=k or None, seeds=seeds,
                  jobs=jobs, scheduler=client or scheduler, resume=resume)  # fmt: skip
    finally:
        if client is not None:
            client.close()
            cluster.close()
    records = load_results(out / "results.jsonl")
    summaries = summarize(records)
    knob = next(iter(space))
    best, one_se = choose(summaries, knob)
    table = format_table(summaries[:10])
    print(table)
    print(f"\nbest: {best.point} (val loss {best.val_loss.format(4)}); one-standard-error choice: "
          f"{one_se.point} (the largest {knob} within one SE of the best)")  # fmt: skip
    figures = [plots.validation_curve(summaries, knob, log=space[knob].log,
                                      path=out / "validation_curve.png")]  # fmt: skip
    names = ["validation_curve.png"]
    if len(space) == 2:
        second = list(space)[1]
        plots.heat_map(summaries, knob, second, path=out / "heat_map.png")
        names.append("heat_map.png")
    del figures
    lines = [f"# tinyreg sweep on {dataset}", "", f"{len(records)} trials; knobs: "
             + ", ".join(f"{n} ({len(s.values)} values{', log' if s.log else ''})"
                         for n, s in space.items()), "", table, "",
             f"Best: {best.point}. One-standard-error choice: {one_se.point}.", "",
             *(f"![{n}]({n})" for n in names)]  # fmt: skip
    (out / "report.md").write_text("\n".join(lines) + "\n")
    (out / "report.html").write_text(compare.html_page("\n".join(lines[: -len(names)]), names, out))
    print(f"report written to {out / 'report.md'} and {out / 'report.html'}")
    return 0


def format_table(summaries: list) -> str:
    """The best points as a Markdown table (mean [95% interval] over folds and seeds)."""
    lines = ["| point | val loss | val accuracy | exact zeros | trials | failed |",
             "|---|---|---|---:|---:|---:|"]  # fmt: skip
    for s in summaries:
        point = ", ".join(f"{k}={v:.3g}" for k, v in s.point.items())
        accuracy = s.val_accuracy.format() if s.val_accuracy else "-"
        lines.append(f"| {point} | {s.val_loss.format(4)} | {accuracy} | {s.zeros:.1%} | "
                     f"{s.trials} | {s.failures} |")  # fmt: skip
    return "\n".join(lines)


def main_path(model: str, k: int = 5, out: str | os.PathLike = "sweep") -> int:
    """`tinyreg sweep --model linear|logistic`: the L1 path with warm starts on a standardized
    scikit-learn data set (diabetes for linear, breast cancer for logistic), the alpha chosen by
    k-fold cross-validation (and by the one-standard-error rule), a plot of the path."""
    from sklearn import datasets

    from ..experiments.sweep import folds, linear_path, logistic_path

    loader = datasets.load_diabetes if model == "linear" else datasets.load_breast_cancer
    X, y = loader(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    splits = folds(len(X), k or 5, 0.2, seed=0)
    if model == "linear":
        alphas, coefs = linear_path(X, y, n_alphas=40)
    else:
        alphas, coefs, _ = logistic_path(X, y, n_alphas=25)
    errors = np.zeros((len(splits), len(alphas)))
    for f, (train, val) in enumerate(splits):
        if model == "linear":
            _, fold_coefs = linear_path(X[train], y[train], alphas)
            intercepts = y[train].mean() - X[train].mean(axis=0) @ fold_coefs
            errors[f] = ((X[val] @ fold_coefs + intercepts - y[val][:, None]) ** 2).mean(axis=0)
        else:
            _, fold_coefs, intercepts = logistic_path(X[train], y[train], alphas)
            logits = X[val] @ fold_coefs + intercepts
            errors[f] = np.mean(np.logaddexp(0, logits) - y[val][:, None] * logits, axis=0)
    mean, se = errors.mean(axis=0), errors.std(axis=0, ddof=1) / np.sqrt(len(splits))
    best = int(np.argmin(mean))
    one_se = int(np.flatnonzero(mean <= mean[best] + se[best])[0])  # the largest such alpha
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    metric = "MSE" if model == "linear" else "log loss"
    plots.regularization_path(alphas, coefs, mean, se, alphas[best], alphas[one_se], metric,
                              path=out / "path.png")  # fmt: skip
    summary = (f"{model} path over {len(alphas)} alphas, {len(splits)}-fold CV: best alpha "
               f"{alphas[best]:.4g} ({metric} {mean[best]:.4g} +- {se[best]:.2g}, "
               f"{int((coefs[:, best] != 0).sum())} of {X.shape[1]} features); one-SE alpha "
               f"{alphas[one_se]:.4g} ({int((coefs[:, one_se] != 0).sum())} features)")  # fmt: skip
    print(summary)
    (out / "report.md").write_text(f"# tinyreg sweep --model {model}\n\n{summary}.\n\n"
                                   "![path](path.png)\n")  # fmt: skip
    page = compare.html_page(f"# tinyreg sweep --model {model}\n\n{summary}.", ["path.png"], out)
    (out / "report.html").write_text(page)
    print(f"report written to {out / 'report.md'}")
    return 0
