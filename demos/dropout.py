"""Dropout makes an over-parameterized net generalize better from few, noisy points.

A 2-256-256-2 MLP fits 60 noisy two-moons points perfectly and draws a wiggly boundary around the
noise. The same net with dropout (p = 0.5 after each hidden layer) cannot rely on any single unit,
so its boundary is smoother and its validation accuracy higher (averaged over data draws).
"""

import matplotlib.pyplot as plt
import numpy as np
from common import finding, parse, save

import tinyreg as tr
from tinyreg import data, nn, optim
from tinyreg.train import Trainer


def run(p, train, val, epochs, hidden=256):
    tr.manual_seed(0)
    layers = [nn.Dense(2, hidden), nn.ReLU()] + ([nn.Dropout(p)] if p else [])
    layers += [nn.Dense(hidden, hidden), nn.ReLU()] + ([nn.Dropout(p)] if p else [])
    model = nn.Sequential(*layers, nn.Dense(hidden, 2))
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    return trainer.fit(*train, val=val, epochs=epochs, batch_size=16, seed=0, verbose=0)


def main():
    args = parse(__doc__)
    seeds = [args.seed, args.seed + 1] if args.quick else [args.seed + k for k in range(4)]
    epochs, last = 300, slice(-20, None)  # average the last 20 epochs: one epoch is noisy
    accuracy = {0.0: [], 0.5: []}
    histories = {}
    for seed in seeds:
        X, y = data.make_moons(1000, noise=0.35, seed=seed)
        (Xtr, ytr), val, _ = data.train_val_test_split(X, y, val=0.4, test=0.1, seed=seed)
        for p in accuracy:
            history = run(p, (Xtr[:60], ytr[:60]), val, epochs)
            accuracy[p].append(np.mean(history["val_accuracy"][last]))
            histories.setdefault(p, history)
    without, with_dropout = np.mean(accuracy[0.0]), np.mean(accuracy[0.5])
    finding(
        f"validation accuracy after {epochs} epochs on 60 training points (mean of "
        f"{len(seeds)} data draws): {without:.3f} without dropout, {with_dropout:.3f} with p=0.5",
        val_acc_without=without,
        val_acc_with=with_dropout,
    )
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for p, color in ((0.0, "tab:red"), (0.5, "tab:blue")):
        name = "no dropout" if p == 0 else "dropout 0.5"
        ax.plot(histories[p]["accuracy"], color=color, ls="--", lw=0.8, label=f"{name}: train")
        ax.plot(histories[p]["val_accuracy"], color=color, label=f"{name}: validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=7)
    save(fig, args, "dropout.png")


if __name__ == "__main__":
    main()
