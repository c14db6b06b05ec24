"""Batch normalization lets the same net train at a learning rate where it otherwise diverges.

A 64-256-256-256-10 MLP on digits, SGD with momentum 0.9 at lr = 1.0, over several seeds. The plot
shows the training loss of every step: without batch norm it explodes and becomes NaN (each such
run is drawn up to its last finite step, a cross marks where it diverged) or stalls at chance;
with BatchNorm1d after each hidden Dense layer the loss falls. The finding counts the diverged
runs and gives the validation accuracy with batch norm as a mean with its 95% interval over the
seeds.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from common import finding, parse, save

import tinyreg as tr
from tinyreg import datasets as data
from tinyreg import nn, optim, vision
from tinyreg.experiments.stats import mean_interval
from tinyreg.nn import functional as F
from tinyreg.utils.data import DataLoader, TensorDataset


def build(batch_norm):
    layers, width = [], 64
    for _ in range(3):
        layers += [nn.Dense(width, 256)] + ([nn.BatchNorm1d(256)] if batch_norm else [])
        layers += [nn.ReLU()]
        width = 256
    return nn.Sequential(*layers, nn.Dense(width, 10))


def train(batch_norm, seed, train_set, val, epochs, lr):
    """Step by step, recording every step's loss; stops at the first non-finite loss. Returns
    (losses, validation accuracy or None if it diverged)."""
    tr.manual_seed(seed)
    model = build(batch_norm)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported, not warned
        for _ in range(epochs):
            model.train()
            batches = DataLoader(
                TensorDataset(*train_set),
                batch_size=64,
                shuffle=True,
                drop_last=True,
                generator=np.random.default_rng(seed),
            )
            for xb, yb in batches:
                loss = F.cross_entropy(model(tr.tensor(xb)), yb)
                if not math.isfinite(loss.item()):
                    return losses, None
                losses.append(loss.item())
                opt.zero_grad()
                loss.backward()
                opt.step()
    model.eval()
    with tr.no_grad():
        predicted = model(tr.tensor(val[0])).data.argmax(axis=1)
    return losses, float((predicted == val[1]).mean())


def main():
    args = parse(__doc__)
    X, y = vision.datasets.load_digits()
    seeds = [args.seed + k for k in range(2 if args.quick else 4)]
    epochs, lr = (3 if args.quick else 15), 1.0
    runs = {False: [], True: []}
    for seed in seeds:
        train_set, val, _ = data.train_val_test_split(X.reshape(len(X), -1), y, seed=seed)
        for batch_norm in runs:
            runs[batch_norm].append(train(batch_norm, seed, train_set, val, epochs, lr))
    diverged = {bn: sum(acc is None for _, acc in runs[bn]) for bn in runs}
    accuracies = [acc for _, acc in runs[True] if acc is not None]
    bn_accuracy = mean_interval(accuracies) if accuracies else None
    plain_steps = [len(losses) + 1 for losses, acc in runs[False] if acc is None]
    plain_finished = [round(acc, 3) for _, acc in runs[False] if acc is not None]
    finding(
        f"at lr={lr}, {len(seeds)} seeds: without batch norm {diverged[False]} of {len(seeds)} "
        f"runs diverged (loss NaN at steps {plain_steps}; validation accuracy of the others: "
        f"{plain_finished or 'none'}); with batch norm "
        f"{diverged[True]} diverged and validation accuracy is "
        f"{bn_accuracy.format() if bn_accuracy else 'n/a'} (mean [95% interval])",
        diverged_without_bn=diverged[False],
        diverged_with_bn=diverged[True],
        acc_with_bn=bn_accuracy.mean if bn_accuracy else 0.0,
    )
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for batch_norm, color in ((False, "tab:red"), (True, "tab:blue")):
        for k, (losses, acc) in enumerate(runs[batch_norm]):
            label = ("batch norm" if batch_norm else "no batch norm") if k == 0 else None
            ax.plot(np.arange(1, len(losses) + 1), losses, color=color, lw=0.8, label=label)
            if acc is None:  # the next step's loss was NaN
                ax.plot(len(losses), losses[-1] if losses else 1.0, "x", color=color, ms=9)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("training loss (log)")
    ax.set_title(f"SGD lr = {lr}, momentum 0.9; x = next loss NaN", fontsize=9)
    ax.legend()
    save(fig, args, "batchnorm.png")


if __name__ == "__main__":
    main()
