"""Shared plumbing for the demos: command-line flags, output folder, the printed finding."""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")


def parse(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a smaller run that takes seconds")
    parser.add_argument("--out", default="demo_output", help="folder for the PNG")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    return args


def save(fig, args: argparse.Namespace, name: str) -> None:
    path = Path(args.out) / name
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print(f"saved {path}")


def finding(text: str, **values: float) -> None:
    """Print the demo's claim in words, then as key=value pairs the tests read back."""
    print(text)
    print("finding: " + " ".join(f"{k}={v:.6g}" for k, v in values.items()))


def fit_linear(X, y, penalty=None, prox=None, steps=1000, bias=True):
    """Least squares 1/(2n) ||y - X w - b||^2 (+ penalty) by full-batch gradient descent from
    w = 0, proximal with `prox=`, step 1 / L (L: Lipschitz constant of the smooth part, so it
    converges). Returns the weights w as a NumPy vector."""
    import numpy as np

    import tinyreg as tr
    from tinyreg import nn, optim
    from tinyreg.nn import functional as F

    model = nn.Dense(X.shape[1], 1, bias=bias).to(np.float64)
    model.weight.data[:] = 0.0
    lipschitz = np.linalg.eigvalsh(X.T @ X / len(X)).max() + (penalty.l2 if penalty else 0.0)
    opt = optim.SGD(model.parameters(), lr=1.0 / lipschitz, prox=prox)
    x = tr.tensor(X)
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * F.mse_loss(model(x), y[:, None])
        (loss + penalty(model) if penalty else loss).backward()
        opt.step()
    return model.weight.data[:, 0].copy()
