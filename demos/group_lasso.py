"""Group lasso switches whole units off, and reg.prune removes them without changing the outputs.

A 64-128-128-10 MLP on 500 digits, SGD with momentum; with `prox=reg.GroupLasso(lam)` the
proximal step shrinks each unit's incoming weight vector as a block and sets whole columns
exactly to 0. `reg.prune(model)` then builds a smaller net without those units (folding their
constant outputs into the next bias); its outputs equal the original's. Over several seeds the
finding reports the units removed, the parameter count before and after, the largest output
difference between the pruned and the original net, and the test accuracy with and without the
penalty. The plot shows, for the first seed, every hidden unit's incoming-weight norm, sorted,
without and with the group lasso.
"""

import matplotlib.pyplot as plt
import numpy as np
from common import finding, parse, save

import tinyreg as tr
from tinyreg import datasets as data
from tinyreg import nn, optim, reg, vision
from tinyreg.experiments.stats import mean_interval
from tinyreg.training import Trainer


def train(lam, seed, split, epochs):
    tr.manual_seed(seed)
    model = nn.Sequential(nn.Dense(64, 128), nn.ReLU(), nn.Dense(128, 128), nn.ReLU(),
                          nn.Dense(128, 10))  # fmt: skip
    prox = reg.GroupLasso(lam) if lam else None
    trainer = Trainer(model, "cross_entropy",
                      optim.SGD(model.parameters(), lr=0.05, momentum=0.9, prox=prox))  # fmt: skip
    (X, y), val, test = split
    trainer.fit(X, y, val=val, epochs=epochs, batch_size=32, seed=seed, verbose=0)
    return model, trainer


def unit_norms(model):
    return np.concatenate([np.sqrt((m.weight.data**2).sum(axis=0)) for m in (model[0], model[2])])


def size(model):
    return sum(p.numel() for p in model.parameters())


def main():
    args = parse(__doc__)
    X, y = vision.datasets.load_digits()
    X = X.reshape(len(X), -1)
    seeds = [args.seed + k for k in range(2 if args.quick else 4)]
    epochs, lam = (15 if args.quick else 60), 2e-2
    removed, before, after, gaps, plain_acc, sparse_acc = [], [], [], [], [], []
    first = {}
    for seed in seeds:
        (Xtr, ytr), val, test = data.train_val_test_split(X, y, seed=seed)
        split = ((Xtr[:500], ytr[:500]), val, test)
        plain, plain_trainer = train(0.0, seed, split, epochs)
        sparse, sparse_trainer = train(lam, seed, split, epochs)
        sparse.eval()
        pruned = reg.prune(sparse)
        with tr.no_grad():
            gap = np.abs(pruned(tr.tensor(test[0])).data - sparse(tr.tensor(test[0])).data).max()
        removed.append(pruned[0].out_features + pruned[2].out_features)
        before.append(size(sparse))
        after.append(size(pruned))
        gaps.append(float(gap))
        plain_acc.append(plain_trainer.evaluate(*test)["accuracy"])
        sparse_acc.append(sparse_trainer.evaluate(*test)["accuracy"])
        first.setdefault("plain", unit_norms(plain))
        first.setdefault("sparse", unit_norms(sparse))
    kept = removed  # hidden units left after pruning
    finding(
        f"over {len(seeds)} seeds, GroupLasso({lam:g}) as a proximal step left {kept} of 256 "
        f"hidden units; pruning cut the parameters from {before[0]} to {after} and changed the "
        f"outputs by at most {max(gaps):.2e}; test accuracy {mean_interval(sparse_acc).format()} "
        f"with the group lasso, {mean_interval(plain_acc).format()} without",
        units_kept_max=max(kept),
        params_before=before[0],
        params_after_max=max(after),
        max_output_change=max(gaps),
        acc_group_lasso=float(np.mean(sparse_acc)),
        acc_plain=float(np.mean(plain_acc)),
    )
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    for name, color in (("plain", "tab:gray"), ("sparse", "tab:blue")):
        norms = np.sort(first[name])[::-1]
        label = "no penalty" if name == "plain" else f"GroupLasso({lam:g}), proximal"
        ax.plot(np.arange(1, len(norms) + 1), norms, color=color, label=label)
    ax.set_xlabel("hidden unit (sorted by norm)")
    ax.set_ylabel("norm of incoming weights")
    ax.set_title("units at exactly 0 are removed by reg.prune", fontsize=9)
    ax.legend()
    save(fig, args, "group_lasso.png")


if __name__ == "__main__":
    main()
