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

from .callbacks import History  # noqa: E402
from .nn import Module  # noqa: E402
from .reg import penalized, sparsity  # noqa: E402
from .validate import unwrap  # noqa: E402


def _finish(fig: Figure, path: str | os.PathLike | None) -> Figure:
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=90)
        plt.close(fig)
    return fig


def learning_curves(
    history: History, title: str = "", path: str | os.PathLike | None = None
) -> Figure:
    """Train and validation loss (and accuracy, if recorded) per epoch, with the best epoch and
    the early-stopping epoch marked."""
    metrics = [m for m in ("loss", "accuracy") if m in history.history]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        ax.plot(history.epoch, history[metric], label=f"train {metric}")
        if f"val_{metric}" in history.history:
            ax.plot(history.epoch, history[f"val_{metric}"], label=f"val {metric}")
        if history.best_epoch is not None:
            ax.axvline(history.best_epoch, color="green", ls="--", lw=1, label="best epoch")
        if history.stopped_epoch:
            ax.axvline(history.stopped_epoch, color="red", ls=":", lw=1, label="stopped")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def _weights(source: Module | np.ndarray) -> np.ndarray:
    if isinstance(source, Module):
        return np.concatenate([p.data.ravel() for p in penalized(source)])
    return np.asarray(source).ravel()


def weight_histograms(
    models: Mapping[str, Module | np.ndarray], bins: int = 60, path: str | os.PathLike | None = None
) -> Figure:
    """One histogram of penalized weights per model: L1 piles weights at exactly zero, L2
    shrinks them towards zero without reaching it. The share of exact zeros is in each title."""
    fig, axes = plt.subplots(1, len(models), figsize=(3.6 * len(models), 3), squeeze=False,
                             sharey=False)  # fmt: skip
    for ax, (name, source) in zip(axes[0], models.items(), strict=True):
        w = _weights(source)
        ax.hist(w, bins=bins, color="tab:blue")
        ax.set_title(f"{name}: {sparsity([w]):.0%} exactly 0", fontsize=9)
        ax.set_xlabel("weight")
        ax.set_yscale("log")
    return _finish(fig, path)


def sparsity_curves(
    histories: Mapping[str, History], path: str | os.PathLike | None = None
) -> Figure:
    """Fraction of exactly-zero penalized weights per epoch, one line per run."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for name, history in histories.items():
        ax.plot(history.epoch, history["sparsity"], label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("fraction of weights == 0")
    ax.legend(fontsize=7)
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
