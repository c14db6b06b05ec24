"""What `tinyreg sweep` does, as a Python API: choose the strength by cross-validation, one trial
per (point, fold, seed), on `runner.run_tasks`'s worker processes or Dask cluster.

A builder maps a point ({knob: value}, see `search`) to (model, Trainer keyword arguments, plus
"epochs" and "batch_size"): `recipes.SweepRecipe` for the built-in recipe, or a function of your
own. Each point is trained once per fold (k-fold, or a holdout) and per seed; a trial returns the
validation loss and accuracy, the fraction of exact zeros among the penalized weights, the epochs
run and the seconds.

Nothing is lost: every finished trial is appended to `results.jsonl` at once (one JSON line,
flushed and fsynced); `resume=True` skips the trials already there; a trial that raises (a NaN
loss, a bad setting) is recorded with its error and the sweep goes on; a sweep whose worker dies
is run again once for its unfinished trials, after which they are recorded as failed.

`summarize(records)` gives, per point, the mean and 95% interval over folds and seeds; `choose`
the best point and the one-standard-error choice (Breiman; the strongest regularization - the
largest value of the first knob - whose mean is within one standard error of the best).
"""

from __future__ import annotations

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
from .runner import dask_client, run_tasks
from .stats import Interval, mean_interval

Builder = Callable[[dict[str, float]], tuple[Any, dict[str, Any]]]


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


def run_trial(build: Builder, point: dict[str, float], X: np.ndarray, y: np.ndarray,
              split: tuple[np.ndarray, np.ndarray], fold: int,
              seed: int) -> dict[str, Any]:  # fmt: skip
    """Train `build(point)` on one fold with one seed and measure it on the fold's validation
    part; errors are returned as {"error": ...} (the sweep goes on)."""
    from ..random import manual_seed
    from ..reg import penalized, sparsity
    from ..training.trainer import Trainer

    record: dict[str, Any] = {"id": trial_id(point, fold, seed), "point": point, "fold": fold,
                              "seed": seed}  # fmt: skip
    start = time.perf_counter()
    try:
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
              dask_local: int | None = None, resume: bool = False, progress: bool = True,
              warm_up: Callable[[], None] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Run every (point, fold, seed) trial and return all recorded trials.

    jobs: worker processes for joblib (default: the CPU count). scheduler: a dask.distributed
    Client or its address "tcp://host:port"; dask_local: a LocalCluster of that many workers
    started for this sweep (`runner.run_tasks`). warm_up: run once here before the workers
    start (`comparison.warm_up` fills Numba's cache). The data split and each trial's seed are
    fixed by (fold, seed), and every trial runs on one thread, so joblib, Dask and a serial run
    give the same numbers.
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
    todo = [(dict(p), f, s) for p in points for f in range(len(splits)) for s in range(seeds)
            if trial_id(p, f, s) not in done]  # fmt: skip
    with dask_client(scheduler, dask_local) as target:
        for attempt in range(2):
            tasks = [(build, p, X, y, splits[f], f, s) for p, f, s in todo]
            try:
                for record in run_tasks(run_trial, tasks, jobs=jobs, scheduler=target,
                                        warm_up=warm_up if attempt == 0 else None,
                                        desc="tinyreg sweep", unit="trial",
                                        progress=progress):  # fmt: skip
                    _append(path, record)
                break
            except Exception as error:  # a worker died: retry the unfinished trials once
                finished = {r["id"] for r in load_results(path)}
                todo = [t for t in todo if trial_id(*t) not in finished]
                if attempt == 1:
                    for point, fold, seed in todo:
                        _append(path, {"id": trial_id(point, fold, seed), "point": point,
                                       "fold": fold, "seed": seed,
                                       "error": f"worker lost twice: {error}"})  # fmt: skip
    return load_results(path)


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
    standard error sd / sqrt(n) of the loss, the mean fraction of exact zeros, failures; sorted
    by mean validation loss (failed points last)."""
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
    error of the best's: mean <= best mean + best standard error."""
    valid = [s for s in summaries if s.trials and not math.isnan(s.val_loss.mean)]
    if not valid:
        raise ValueError("choose: every trial failed; nothing to choose")
    best = min(valid, key=lambda s: s.val_loss.mean)
    within = [s for s in valid if s.val_loss.mean <= best.val_loss.mean + best.standard_error]
    return best, max(within, key=lambda s: s.point.get(knob, -math.inf))
