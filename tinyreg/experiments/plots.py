"""Plots for learning and teaching regularization (matplotlib, safe on headless machines).

Each function returns a matplotlib Figure and, given `path`, also saves it as a PNG.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")  # no screen: render to files

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..nn import Module  # noqa: E402
from ..reg import penalized, sparsity  # noqa: E402
from ..validate import unwrap  # noqa: E402
from .stats import Interval, t_quantile_975  # noqa: E402


def _finish(fig: Figure, path: str | os.PathLike | None) -> Figure:
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=90)
        plt.close(fig)
    return fig


def _weights(source: Module | np.ndarray) -> np.ndarray:
    if isinstance(source, Module):
        return np.concatenate([p.data.ravel() for p in penalized(source)])
    return np.asarray(source).ravel()


def weight_histograms(
    models: Mapping[str, Module | np.ndarray], bins: int = 60, path: str | os.PathLike | None = None
) -> Figure:
    """One histogram of penalized weights per model, counts on a log axis so the tails and the
    exact zeros show: the nonzero weights in blue and the exact zeros as one red bar at 0. L1 as
    a proximal step piles weights at exactly zero; its subgradient and L2 shrink them towards
    zero without reaching it."""
    fig, axes = plt.subplots(1, len(models), figsize=(3.6 * len(models), 3), squeeze=False,
                             sharey=True)  # fmt: skip
    for ax, (name, source) in zip(axes[0], models.items(), strict=True):
        w = _weights(source)
        nonzero = w[w != 0]
        edges = np.histogram_bin_edges(nonzero if nonzero.size else w, bins=bins)
        ax.hist(nonzero, bins=edges, color="tab:blue", label="nonzero")
        zeros = int(np.count_nonzero(w == 0))
        if zeros:
            ax.bar(0.0, zeros, width=edges[1] - edges[0], color="tab:red", label="exactly 0")
            ax.legend(fontsize=7)
        ax.set_title(f"{name}: {sparsity([w]):.0%} exactly 0", fontsize=9)
        ax.set_xlabel("weight")
        ax.set_yscale("log")
    axes[0][0].set_ylabel("count (log)")
    return _finish(fig, path)


def _band(series: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(epochs from 1, mean, half-width of the 95% interval) over runs of unequal length; each
    epoch uses the runs that reached it (early stopping ends some sooner)."""
    length = max(len(s) for s in series)
    table = np.full((len(series), length), np.nan)
    for row, values in zip(table, series, strict=True):
        row[: len(values)] = values
    counts = np.sum(~np.isnan(table), axis=0)
    mean = np.nanmean(table, axis=0)
    spread = np.zeros(length)
    several = counts > 1
    if several.any():
        sd = np.nanstd(table[:, several], axis=0, ddof=1)
        spread[several] = (
            [t_quantile_975(n - 1) for n in counts[several]] * sd / np.sqrt(counts[several])
        )
    return np.arange(1, length + 1), mean, spread


def curves_over_seeds(
    curves: Mapping[str, Sequence[Mapping[str, Sequence[float]]]],
    path: str | os.PathLike | None = None,
) -> Figure:
    """Validation loss and accuracy of every run in one figure: per run the mean over seeds
    (line) and its 95% interval (band), epochs counted from 1, up to the epoch that half of the
    run's seeds reached. `curves[run]` holds one dict of per-epoch series ("val_loss",
    "val_accuracy") per seed."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    colors = plt.get_cmap("tab10")
    for k, (name, per_seed) in enumerate(curves.items()):
        lengths = sorted(len(c["val_loss"]) for c in per_seed)
        shown = lengths[(len(lengths) - 1) // 2]  # epochs that at least half the seeds reached
        for ax, key in zip(axes, ("val_loss", "val_accuracy"), strict=True):
            epochs, mean, half = (a[:shown] for a in _band([c[key] for c in per_seed]))
            ax.plot(epochs, mean, color=colors(k % 10), lw=1.3, label=name)
            ax.fill_between(epochs, mean - half, mean + half, color=colors(k % 10), alpha=0.15)
    for ax, label in zip(axes, ("validation loss", "validation accuracy"), strict=True):
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
    axes[0].set_yscale("log")
    axes[1].legend(fontsize=7, ncol=2, loc="lower right")
    fig.suptitle(
        "mean over seeds, band = 95% interval; runs that stop early are drawn up to the "
        "epoch half of their seeds reached",
        fontsize=9,
    )
    return _finish(fig, path)


def forest(
    differences: Mapping[str, Interval], xlabel: str, path: str | os.PathLike | None = None
) -> Figure:
    """A forest plot: one row per run, its mean difference and 95% interval; rows whose interval
    excludes 0 are drawn in a strong color, the others in grey."""
    names = list(differences)
    fig, ax = plt.subplots(figsize=(6, 0.4 * len(names) + 1.2))
    for row, name in enumerate(names):
        d = differences[name]
        color = ("tab:green" if d.mean > 0 else "tab:red") if d.excludes_zero else "grey"
        if d.n > 1:
            ax.plot([d.low, d.high], [row, row], color=color, lw=2)
        ax.plot(d.mean, row, "o", color=color)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    return _finish(fig, path)


def sparsity_curves(
    series: Mapping[str, Sequence[Sequence[float]]], path: str | os.PathLike | None = None
) -> Figure:
    """Fraction of exactly-zero penalized weights per epoch (from 1), mean over seeds, one line
    per run that has any zeros; runs that never have one are named in the title instead."""
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    without = []
    for name, per_seed in series.items():
        if max((max(s, default=0.0) for s in per_seed), default=0.0) == 0:
            without.append(name)
            continue
        epochs, mean, _ = _band(per_seed)
        ax.plot(epochs, mean, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("fraction of weights exactly 0")
    if len(without) < len(series):
        ax.legend(fontsize=7)
    if without:
        ax.set_title("no exact zeros: " + ", ".join(without), fontsize=7)
    return _finish(fig, path)


def image_grid(rows: Sequence[np.ndarray], labels: Sequence[str],
               path: str | os.PathLike | None = None) -> Figure:  # fmt: skip
    """A grid of grey images, one row per batch (e.g. originals above augmented copies)."""
    count = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), count, figsize=(1.1 * count, 1.2 * len(rows)),
                             squeeze=False)  # fmt: skip
    for row, (images, label) in enumerate(zip(rows, labels, strict=True)):
        for col in range(count):
            ax = axes[row][col]
            ax.axis("off")
            if col < len(images):
                image = images[col]
                ax.imshow(image[0] if image.ndim == 3 else image, cmap="gray_r")
        axes[row][0].set_title(label, fontsize=8, loc="left")
    return _finish(fig, path)


def augmentation_grid(batch: Any, augmented: Any, count: int = 8,
                      path: str | os.PathLike | None = None) -> Figure:  # fmt: skip
    """Originals (top row) above their augmented versions (bottom row): the first `count` images
    of two (N, H, W) batches (arrays or Tensors)."""
    return image_grid([np.asarray(unwrap(batch))[:count], np.asarray(unwrap(augmented))[:count]],
                      ["original", "augmented"], path)  # fmt: skip


def validation_curve(summaries: Sequence[Any], knob: str, log: bool = False,
                     path: str | os.PathLike | None = None) -> Figure:  # fmt: skip
    """Validation loss (mean and 95% interval over folds and seeds) against one knob, with the
    fraction of exact zeros on a second axis; other knobs at their best values."""
    valid = [s for s in summaries if s.trials]
    best = min(valid, key=lambda s: s.val_loss.mean)
    others = {k: v for k, v in best.point.items() if k != knob}
    rows = sorted((s for s in valid if all(s.point.get(k) == v for k, v in others.items())),
                  key=lambda s: s.point[knob])  # fmt: skip
    x = [s.point[knob] for s in rows]
    mean = np.array([s.val_loss.mean for s in rows])
    low = np.array([s.val_loss.low if s.val_loss.n > 1 else s.val_loss.mean for s in rows])
    high = np.array([s.val_loss.high if s.val_loss.n > 1 else s.val_loss.mean for s in rows])
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    ax.errorbar(x, mean, yerr=[mean - low, high - mean], marker="o", capsize=3, label="val loss")
    ax.set_xlabel(knob)
    ax.set_ylabel("validation loss")
    if log:
        ax.set_xscale("log")
    zeros = ax.twinx()
    zeros.plot(x, [s.zeros for s in rows], color="tab:red", ls="--", marker=".")
    zeros.set_ylabel("fraction of weights exactly 0", color="tab:red")
    ax.set_title(f"others at the best: {others}" if others else "mean and 95% interval",
                 fontsize=8)  # fmt: skip
    return _finish(fig, path)


def heat_map(summaries: Sequence[Any], first: str, second: str,
             path: str | os.PathLike | None = None) -> Figure:  # fmt: skip
    """Mean validation loss over a grid of two knobs."""
    xs = sorted({s.point[first] for s in summaries})
    ys = sorted({s.point[second] for s in summaries})
    table = np.full((len(ys), len(xs)), np.nan)
    for s in summaries:
        if s.trials:
            table[ys.index(s.point[second]), xs.index(s.point[first])] = s.val_loss.mean
    fig, ax = plt.subplots(figsize=(5.5, 4))
    image = ax.imshow(table, origin="lower", aspect="auto", cmap="viridis_r")
    ax.set_xticks(range(len(xs)), [f"{v:.2g}" for v in xs], rotation=45)
    ax.set_yticks(range(len(ys)), [f"{v:.2g}" for v in ys])
    ax.set_xlabel(first)
    ax.set_ylabel(second)
    fig.colorbar(image, label="mean validation loss")
    return _finish(fig, path)


def regularization_path(alphas: np.ndarray, coefs: np.ndarray, cv_mean: np.ndarray,
                        cv_se: np.ndarray, best: float, one_se: float, metric: str,
                        path: str | os.PathLike | None = None) -> Figure:  # fmt: skip
    """Left: every coefficient against alpha (log axis, exact zeros where the path leaves them);
    right: the cross-validated error with its standard error, the best alpha and the
    one-standard-error alpha marked."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for row in coefs:
        axes[0].plot(alphas, row, lw=1)
    axes[1].errorbar(alphas, cv_mean, yerr=cv_se, marker=".", capsize=2)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("alpha")
        ax.axvline(best, color="green", ls="--", lw=1, label="best")
        ax.axvline(one_se, color="red", ls=":", lw=1, label="one SE")
    axes[0].set_ylabel("coefficient")
    axes[1].set_ylabel(f"cross-validated {metric}")
    axes[1].legend(fontsize=8)
    return _finish(fig, path)
