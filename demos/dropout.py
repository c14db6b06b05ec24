"""Dropout makes an over-parameterized net generalize better from few, noisy points.

A 2-256-256-2 MLP is trained on 60 noisy two-moons points, with and without dropout (p = 0.5 after
each hidden layer), for several data draws. The finding is the validation accuracy (mean of the
last 20 epochs) with and without dropout, averaged over the draws, and the paired difference with
its 95% interval. The plot shows, for the first draw, both nets' decision regions with the 60
training points: without dropout the boundary bends around single noisy points; with dropout it
is smoother.
"""

import matplotlib.pyplot as plt
import numpy as np
from common import finding, parse, save

import tinyreg as tr
from tinyreg import datasets as data
from tinyreg import nn, optim
from tinyreg.experiments.stats import paired_interval
from tinyreg.training import Trainer


def run(p, train, val, epochs, seed, hidden=256):
    tr.manual_seed(seed)
    layers = [nn.Dense(2, hidden), nn.ReLU()] + ([nn.Dropout(p)] if p else [])
    layers += [nn.Dense(hidden, hidden), nn.ReLU()] + ([nn.Dropout(p)] if p else [])
    model = nn.Sequential(*layers, nn.Dense(hidden, 2))
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    history = trainer.fit(*train, val=val, epochs=epochs, batch_size=16, seed=seed, verbose=0)
    return trainer, history


def regions(ax, trainer, points, labels, title):
    """Shade the predicted class over the plane and draw the training points on top."""
    xs, ys = np.meshgrid(np.linspace(-2.0, 3.0, 200), np.linspace(-1.6, 2.1, 160))
    grid = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
    probability = trainer.predict(grid)
    probability = np.exp(probability - probability.max(axis=1, keepdims=True))
    probability = (probability[:, 1] / probability.sum(axis=1)).reshape(xs.shape)
    ax.contourf(xs, ys, probability, levels=[0, 0.5, 1], colors=["#f4c7c3", "#c6dbef"])
    ax.contour(xs, ys, probability, levels=[0.5], colors="black", linewidths=1)
    ax.scatter(*points.T, c=np.where(labels == 1, "tab:blue", "tab:red"), s=14, edgecolor="k",
               linewidths=0.4)  # fmt: skip
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def main():
    args = parse(__doc__)
    seeds = [args.seed, args.seed + 1] if args.quick else [args.seed + k for k in range(5)]
    epochs, last = (150 if args.quick else 300), slice(-20, None)
    accuracy = {0.0: [], 0.5: []}
    first = {}
    for seed in seeds:
        X, y = data.make_moons(1000, noise=0.35, seed=seed)
        (Xtr, ytr), val, _ = data.train_val_test_split(X, y, val=0.4, test=0.1, seed=seed)
        train = (Xtr[:60], ytr[:60])
        for p in accuracy:
            trainer, history = run(p, train, val, epochs, seed)
            accuracy[p].append(float(np.mean(history["val_accuracy"][last])))
            first.setdefault(p, (trainer, train))
    without, with_dropout = np.mean(accuracy[0.0]), np.mean(accuracy[0.5])
    difference = paired_interval(accuracy[0.5], accuracy[0.0])
    finding(
        f"validation accuracy on 60 training points, mean of {len(seeds)} data draws: "
        f"{without:.3f} without dropout, {with_dropout:.3f} with p=0.5 (difference "
        f"{difference.format(3, sign=True)}, 95% interval over draws)",
        val_acc_without=without,
        val_acc_with=with_dropout,
        seeds=len(seeds),
    )
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
    for ax, p in zip(axes, (0.0, 0.5), strict=True):
        trainer, (points, labels) = first[p]
        name = "no dropout" if p == 0 else "dropout p = 0.5"
        regions(ax, trainer, points, labels, f"{name}: val acc {accuracy[p][0]:.3f}")
    save(fig, args, "dropout.png")


if __name__ == "__main__":
    main()
