"""Why L1 gives zeros and L2 does not: the two-weight picture, computed by training.

A least-squares loss in two weights has elliptical contours. The L1-regularized optimum is where
a contour first touches a diamond |w1| + |w2| = c, which tends to be a corner: on an axis, one
weight exactly 0. The L2 optimum is where a contour touches a circle: a point with both weights
non-zero. Both optima here are found by training the two-weight model with tinyreg (proximal SGD
for L1, the L2 penalty for L2), not drawn by hand.
"""

import matplotlib.pyplot as plt
import numpy as np
from common import finding, fit_linear, parse, save

from tinyreg import reg


def main():
    args = parse(__doc__)
    rng = np.random.default_rng(args.seed)
    n = 200
    X = rng.standard_normal((n, 2)) * np.array([1.0, 0.7])  # elliptical loss contours
    y = X @ np.array([1.5, 0.4]) + 0.1 * rng.standard_normal(n)
    steps = 500 if args.quick else 3000
    w_free = fit_linear(X, y, steps=steps, bias=False)
    w_l1 = fit_linear(X, y, prox=reg.L1(0.6), steps=steps, bias=False)
    w_l2 = fit_linear(X, y, penalty=reg.L2(1.0), steps=steps, bias=False)

    def where(w):
        return "on an axis" if np.any(w == 0) else "off the axes"

    finding(
        f"unregularized optimum {np.round(w_free, 3).tolist()}; L1 optimum "
        f"{np.round(w_l1, 3).tolist()} ({where(w_l1)}); L2 optimum {np.round(w_l2, 3).tolist()} "
        f"({where(w_l2)}, shrunk towards 0)",
        l1_zero_weights=np.sum(w_l1 == 0),
        l2_zero_weights=np.sum(w_l2 == 0),
        l1_w1=w_l1[0],
        l1_w2=w_l1[1],
        l2_w1=w_l2[0],
        l2_w2=w_l2[1],
    )
    grid = np.linspace(-1.0, 2.5, 240)
    W1, W2 = np.meshgrid(grid, grid)
    residual = y[None, None, :] - (W1[..., None] * X[:, 0] + W2[..., None] * X[:, 1])
    loss = 0.5 * np.mean(residual**2, axis=-1)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
    for ax, (name, w, ball) in zip(axes, (("L1", w_l1, 1), ("L2", w_l2, 2)), strict=True):
        touching = 0.5 * np.mean((y - X @ w) ** 2)  # the contour through the optimum
        levels = np.unique(np.append(np.quantile(loss, np.linspace(0.002, 0.2, 6)), touching))
        ax.contour(W1, W2, loss, levels=levels, colors="gray", linewidths=0.8)
        radius = np.abs(w).sum() if ball == 1 else np.linalg.norm(w)
        t = np.linspace(0, 2 * np.pi, 400)
        c, s = np.cos(t), np.sin(t)
        scale = radius / (np.abs(c) + np.abs(s)) if ball == 1 else radius
        ax.fill(scale * c, scale * s, alpha=0.25, label=f"{name} ball through the optimum")
        ax.plot(*w_free, "k+", ms=12, label="unregularized optimum")
        ax.plot(*w, "ro", label=f"{name} optimum (trained)")
        ax.axhline(0, color="black", lw=0.5)
        ax.axvline(0, color="black", lw=0.5)
        ax.set_aspect("equal")
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
        ax.set_title(f"{name}: w = ({w[0]:.3f}, {w[1]:.3f})")
        ax.legend(fontsize=7, loc="upper left")
    save(fig, args, "geometry.png")


if __name__ == "__main__":
    main()
