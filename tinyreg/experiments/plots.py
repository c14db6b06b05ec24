"""Plots for learning and teaching regularization (matplotlib, safe on headless machines).

Each function returns a matplotlib Figure and, given `path`, also saves it as a PNG.
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")  # no screen: render to files

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import (  # noqa: E402
    FormatStrFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
)

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


BASELINE = "none"  # the run every other run is drawn against


def _epoch_axis(ax: Any, last: int) -> None:
    """An x axis of epochs counted from 1 up to `last`: whole-number ticks only, 1 among them."""
    ticks = MaxNLocator(nbins=5, integer=True).tick_values(1, last)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
    ax.set_xticks([1, *(int(t) for t in ticks if 1 + step / 2 <= t <= last)])
    pad = min(0.5, 0.03 * (last - 1)) or 0.5  # nothing left of epoch 0.5
    ax.set_xlim(1 - pad, last + pad)


def _seed_mean(per_seed: Sequence[Mapping[str, Sequence[float]]], metric: str
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """`_band` of one run's `metric`, cut at the epoch that at least half its seeds reached."""
    lengths = sorted(len(c[metric]) for c in per_seed)
    shown = lengths[(len(lengths) - 1) // 2]
    epochs, mean, half = _band([c[metric] for c in per_seed])
    return epochs[:shown], mean[:shown], half[:shown]


def _value_range(means: np.ndarray, log: bool) -> tuple[float, float]:
    """The y range every panel shares: the means' range with a margin (a factor 1.15 on a log
    axis, 8% of the range on a linear one); the bands may reach past it."""
    low, high = float(np.nanmin(means)), float(np.nanmax(means))
    if log:
        return low / 1.15, high * 1.15
    margin = 0.08 * (high - low) or 0.05 * abs(high) or 0.05
    return low - margin, high + margin


def curves_over_seeds(
    curves: Mapping[str, Sequence[Mapping[str, Sequence[float]]]],
    metric: str = "val_loss",
    path: str | os.PathLike | None = None,
) -> Figure:
    """Small multiples of one validation curve: one panel per run, titled with its name, its mean
    over seeds (line) and 95% interval (band, per epoch: mean +- t(0.975, n - 1) * sd / sqrt(n)
    over the n seeds that reached it; no band from one seed) drawn against the baseline run
    "none" (the same grey in every panel), all panels on one x and one y range, epochs counted
    from 1 with whole-number ticks. A run is drawn up to the epoch that half of its seeds
    reached (early stopping ends some sooner). `curves[run]` holds one dict of per-epoch series
    per seed and `metric` names the series; a loss ("...loss") is drawn on a log axis. Without a
    "none" run each panel shows its run alone and the figure says so."""
    if not curves or not all(curves.values()):
        raise ValueError(f"curves_over_seeds: curves must map each run to a non-empty list of "
                         f"per-seed curves, got runs {list(curves)} with "
                         f"{[len(v) for v in curves.values()]} seeds")  # fmt: skip
    missing = sorted(name for name, per_seed in curves.items()
                     if any(metric not in c for c in per_seed))  # fmt: skip
    if missing:
        raise ValueError(f"curves_over_seeds: metric {metric!r} is not in the curves of {missing}")
    drawn = {name: _seed_mean(per_seed, metric) for name, per_seed in curves.items()}
    baseline = drawn.get(BASELINE)
    names = [n for n in curves if n != BASELINE] or [BASELINE]
    cols = len(names) if len(names) <= 3 else math.ceil(math.sqrt(len(names)))
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.1 * cols, 2.5 * rows + 0.5), sharex=True,
                             sharey=True, squeeze=False)  # fmt: skip
    flat = list(axes.ravel())
    for ax in flat[len(names) :]:
        fig.delaxes(ax)
    log = metric.endswith("loss")
    bottom, top = _value_range(np.concatenate([mean for _, mean, _ in drawn.values()]), log)
    style = {"color": "tab:blue", "lw": 1.3}
    base_style = {"color": "0.4", "lw": 1.1, "ls": "--"}
    for index, (ax, name) in enumerate(zip(flat, names, strict=False)):
        pairs = [(drawn[name], style, 0.3, name)]
        if baseline is not None and name != BASELINE:
            pairs.insert(0, (baseline, base_style, 0.12, BASELINE))
        for (epochs, mean, half), look, alpha, label in pairs:
            ax.plot(epochs, mean, label=label, **look)
            if half.any():  # clipped at the bottom edge: a log axis has no place for <= 0
                ax.fill_between(epochs, np.maximum(mean - half, bottom), mean + half,
                                color=look["color"], alpha=alpha, lw=0)  # fmt: skip
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=8, labelbottom=index + cols >= len(names))
    _epoch_axis(flat[0], max(len(e) for e, _, _ in drawn.values()))
    for ax in flat[max(len(names) - cols, 0) : len(names)]:
        ax.set_xlabel("epoch", fontsize=8)
    label = metric.replace("val_", "validation ").replace("_", " ") + (" (log)" if log else "")
    for ax in flat[: len(names) : cols]:
        ax.set_ylabel(label, fontsize=8)
    if log:
        flat[0].set_yscale("log")
        flat[0].yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
        flat[0].yaxis.set_major_formatter(FormatStrFormatter("%g"))
        flat[0].yaxis.set_minor_formatter(NullFormatter())
    flat[0].set_ylim(bottom, top)
    if baseline is not None:
        handles = [Line2D([], [], **style), Line2D([], [], **base_style)]
        flat[0].legend(handles, ["the run in the title", "none (no regularization)"], fontsize=7,
                       loc="upper right")  # fmt: skip
        note = "each run (solid) against none (dashed)"
    else:
        note = 'no "none" run in this comparison: each panel shows its run alone'
    fig.suptitle(f"{note}\nmean over seeds, band = 95% interval; a run that stops early ends at "
                 "the epoch half of its seeds reached", fontsize=9)  # fmt: skip
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
    _epoch_axis(ax, max((len(s) for per_seed in series.values() for s in per_seed), default=1))
    ax.set_xlabel("epoch")
    ax.set_ylabel("fraction of weights exactly 0")
    if len(without) < len(series):
        ax.legend(fontsize=7)
    if without:
        ax.set_title(textwrap.fill("no exact zeros: " + ", ".join(without), 90), fontsize=7)
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
