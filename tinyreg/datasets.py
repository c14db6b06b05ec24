"""Synthetic data sets (scikit-learn's make_* shape) and splits: two moons, spirals, circles,
xor, polynomial regression, polynomial features, train/validation/test split."""

from __future__ import annotations

import numpy as np

from . import validate as check


def _sizes(owner: str, n: int, noise: float, seed: int, least: int) -> tuple[int, float, int]:
    """The common arguments of the synthetic sets, checked."""
    return (check.integer(owner, "n", n, low=least), check.finite(owner, "noise", noise, low=0.0),
            check.integer(owner, "seed", seed, low=0))  # fmt: skip


def train_val_test_split(
    X: np.ndarray, y: np.ndarray, val: float = 0.15, test: float = 0.15, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Shuffle with `seed` and split into ((X_train, y_train), (X_val, y_val), (X_test, y_test))."""
    owner = "train_val_test_split"
    X, y = np.asarray(check.unwrap(X)), np.asarray(check.unwrap(y))
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"{owner}: X and y need one row per sample, got shapes {X.shape} and "
                         f"{y.shape}")  # fmt: skip
    val = check.number(owner, "val", val, 0.0, 1.0, high_open=True)
    test = check.number(owner, "test", test, 0.0, 1.0, high_open=True)
    if val + test >= 1:
        raise ValueError(f"{owner}: val + test must be < 1 (something left to train on), got "
                         f"val={val}, test={test}")  # fmt: skip
    seed = check.integer(owner, "seed", seed, low=0)
    order = np.random.default_rng(seed).permutation(len(X))
    n_test, n_val = int(round(test * len(X))), int(round(val * len(X)))
    test_idx, val_idx = order[:n_test], order[n_test : n_test + n_val]
    train_idx = order[n_test + n_val :]
    return tuple((X[i], y[i]) for i in (train_idx, val_idx, test_idx))


def make_moons(n: int = 400, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in 2-D (as sklearn's make_moons), with Gaussian noise."""
    n, noise, seed = _sizes("make_moons", n, noise, seed, least=2)
    rng = np.random.default_rng(seed)
    half = n // 2
    t = np.pi * rng.random(n)
    outer = np.stack([np.cos(t[:half]), np.sin(t[:half])], axis=1)
    inner = np.stack([1 - np.cos(t[half:]), 0.5 - np.sin(t[half:])], axis=1)
    X = np.concatenate([outer, inner]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(half), np.ones(n - half)]).astype(np.int64)
    return X.astype(np.float32), y


def make_spirals(
    n: int = 600, classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """`classes` interleaved spiral arms in 2-D (the CS231n toy set)."""
    n, noise, seed = _sizes("make_spirals", n, noise, seed, least=1)
    classes = check.integer("make_spirals", "classes", classes, low=2)
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    r = rng.random(n)
    theta = y * 2 * np.pi / classes + 4 * r + noise * rng.standard_normal(n)
    X = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1)
    return X.astype(np.float32), y.astype(np.int64)


def make_circles(n: int = 400, noise: float = 0.2, seed: int = 0, factor: float = 0.5
                 ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Two concentric circles (as sklearn's make_circles): the outer of radius 1 is class 0, the
    inner of radius `factor` (in [0, 1)) class 1, each point moved by N(0, noise^2) noise."""
    n, noise, seed = _sizes("make_circles", n, noise, seed, least=2)
    factor = check.number("make_circles", "factor", factor, 0.0, 1.0, high_open=True)
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = 2 * np.pi * rng.random(n)
    radius = np.where(y == 0, 1.0, factor)
    X = np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1)
    X += noise * rng.standard_normal((n, 2))
    return X.astype(np.float32), y.astype(np.int64)


def make_xor(n: int = 400, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in [-1, 1]^2, class 1 where x1 * x2 > 0 (the quadrants of equal sign), then
    moved by N(0, noise^2) noise (the label is the clean point's)."""
    n, noise, seed = _sizes("make_xor", n, noise, seed, least=2)
    rng = np.random.default_rng(seed)
    clean = rng.uniform(-1, 1, (n, 2))
    y = (clean[:, 0] * clean[:, 1] > 0).astype(np.int64)
    X = clean + noise * rng.standard_normal((n, 2))
    return X.astype(np.float32), y


def make_polynomial_regression(
    n: int = 30, noise: float = 0.15, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """x ~ U(-1, 1), y = sin(pi x) + noise: few points, so a high-degree polynomial overfits."""
    n, noise, seed = _sizes("make_polynomial_regression", n, noise, seed, least=1)
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1, 1, n))
    return x.astype(np.float32), (np.sin(np.pi * x) + noise * rng.standard_normal(n)).astype(
        np.float32
    )


def polynomial_features(x: np.ndarray, degree: int) -> np.ndarray:
    """Columns x, x^2, ..., x^degree (no constant column: the model's bias plays that role)."""
    degree = check.integer("polynomial_features", "degree", degree, low=1)
    x = check.float_array("polynomial_features", "x", x)
    return np.stack([x**k for k in range(1, degree + 1)], axis=1).astype(np.float32)
