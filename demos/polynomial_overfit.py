"""The classic overfit: a degree-12 polynomial through 20 noisy points, with and without
regularization.

Without a penalty the polynomial chases the noise and swings between the points; an L2 penalty
keeps the coefficients small and the curve smooth; L1 also switches most powers off (exact zeros,
via the proximal step). Each model is the same Dense(12, 1) on the features x, x^2, ..., x^12,
trained full-batch with Adam.
"""

import matplotlib.pyplot as plt
import numpy as np
from common import finding, parse, save

import tinyreg as tr
from tinyreg import data, nn, optim, reg
from tinyreg import functional as F

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


def main():
    args = parse(__doc__)
    x, y = data.make_polynomial_regression(20, noise=0.2, seed=args.seed)
    x_test, y_test = data.make_polynomial_regression(200, noise=0.0, seed=args.seed + 1)
    grid = np.linspace(-1, 1, 300, dtype=np.float32)
    steps = 3000 if args.quick else 20000
    models = {
        "none": fit(data.polynomial_features(x, DEGREE), y, None, None, steps),
        "L2 1e-3": fit(data.polynomial_features(x, DEGREE), y, reg.L2(1e-3), None, steps),
        "L1 1e-2 (prox)": fit(data.polynomial_features(x, DEGREE), y, None, reg.L1(1e-2), steps),
    }
    errors, zeros = {}, {}
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.scatter(x, y, color="black", zorder=3, label="training points")
    ax.plot(grid, np.sin(np.pi * grid), color="gray", ls=":", label="truth")
    for name, model in models.items():
        with tr.no_grad():
            test_pred = model(tr.tensor(data.polynomial_features(x_test, DEGREE))).data[:, 0]
            curve = model(tr.tensor(data.polynomial_features(grid, DEGREE))).data[:, 0]
        errors[name] = float(np.mean((test_pred - y_test) ** 2))
        zeros[name] = int(np.sum(model.weight.data == 0))
        ax.plot(grid, curve, label=f"{name}: test MSE {errors[name]:.3f}")
    ax.set_ylim(-2, 2)
    ax.legend(fontsize=7)
    finding(
        "test MSE: "
        + ", ".join(f"{k} {v:.4f}" for k, v in errors.items())
        + f"; exact-zero coefficients: {zeros}",
        mse_none=errors["none"],
        mse_l2=errors["L2 1e-3"],
        mse_l1=errors["L1 1e-2 (prox)"],
        zeros_l1=zeros["L1 1e-2 (prox)"],
        zeros_none=zeros["none"],
    )
    save(fig, args, "polynomial_overfit.png")


if __name__ == "__main__":
    main()
