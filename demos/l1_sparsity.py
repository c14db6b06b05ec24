"""L1 drives weights exactly to zero and picks out the informative features; L2 only shrinks.

A linear regression with 20 features of which 5 matter, fitted by full-batch gradient descent:
with the L1 proximal step (ISTA, `optim.SGD(prox=reg.L1(lam))`) the 15 useless coefficients
become exactly 0; with an L2 penalty they become small but not 0. The figure shows the
regularization paths (coefficient against lambda) for L1, L2 and elastic net.
"""

import matplotlib.pyplot as plt
import numpy as np
from common import finding, fit_linear, parse, save

from tinyreg import reg


def main():
    args = parse(__doc__)
    rng = np.random.default_rng(args.seed)
    n, d, informative = 100, 20, 5
    X = rng.standard_normal((n, d))
    true_w = np.zeros(d)
    true_w[:informative] = rng.choice([-1, 1], informative) * rng.uniform(1, 3, informative)
    y = X @ true_w + 0.5 * rng.standard_normal(n)
    steps = 300 if args.quick else 2000

    w_l1 = fit_linear(X, y, prox=reg.L1(0.3), steps=steps)
    w_l2 = fit_linear(X, y, penalty=reg.L2(0.3), steps=steps)
    selected = np.flatnonzero(w_l1)
    finding(
        f"L1 (proximal) set {np.sum(w_l1 == 0)} of {d - informative} useless weights exactly to 0 "
        f"and kept features {selected.tolist()}; L2 set {np.sum(w_l2 == 0)} to 0 (smallest "
        f"|w| {np.abs(w_l2).min():.3g}).",
        l1_zeros=np.sum(w_l1 == 0),
        l2_zeros=np.sum(w_l2 == 0),
        l1_informative_kept=np.sum(w_l1[:informative] != 0),
        informative=informative,
    )

    lams = np.logspace(-2, 0.6, 6 if args.quick else 16)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharey=True)
    paths = {
        "L1 (proximal)": [fit_linear(X, y, prox=reg.L1(lam), steps=steps) for lam in lams],
        "L2": [fit_linear(X, y, penalty=reg.L2(lam * 10), steps=steps) for lam in lams],
        "elastic net": [
            fit_linear(X, y, prox=reg.ElasticNet(lam, lam), steps=steps) for lam in lams
        ],
    }
    for ax, (name, path) in zip(axes, paths.items(), strict=True):
        path = np.array(path)
        for j in range(d):
            ax.plot(lams, path[:, j], color="tab:red" if j < informative else "tab:gray", lw=1)
        ax.set_xscale("log")
        ax.set_title(f"{name}: coefficient vs lambda" + (" (x10)" if name == "L2" else ""))
        ax.set_xlabel("lambda")
    axes[0].set_ylabel("coefficient (red: informative)")
    save(fig, args, "l1_sparsity.png")


if __name__ == "__main__":
    main()
