"""Choosing the strength: hyperparameter sweeps with cross-validation, on the cores of one machine
(joblib, worker processes) or on a Dask cluster (joblib's dask backend); no scheduler of our own.

A search space maps knob names to values:

    parse_space(["l2=1e-6..1e-1:log:11", "dropout=0,0.2,0.5", "lr=0.01..0.1:4"])

"lo..hi:log:n" is n log-spaced values (lo > 0), "lo..hi:n" n evenly spaced ones, "a,b,c" a list.
`grid(space)` is every combination; `sample(space, budget, seed)` draws `budget` random points
(log-uniform on log ranges). Each point is trained once per fold (k-fold, or a holdout) and per
seed; a trial is (point, fold, seed) and returns the validation loss and accuracy, the fraction of
exact zeros among the penalized weights, the epochs run and the seconds.

Nothing is lost: every finished trial is appended to `results.jsonl` at once (one JSON line,
flushed and fsynced); `resume=True` skips the trials already there; a trial that raises (a NaN
loss, a bad setting) is recorded with its error and the sweep goes on; a sweep whose worker dies
is run again once for its unfinished trials, after which they are recorded as failed.

`summarize(results)` gives, per point, the mean and 95% interval over folds and seeds, the best
point, and the one-standard-error choice (Breiman; the strongest regularization - the largest
value of the first knob - whose mean is within one standard error of the best).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import validate as check
from .stats import Interval, mean_interval


@dataclass(frozen=True)
class Knob:
    """One hyperparameter: its candidate values, and whether they are spaced on a log scale (a
    range "lo..hi:log:n"); `low`/`high` bound random sampling of ranges."""

    name: str
    values: tuple
    log: bool = False
    low: float | None = None
    high: float | None = None


def _number(owner: str, name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{owner}: {name!r} has a value that is not a number: {text!r}") from None


def parse_knob(spec: str) -> Knob:
    """One "name=lo..hi:log:n", "name=lo..hi:n" or "name=a,b,c" specification."""
    owner = "sweep"
    if not isinstance(spec, str) or "=" not in spec:
        raise ValueError(f"{owner}: a knob must look like name=values (e.g. l2=1e-6..1e-1:log:6), "
                         f"got {spec!r}")  # fmt: skip
    name, text = (part.strip() for part in spec.split("=", 1))
    if not name or not text:
        raise ValueError(f"{owner}: empty name or values in {spec!r}")
    if ".." in text:
        bounds, _, rest = text.partition(":")
        lo_text, _, hi_text = bounds.partition("..")
        lo, hi = _number(owner, name, lo_text), _number(owner, name, hi_text)
        parts = rest.split(":") if rest else []
        log = bool(parts) and parts[0] == "log"
        count_text = parts[-1] if parts and parts[-1] != "log" else "5"
        count = int(_number(owner, name, count_text))
        if count < 1:
            raise ValueError(f"{owner}: {name!r} needs at least 1 value, got {count}")
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
            raise ValueError(f"{owner}: {name!r} range {lo}..{hi} must have lo <= hi, finite")
        if log and lo <= 0:
            raise ValueError(f"{owner}: {name!r} log range needs lo > 0, got {lo}")
        values = np.geomspace(lo, hi, count) if log else np.linspace(lo, hi, count)
        return Knob(name, tuple(float(v) for v in values), log, lo, hi)
    values = tuple(_number(owner, name, v.strip()) for v in text.split(",") if v.strip())
    if not values:
        raise ValueError(f"{owner}: {name!r} has an empty list of values")
    return Knob(name, values)


def parse_space(specs: Iterable[str] | Mapping[str, Sequence[float]],
                known: Iterable[str] | None = None) -> dict[str, Knob]:  # fmt: skip
    """A search space from specifications (or a {name: values} mapping); `known` lists the knob
    names a builder understands (an unknown one is an error naming the known ones)."""
    if isinstance(specs, Mapping):
        knobs = [Knob(k, tuple(float(v) for v in vs)) for k, vs in specs.items()]
        for knob in knobs:
            if not knob.values:
                raise ValueError(f"sweep: {knob.name!r} has an empty list of values")
    else:
        knobs = [parse_knob(spec) for spec in specs]
    if not knobs:
        raise ValueError("sweep: the search space is empty (give at least one knob)")
    space = {}
    for knob in knobs:
        if knob.name in space:
            raise ValueError(f"sweep: knob {knob.name!r} is given twice")
        space[knob.name] = knob
    if known is not None:
        known = sorted(known)
        unknown = [k for k in space if k not in known]
        if unknown:
            raise ValueError(f"sweep: unknown knobs {unknown}; known: {', '.join(known)}")
    return space


def grid(space: Mapping[str, Knob]) -> list[dict[str, float]]:
    """Every combination of the knobs' values."""
    names = list(space)
    return [dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(space[n].values for n in names))]  # fmt: skip


def sample(space: Mapping[str, Knob], budget: int, seed: int = 0) -> list[dict[str, float]]:
    """`budget` random points: ranges drawn uniformly (log-uniformly on log ranges), lists by
    choice."""
    budget = check.integer("sample", "budget", budget, low=1)
    rng = np.random.default_rng(check.integer("sample", "seed", seed, low=0))
    points = []
    for _ in range(budget):
        point = {}
        for name, knob in space.items():
            if knob.low is None:
                point[name] = float(knob.values[rng.integers(len(knob.values))])
            elif knob.log:
                point[name] = float(np.exp(rng.uniform(np.log(knob.low), np.log(knob.high))))
            else:
                point[name] = float(rng.uniform(knob.low, knob.high))
        points.append(point)
    return points


def folds(n: int, k: int | None, holdout: float, seed: int) -> list[tuple[np.ndarray, ...]]:
    """(train indices, validation indices) per fold: k shuffled folds (as sklearn's KFold with
    shuffle=True), or one holdout split of the given fraction when k is None."""
    order = np.random.default_rng(seed).permutation(n)
    if k is None:
        cut = int(round(n * (1 - holdout)))
        return [(np.sort(order[:cut]), np.sort(order[cut:]))]
    k = check.integer("sweep", "folds", k, low=2)
    if k > n:
        raise ValueError(f"sweep: {k} folds need at least {k} rows, got {n}")
    parts = np.array_split(order, k)
    return [(np.sort(np.concatenate(parts[:i] + parts[i + 1 :])), np.sort(parts[i]))
            for i in range(k)]  # fmt: skip


def trial_id(point: Mapping[str, float], fold: int, seed: int) -> str:
    """A stable name of one trial (the key `resume` uses)."""
    return json.dumps({"point": dict(sorted(point.items())), "fold": fold, "seed": seed},
                      sort_keys=True)  # fmt: skip


# --------------------------------------------------------------------------- running
Builder = Callable[[dict[str, float]], tuple[Any, dict[str, Any]]]


def run_trial(build: Builder, point: dict[str, float], X: np.ndarray, y: np.ndarray,
              split: tuple[np.ndarray, np.ndarray], fold: int,
              seed: int) -> dict[str, Any]:  # fmt: skip
    """Train `build(point)` on one fold with one seed and measure it on the fold's validation
    part; errors are returned as {"error": ...} (the sweep goes on). Runs on one thread."""
    import numba
    from threadpoolctl import threadpool_limits

    from ..random import manual_seed
    from ..reg import penalized, sparsity
    from ..training.trainer import Trainer

    record: dict[str, Any] = {"id": trial_id(point, fold, seed), "point": point, "fold": fold,
                              "seed": seed}  # fmt: skip
    start = time.perf_counter()
    numba.set_num_threads(1)
    try:
        with threadpool_limits(1):
            manual_seed(seed)
            model, kwargs = build(dict(point))
            kwargs = dict(kwargs)
            fit = {k: kwargs.pop(k) for k in ("epochs", "batch_size") if k in kwargs}
            train, val = split
            trainer = Trainer(model, **kwargs)
            history = trainer.fit(X[train], y[train], val=(X[val], y[val]), seed=seed, verbose=0,
                                  **fit)  # fmt: skip
            metrics = trainer.evaluate(X[val], y[val])
        record.update(val_loss=metrics["loss"], val_accuracy=metrics.get("accuracy"),
                      zeros=sparsity(penalized(model)), epochs=len(history.epoch))  # fmt: skip
    except Exception as error:  # noqa: BLE001 - a failed trial is recorded, not fatal
        record["error"] = f"{type(error).__name__}: {error}"
    record["seconds"] = time.perf_counter() - start
    return record


def _append(path: Path, record: dict[str, Any]) -> None:
    """One JSON line, written whole, flushed and fsynced: a crash loses at most this line."""
    line = json.dumps(record, sort_keys=True) + "\n"
    with open(path, "a+b") as f:
        f.seek(0, os.SEEK_END)
        if f.tell():  # after a crash the last line may be torn: start on a fresh line
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                line = "\n" + line
        f.write(line.encode())
        f.flush()
        os.fsync(f.fileno())


def load_results(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The trials recorded in a results.jsonl (a torn last line from a crash is ignored)."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def run_sweep(build: Builder, points: Sequence[dict[str, float]], X: np.ndarray, y: np.ndarray,
              results: str | os.PathLike, k: int | None = 5, holdout: float = 0.2,
              seeds: int = 1, jobs: int | None = None, scheduler: Any = None,
              resume: bool = False, progress: bool = True) -> list[dict[str, Any]]:  # fmt: skip
    """Run every (point, fold, seed) trial and return all recorded trials.

    jobs: worker processes for joblib (default: the CPU count). scheduler: None for joblib's
    process pool, or a dask.distributed Client (or its address "tcp://host:port") to run the
    same trials through joblib's dask backend. The data split and each trial's seed are fixed by
    (fold, seed), so joblib, Dask and a serial run give the same numbers.
    """
    owner = "run_sweep"
    if not callable(build):
        raise TypeError(f"{owner}: build must be a function params -> (model, trainer kwargs)")
    if not points:
        raise ValueError(f"{owner}: no points to try")
    X, y = np.asarray(X), np.asarray(y)
    seeds = check.integer(owner, "seeds", seeds, low=1)
    path = Path(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not resume and path.exists():
        path.unlink()
    done = {r["id"] for r in load_results(path)} if resume else set()
    splits = folds(len(X), k, holdout, seed=0)
    tasks = [(dict(p), f, s) for p in points for f in range(len(splits)) for s in range(seeds)
             if trial_id(p, f, s) not in done]  # fmt: skip
    for attempt in range(2):
        try:
            _execute(build, tasks, X, y, splits, path, jobs, scheduler, progress)
            break
        except Exception as error:  # a worker died: retry the unfinished trials once
            finished = {r["id"] for r in load_results(path)}
            tasks = [t for t in tasks if trial_id(*t) not in finished]
            if attempt == 1:
                for point, fold, seed in tasks:
                    _append(path, {"id": trial_id(point, fold, seed), "point": point,
                                   "fold": fold, "seed": seed,
                                   "error": f"worker lost twice: {error}"})  # fmt: skip
    return load_results(path)


def _execute(build: Builder, tasks: list, X: np.ndarray, y: np.ndarray, splits: list,
             path: Path, jobs: int | None, scheduler: Any, progress: bool) -> None:  # fmt: skip
    from joblib import Parallel, delayed, parallel_config
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), desc="tinyreg sweep", unit="trial", disable=not progress)
    calls = (delayed(run_trial)(build, p, X, y, splits[f], f, s) for p, f, s in tasks)
    if scheduler is None:
        context = parallel_config(backend="loky", n_jobs=jobs or os.cpu_count() or 1)
    else:
        context = parallel_config(backend="dask", n_jobs=-1, wait_for_workers_timeout=60,
                                  **({"scheduler_host": scheduler} if isinstance(scheduler, str)
                                     else {"client": scheduler}))  # fmt: skip
    with context:
        for record in Parallel(return_as="generator_unordered")(calls):
            _append(path, record)
            bar.update(1)
    bar.close()


# --------------------------------------------------------------------------- summaries
@dataclass
class PointSummary:
    """One point of the space over its folds and seeds."""

    point: dict[str, float]
    val_loss: Interval
    val_accuracy: Interval | None
    zeros: float
    trials: int
    failures: int
    standard_error: float


def summarize(records: Iterable[dict[str, Any]]) -> list[PointSummary]:
    """Per point: mean and 95% interval of validation loss (and accuracy) over its trials, the
    mean fraction of exact zeros, failures; sorted by mean validation loss (failed points last).
    """
    by_point: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_point.setdefault(json.dumps(record["point"], sort_keys=True), []).append(record)
    out = []
    for key, rows in by_point.items():
        ok = [r for r in rows if "error" not in r]
        if not ok:
            nan = Interval(math.nan, math.nan, math.nan, 0)
            out.append(PointSummary(json.loads(key), nan, None, math.nan, 0, len(rows), math.nan))
            continue
        losses = [r["val_loss"] for r in ok]
        accuracies = [r["val_accuracy"] for r in ok if r.get("val_accuracy") is not None]
        se = float(np.std(losses, ddof=1) / np.sqrt(len(losses))) if len(losses) > 1 else 0.0
        out.append(PointSummary(
            json.loads(key), mean_interval(losses),
            mean_interval(accuracies) if accuracies else None,
            float(np.mean([r["zeros"] for r in ok])), len(ok), len(rows) - len(ok), se,
        ))  # fmt: skip
    return sorted(out, key=lambda s: (math.isnan(s.val_loss.mean), s.val_loss.mean))


def choose(summaries: Sequence[PointSummary], knob: str) -> tuple[PointSummary, PointSummary]:
    """(best point, one-standard-error point): the lowest mean validation loss, and the point
    with the largest `knob` (the strongest regularization) whose mean is within one standard
    error of the best's."""
    valid = [s for s in summaries if s.trials and not math.isnan(s.val_loss.mean)]
    if not valid:
        raise ValueError("choose: every trial failed; nothing to choose")
    best = min(valid, key=lambda s: s.val_loss.mean)
    within = [s for s in valid if s.val_loss.mean <= best.val_loss.mean + best.standard_error]
    return best, max(within, key=lambda s: s.point.get(knob, -math.inf))


# --------------------------------------------------------------------------- paths
def lambda_max(X: np.ndarray, y: np.ndarray, l1_ratio: float = 1.0) -> float:
    """The smallest penalty that zeroes every weight of the (elastic-net) least-squares fit with
    an intercept: max |X_c^T y_c| / (n * l1_ratio), X_c and y_c centred (sklearn's rule)."""
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

    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.float64)
    l1_ratio = check.number("linear_path", "l1_ratio", l1_ratio, 0.0, 1.0, low_open=True)
    if alphas is None:
        top = lambda_max(X, y, l1_ratio)
        count = check.integer("linear_path", "n_alphas", n_alphas, low=1)
        alphas = np.geomspace(top, top * eps, count)
    alphas = np.asarray(alphas, np.float64)
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


def cross_validated_alpha(X: np.ndarray, y: np.ndarray, fold_indices: Sequence[tuple],
                          alphas: np.ndarray, l1_ratio: float = 1.0) -> float:  # fmt: skip
    """The alpha with the lowest mean validation MSE over the folds (each fold's path warm
    started), as sklearn's LassoCV / ElasticNetCV choose it."""
    errors = np.zeros(len(alphas))
    for train, val in fold_indices:
        _, coefs = linear_path(X[train], y[train], alphas, l1_ratio)
        intercepts = y[train].mean() - X[train].mean(axis=0) @ coefs
        predictions = X[val] @ coefs + intercepts
        errors += ((predictions - y[val][:, None]) ** 2).mean(axis=0)
    return float(alphas[int(np.argmin(errors))])


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

    X = np.asarray(X, np.float64)
    y = np.asarray(y)
    classes = np.unique(y)
    if len(classes) != 2:
        raise ValueError(f"logistic_path: needs two classes, got {len(classes)}")
    t01 = (y == classes[1]).astype(np.float64)
    if alphas is None:
        top = logistic_lambda_max(X, t01)
        count = check.integer("logistic_path", "n_alphas", n_alphas, low=1)
        alphas = np.geomspace(top, top * eps, count)
    alphas = np.asarray(alphas, np.float64)
    n, d = X.shape
    design = np.hstack([X, np.ones((n, 1))])
    step = 4.0 / (np.linalg.eigvalsh(design.T @ design / n).max())  # 1/L, L = ||A||^2 / (4n)
    prox = kernels_for(X).prox
    theta = np.zeros(d + 1)
    theta[-1] = math.log(t01.mean() / (1 - t01.mean()))
    coefs, intercepts = np.empty((d, len(alphas))), np.empty(len(alphas))
    for k, alpha in enumerate(alphas):
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
