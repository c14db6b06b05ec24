"""Regularization paths of linear models: every alpha from the one that zeroes all weights down,
each fit warm-started from the previous one, and the alpha chosen by cross-validation.

    lambda_max(X, y)          max |X_c^T y_c| / (n l1_ratio): the smallest alpha with w = 0
    linear_path(X, y)         the elastic-net path of least squares (sklearn's enet_path)
    logistic_path(X, y)       the L1 path of binary logistic regression
    fold_errors(...)          validation error per fold and alpha
    cross_validated_alpha     the alpha of the lowest mean validation MSE (LassoCV's choice)
    cross_validate_path(...)  the whole `tinyreg sweep --model` computation: path, CV errors, the
                              best alpha and the one-standard-error alpha

Every argument is checked before any fit (X a finite 2-D array, y one finite value per row,
alphas positive, at least two folds): a TypeError or ValueError naming the function, the
argument, the value and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import validate as check


def _xy(owner: str, X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """X as a finite float64 (n, d) array and y as n finite numbers, or an error naming them."""
    try:
        X, y = np.asarray(X, np.float64), np.asarray(y, np.float64)
    except (TypeError, ValueError):
        raise check.fail(owner, "X and y", "arrays of numbers", (X, y), TypeError) from None
    if X.ndim != 2 or len(X) < 2 or X.shape[1] < 1:
        raise check.fail(owner, "X", "a 2-D array of at least 2 rows and 1 column", X)
    if y.shape != (len(X),):
        raise ValueError(f"{owner}: y must have one value per row of X ({len(X)}), got shape "
                         f"{y.shape}")  # fmt: skip
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError(f"{owner}: X and y must be finite (no NaN or inf)")
    return X, y


def _alphas(owner: str, alphas: object) -> np.ndarray:
    values = np.asarray(alphas, np.float64)
    if values.ndim != 1 or not len(values) or not (np.isfinite(values) & (values > 0)).all():
        raise check.fail(owner, "alphas", "a non-empty list of positive finite numbers", alphas)
    return values


def _folds(owner: str, fold_indices: object, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    if not isinstance(fold_indices, Sequence) or len(fold_indices) < 2:
        raise check.fail(owner, "fold_indices", "a list of at least 2 (train, validation) "
                         "index pairs", fold_indices)  # fmt: skip
    out = []
    for i, pair in enumerate(fold_indices):
        try:
            train, val = (np.asarray(part) for part in pair)
        except (TypeError, ValueError):
            raise check.fail(owner, f"fold_indices[{i}]", "a (train, validation) pair of index "
                             "arrays", pair, TypeError) from None  # fmt: skip
        for part in (train, val):
            if (part.ndim != 1 or not len(part) or part.dtype.kind not in "iu"
                    or part.min() < 0 or part.max() >= n):  # fmt: skip
                raise check.fail(owner, f"fold_indices[{i}]", f"non-empty integer indices in "
                                 f"[0, {n})", pair)  # fmt: skip
        out.append((train, val))
    return out


def lambda_max(X: np.ndarray, y: np.ndarray, l1_ratio: float = 1.0) -> float:
    """The smallest penalty that zeroes every weight of the (elastic-net) least-squares fit with
    an intercept: max |X_c^T y_c| / (n * l1_ratio), X_c and y_c centred (sklearn's rule)."""
    X, y = _xy("lambda_max", X, y)
    l1_ratio = check.number("lambda_max", "l1_ratio", l1_ratio, 0.0, 1.0, low_open=True)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    return float(np.abs(Xc.T @ yc).max() / (len(X) * l1_ratio))


def linear_path(X: np.ndarray, y: np.ndarray, alphas: Sequence[float] | None = None,
                l1_ratio: float = 1.0, n_alphas: int = 100, eps: float = 1e-3,
                tol: float = 1e-10, max_iter: int = 20000
                ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The elastic-net regularization path of least squares with an intercept, sklearn's
    objective: 1/(2n) ||y - X w - b||^2 + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio)/2 ||w||^2.

    alphas default to n_alphas log-spaced values from `lambda_max` down to eps * lambda_max.
    Each fit starts from the previous solution (warm start) and runs accelerated proximal
    gradient steps (FISTA) with tinyreg's proximal kernel, which gives exact zeros, until the
    weights move less than tol. Returns (alphas, coefficients of shape (n_features, n_alphas))
    like sklearn's enet_path / lasso_path."""
    from ..device import kernels_for

    owner = "linear_path"
    X, y = _xy(owner, X, y)
    l1_ratio = check.number(owner, "l1_ratio", l1_ratio, 0.0, 1.0, low_open=True)
    tol = check.finite(owner, "tol", tol, 0, low_open=True)
    max_iter = check.integer(owner, "max_iter", max_iter, low=1)
    if alphas is None:
        count = check.integer(owner, "n_alphas", n_alphas, low=1, high=10_000)
        eps = check.number(owner, "eps", eps, 0, 1, low_open=True, high_open=True)
        top = lambda_max(X, y, l1_ratio)
        alphas = np.geomspace(top, top * eps, count)
    alphas = _alphas(owner, alphas)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    n = len(X)
    step = 1.0 / (np.linalg.eigvalsh(Xc.T @ Xc / n).max() + 1e-12)
    prox = kernels_for(Xc).prox
    w = np.zeros(X.shape[1])
    coefs = np.empty((X.shape[1], len(alphas)))
    for k, alpha in enumerate(alphas):
        l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
        z, t = w.copy(), 1.0
        for _ in range(max_iter):
            previous = w
            w = z - step * (Xc.T @ (Xc @ z - yc) / n)
            prox(w, step, l1, l2)  # w = sign(v) max(|v| - step l1, 0) / (1 + step l2)
            t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
            z = w + (t - 1) / t_next * (w - previous)
            t = t_next
            if np.abs(w - previous).max() < tol:
                break
        coefs[:, k] = w
    return alphas, coefs


def fold_errors(
    X: np.ndarray,
    y: np.ndarray,
    fold_indices: Sequence[tuple],
    alphas: np.ndarray,
    model: str = "linear",
    l1_ratio: float = 1.0,
) -> np.ndarray:
    """The validation error of each fold (rows) at each alpha (columns), each fold's path warm
    started: mean squared error (1/m) sum (x_i w + b - y_i)^2 for "linear" (the intercept
    b = mean(y) - mean(x) w of the fold's training part), mean log loss
    (1/m) sum log(1 + exp(z_i)) - y_i z_i, z_i = x_i w + b, for "logistic" (labels 0/1)."""
    check.choice("fold_errors", "model", model, ("linear", "logistic"))
    X, y = _xy("fold_errors", X, y)
    fold_indices = _folds("fold_errors", fold_indices, len(X))
    alphas = _alphas("fold_errors", alphas)
    errors = np.zeros((len(fold_indices), len(alphas)))
    for f, (train, val) in enumerate(fold_indices):
        if model == "linear":
            _, coefs = linear_path(X[train], y[train], alphas, l1_ratio)
            intercepts = y[train].mean() - X[train].mean(axis=0) @ coefs
            errors[f] = ((X[val] @ coefs + intercepts - y[val][:, None]) ** 2).mean(axis=0)
        else:
            _, coefs, intercepts = logistic_path(X[train], y[train], alphas)
            logits = X[val] @ coefs + intercepts
            errors[f] = np.mean(np.logaddexp(0, logits) - y[val][:, None] * logits, axis=0)
    return errors


def cross_validated_alpha(X: np.ndarray, y: np.ndarray, fold_indices: Sequence[tuple],
                          alphas: np.ndarray, l1_ratio: float = 1.0) -> float:  # fmt: skip
    """The alpha with the lowest mean validation MSE over the folds (`fold_errors`), as
    sklearn's LassoCV / ElasticNetCV choose it."""
    errors = fold_errors(X, y, fold_indices, alphas, "linear", l1_ratio).sum(axis=0)
    return float(alphas[int(np.argmin(errors))])


@dataclass
class PathFit:
    """A regularization path and its cross-validation: coefficients (n_features, n_alphas) fitted
    on all the data, the mean validation error per alpha and its standard error sd / sqrt(k)
    over the k folds, the best alpha's index and the one-standard-error one (the largest alpha
    whose mean error is within one standard error of the best)."""

    model: str
    alphas: np.ndarray
    coefs: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    best: int
    one_se: int
    folds: int

    @property
    def metric(self) -> str:
        """The validation error's name: "MSE" or "log loss"."""
        return "MSE" if self.model == "linear" else "log loss"


def cross_validate_path(
    X: np.ndarray,
    y: np.ndarray,
    fold_indices: Sequence[tuple],
    model: str = "linear",
    n_alphas: int | None = None,
) -> PathFit:
    """The path of `model` on all of X, y (n_alphas: 40 linear, 25 logistic by default), then
    the same alphas on every fold (`fold_errors`), the best and the one-standard-error alpha."""
    owner = "cross_validate_path"
    check.choice(owner, "model", model, ("linear", "logistic"))
    X, y = _xy(owner, X, y)
    fold_indices = _folds(owner, fold_indices, len(X))
    if n_alphas is not None:
        n_alphas = check.integer(owner, "n_alphas", n_alphas, low=1, high=10_000)
    if model == "linear":
        alphas, coefs = linear_path(X, y, n_alphas=n_alphas or 40)
    else:
        alphas, coefs, _ = logistic_path(X, y, n_alphas=n_alphas or 25)
    errors = fold_errors(X, y, fold_indices, alphas, model)
    mean = errors.mean(axis=0)
    se = errors.std(axis=0, ddof=1) / np.sqrt(len(fold_indices))
    best = int(np.argmin(mean))
    one_se = int(np.flatnonzero(mean <= mean[best] + se[best])[0])  # the largest such alpha
    return PathFit(model, alphas, coefs, mean, se, best, one_se, len(fold_indices))


def logistic_lambda_max(X: np.ndarray, y: np.ndarray) -> float:
    """The smallest L1 strength that zeroes every weight of the mean logistic loss with an
    intercept (labels 0/1): max |X_c^T (y - mean(y))| / n."""
    Xc = X - X.mean(axis=0)
    return float(np.abs(Xc.T @ (y - y.mean())).max() / len(X))


def logistic_path(X: np.ndarray, y: np.ndarray, alphas: Sequence[float] | None = None,
                  n_alphas: int = 30, eps: float = 1e-2, tol: float = 1e-9,
                  max_iter: int = 20000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """The L1 path of binary logistic regression with an unpenalized intercept:
    (1/n) sum log(1 + exp(-s_i (x_i w + b))) + alpha ||w||_1, s_i = +-1 (sklearn's
    LogisticRegression(penalty="l1", C=1 / (alpha n)) up to that scaling). Warm-started proximal
    gradient (FISTA; the intercept takes plain gradient steps). Returns (alphas, coefficients
    (n_features, n_alphas), intercepts (n_alphas,))."""
    from ..device import kernels_for

    owner = "logistic_path"
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise check.fail(owner, "y", "one label per row", y)
    classes = np.unique(labels)
    if len(classes) != 2:
        raise ValueError(f"{owner}: y must have two classes, got {len(classes)}")
    X, t01 = _xy(owner, X, (labels == classes[1]).astype(np.float64))
    tol = check.finite(owner, "tol", tol, 0, low_open=True)
    max_iter = check.integer(owner, "max_iter", max_iter, low=1)
    top = logistic_lambda_max(X, t01)
    if alphas is None:
        count = check.integer(owner, "n_alphas", n_alphas, low=1, high=10_000)
        eps = check.number(owner, "eps", eps, 0, 1, low_open=True, high_open=True)
        alphas = np.geomspace(top, top * eps, count)
    alphas = _alphas(owner, alphas)
    n, d = X.shape
    design = np.hstack([X, np.ones((n, 1))])
    step = 4.0 / (np.linalg.eigvalsh(design.T @ design / n).max())  # 1/L, L = ||A||^2 / (4n)
    prox = kernels_for(X).prox
    theta = np.zeros(d + 1)
    theta[-1] = math.log(t01.mean() / (1 - t01.mean()))
    coefs, intercepts = np.empty((d, len(alphas))), np.empty(len(alphas))
    for k, alpha in enumerate(alphas):
        if alpha >= top:  # w = 0 meets the optimality condition exactly: no rounding residue
            coefs[:, k], intercepts[k] = 0.0, theta[-1]
            continue
        z, t = theta.copy(), 1.0
        for _ in range(max_iter):
            previous = theta
            p = 1 / (1 + np.exp(-(design @ z)))
            theta = z - step * (design.T @ (p - t01) / n)
            w = theta[:-1].copy()
            prox(w, step, alpha, 0.0)
            theta[:-1] = w
            t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
            z = theta + (t - 1) / t_next * (theta - previous)
            t = t_next
            if np.abs(theta - previous).max() < tol:
                break
        coefs[:, k], intercepts[k] = theta[:-1], theta[-1]
    return alphas, coefs, intercepts
