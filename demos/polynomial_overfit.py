"""The classic overfit: a degree-12 polynomial through 20 noisy points, with and without
regularization.

Without a penalty the polynomial chases the noise and swings between the points; an L2 penalty
keeps the coefficients small and the curve smooth; L1 also switches most powers off (exact zeros,
via the proximal step). Each model is the same Dense(12, 1) on the features x, x^2, ..., x^12,
trained full-batch (Adam; SGD with the proximal step for L1), on several data draws; the plot
shows the first draw's curves.
"""

import matplotlib.pyplot as plt
import numpy as np
from common import finding, parse, save

import tinyreg as tr
from tinyreg import datasets as data
from tinyreg import nn, optim, reg
from tinyreg.experiments.stats import mean_interval
from tinyreg.nn import functional as F

DEGREE = 12


def fit(features, y, penalty, prox, steps):
    tr.manual_seed(0)
    model = nn.Dense(DEGREE, 1)
    opt = (optim.SGD(model.parameters(), lr=0.1, prox=prox) if prox
           else optim.Adam(model.parameters(), lr=0.01))  # fmt: skip
    x = tr.tensor(features)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y[:, None])
        (loss + penalty(model) if penalty else loss).backward()
        opt.step()
    return model


METHODS = {
    "none": (None, None),
    "L2 1e-3": (lambda: reg.L2(1e-3), None),
    "L1 1e-2 (prox)": (None, lambda: reg.L1(1e-2)),
}


def main():
    args = parse(__doc__)
    steps = 3000 if args.quick else 20000
    seeds = [args.seed + k for k in range(2 if args.quick else 5)]
    grid = np.linspace(-1, 1, 300, dtype=np.float32)
    errors = {name: [] for name in METHODS}
    zeros = {name: [] for name in METHODS}
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for seed in seeds:
        x, y = data.make_polynomial_regression(20, noise=0.2, seed=seed)
        x_test, y_test = data.make_polynomial_regression(200, noise=0.0, seed=seed + 1000)
        features = data.polynomial_features(x, DEGREE)
        for name, (penalty, prox) in METHODS.items():
            model = fit(features, y, penalty() if penalty else None, prox() if prox else None,
                        steps)  # fmt: skip
            with tr.no_grad():
                test_pred = model(tr.tensor(data.polynomial_features(x_test, DEGREE))).data[:, 0]
                curve = model(tr.tensor(data.polynomial_features(grid, DEGREE))).data[:, 0]
            errors[name].append(float(np.mean((test_pred - y_test) ** 2)))
            zeros[name].append(int(np.sum(model.weight.data == 0)))
            if seed == seeds[0]:
                ax.plot(grid, curve, label=f"{name}: test MSE {errors[name][-1]:.3f}")
        if seed == seeds[0]:
            ax.scatter(x, y, color="black", zorder=3, label="training points")
            ax.plot(grid, np.sin(np.pi * grid), color="gray", ls=":", label="truth")
    ax.set_ylim(-2, 2)
    ax.set_title(f"first of {len(seeds)} data draws", fontsize=9)
    ax.legend(fontsize=7)
    mse = {name: mean_interval(values) for name, values in errors.items()}
    finding(
        f"test MSE over {len(seeds)} data draws (mean [95% interval]): "
        + ", ".join(f"{k} {v.format(4)}" for k, v in mse.items())
        + f"; exact-zero coefficients per draw: {zeros}",
        mse_none=mse["none"].mean,
        mse_l2=mse["L2 1e-3"].mean,
        mse_l1=mse["L1 1e-2 (prox)"].mean,
        zeros_l1=min(zeros["L1 1e-2 (prox)"]),
        zeros_none=max(zeros["none"]),
    )
    save(fig, args, "polynomial_overfit.png")


if __name__ == "__main__":
    main()
