"""What `tinyreg sweep` does, as a Python API: choose the strength by cross-validation, one trial
per (point, fold, seed), on `runner.run_tasks`'s worker processes or Dask cluster.

A builder maps a point ({knob: value}, see `search`) to (model, Trainer keyword arguments, plus
"epochs" and "batch_size"): `recipes.SweepRecipe` for the built-in recipe, or a function of your
own. Each point is trained once per fold (k-fold, or a holdout) and per seed; a trial returns the
validation loss and accuracy, the fraction of exact zeros among the penalized weights, the epochs
run and the seconds.

What is recorded, and when (the results file, `results.jsonl`, one JSON line per trial):

- Every argument is checked before anything changes, files included (`plan_sweep`): a bad one
  is a TypeError or ValueError naming run_sweep, the argument, the value and what was expected.
  A sweep of more than MAX_TRIALS trials is refused before any list of them is made.
- A new sweep (resume=False) replaces an existing results file only when its first trial is
  recorded, and atomically (written beside it, then renamed over it): a sweep that fails or is
  stopped before then leaves the old file as it was.
- A finished trial is appended at once, whole (flushed and fsynced; Ctrl-C is held back while a
  line is written; a write that fails is cut back, so the file never ends in half a record); a
  failed write (a full disk) stops the sweep with an OSError, the trials already recorded kept.
- "Done" (recorded; `resume=True` skips it) means one of two things: the trial finished, or it
  raised on its own, deterministically: an error of its settings or its data (a NaN loss, a
  ValueError from the builder), recorded with its "error". Such a trial would fail again.
- Not done (never recorded; `resume=True` runs it again): anything the infrastructure did. A
  trial stopped by Ctrl-C (the Trainer's graceful stop included: its History says
  `interrupted`), a lost worker process or Dask worker, an unreachable scheduler, MemoryError and
  OSError (the machine, not the trial). A parallel sweep whose worker dies runs its unfinished
  trials once more; if they still do not finish, `SweepIncomplete` says how many are left.
  Ctrl-C stops the whole sweep (KeyboardInterrupt). Records written by older versions for
  trials whose worker was lost ("worker lost twice") count as not done.
- `resume=True` on a file of another split (other folds, holdout or data) is refused; lines that
  are not valid records (a torn or corrupted line) are moved to `results.jsonl.rejected` and the
  file is rewritten without them (atomically), so their trials run again.
- A sweep in which every trial failed raises `SweepFailed` (as scikit-learn's GridSearchCV
  raises when all its fits fail); the failures stay recorded.

`summarize(records)` gives, per point, the mean and 95% interval over folds and seeds; `choose`
the best point and the one-standard-error choice (Breiman; the strongest regularization - the
largest value of the first knob - whose mean is within one standard error of the best).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import validate as check
from .runner import (
    CONNECT_TIMEOUT,
    check_target,
    dask_client,
    deferred,
    interruptible,
    parallel,
    run_tasks,
)
from .stats import Interval, mean_interval

Builder = Callable[[dict[str, float]], tuple[Any, dict[str, Any]]]
MAX_TRIALS = 100_000  # points x folds x seeds a sweep may plan
_LOST = "worker lost"  # how older versions recorded trials whose worker died: not done


class SweepIncomplete(RuntimeError):
    """Trials that the infrastructure left unfinished (a lost worker, MemoryError, OSError):
    nothing of them was recorded; the finished ones are; `resume=True` runs the rest."""


class SweepFailed(RuntimeError):
    """Every trial of the sweep failed on its own (each recorded with its error)."""


def folds(n: int, k: int | None, holdout: float, seed: int) -> list[tuple[np.ndarray, ...]]:
    """(train indices, validation indices) per fold: k shuffled folds (as sklearn's KFold with
    shuffle=True), or one holdout split of the given fraction (in (0, 1), both parts non-empty)
    when k is None."""
    owner = "folds"
    n = check.integer(owner, "n", n, low=2)
    holdout = check.number(owner, "holdout", holdout, 0, 1, low_open=True, high_open=True)
    seed = check.integer(owner, "seed", seed, low=0)
    if k is not None:
        k = check.integer(owner, "k", k, low=2, high=n)
    order = np.random.default_rng(seed).permutation(n)
    if k is None:
        cut = int(round(n * (1 - holdout)))
        if not 0 < cut < n:
            raise ValueError(f"{owner}: holdout={holdout:g} of {n} rows leaves "
                             f"{'no validation' if cut == n else 'no training'} rows")  # fmt: skip
        return [(np.sort(order[:cut]), np.sort(order[cut:]))]
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
    part. An error of the trial itself is returned as {"error": ...} (the sweep goes on);
    MemoryError, OSError and an interrupted training (KeyboardInterrupt, also when the Trainer
    stopped gracefully) are raised: they are not the trial's result."""
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
        if getattr(history, "interrupted", False):  # Ctrl-C that the Trainer caught
            raise KeyboardInterrupt(f"run_trial: trial {record['id']} was interrupted")
        metrics = trainer.evaluate(X[val], y[val])
        record.update(val_loss=metrics["loss"], val_accuracy=metrics.get("accuracy"),
                      zeros=sparsity(penalized(model)), epochs=len(history.epoch))  # fmt: skip
    except (MemoryError, OSError):
        raise  # the machine, not the trial: not done
    except Exception as error:  # noqa: BLE001 - a failed trial is recorded, not fatal
        record["error"] = f"{type(error).__name__}: {error}"
    record["seconds"] = time.perf_counter() - start
    return record


# --------------------------------------------------------------------------- the results file
def _problem(record: Any) -> str | None:
    """Why `record` is not a valid trial record (None when it is)."""
    if not isinstance(record, dict):
        return "not a JSON object"
    point, fold, seed = record.get("point"), record.get("fold"), record.get("seed")
    if not isinstance(point, dict) or not all(
        isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool)
        for k, v in point.items()
    ):
        return "no point {knob: number}"
    if not (isinstance(fold, int) and isinstance(seed, int)) or isinstance(fold | seed, bool):
        return "no integer fold and seed"
    if fold < 0 or seed < 0 or record.get("id") != trial_id(point, fold, seed):
        return "an id that does not match its point, fold and seed"
    if "error" in record:
        return None if isinstance(record["error"], str) else "an error that is not text"
    if not isinstance(record.get("val_loss"), int | float) or isinstance(record["val_loss"], bool):
        return "neither a val_loss nor an error"
    if not isinstance(record.get("zeros"), int | float):
        return "no zeros"
    return None


def is_done(record: Mapping[str, Any]) -> bool:
    """Whether a (valid) record counts as done: finished, or failed on its own; not a trial
    whose worker was lost (as older versions recorded them)."""
    return not str(record.get("error", "")).startswith(_LOST)


def _read(path: Path) -> tuple[list[tuple[bytes, dict[str, Any]]], list[tuple[int, bytes, str]],
                              int]:  # fmt: skip
    """([(line, record)] of the valid records, [(line number, line, why)] of the other non-empty
    lines, the number of the last non-empty line)."""
    if not path.exists():
        return [], [], 0
    if path.is_dir():
        raise IsADirectoryError(f"load_results: {os.fspath(path)!r} is a folder, not a file")
    good, bad, last = [], [], 0
    for number, line in enumerate(path.read_bytes().splitlines(keepends=True), 1):
        if not line.strip():
            continue
        last = number
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            bad.append((number, line, "not JSON (torn or corrupted)"))
            continue
        why = _problem(record)
        if why is None:
            good.append((line if line.endswith(b"\n") else line + b"\n", record))
        else:
            bad.append((number, line, why))
    return good, bad, last


def _done(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The done records, the first of each id."""
    seen: set[str] = set()
    out = []
    for record in records:
        if is_done(record) and record["id"] not in seen:
            seen.add(record["id"])
            out.append(record)
    return out


def _news(bad: Sequence[tuple[int, bytes, str]], last: int) -> list[int]:
    """The numbers of the bad lines worth a warning: all but a torn last line (not JSON), which
    is what a crash while writing leaves."""
    return [n for n, _, why in bad if not (n == last and why.startswith("not JSON"))]


def load_results(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The trials recorded (done) in a results.jsonl: valid records only, the first of each
    trial. A torn last line (a crash while writing) is ignored silently; other lines that are not
    valid records (a line cut in the middle of the file, JSON without a point) are skipped with
    a warning (`resume=True` moves them aside)."""
    path = Path(path)
    good, bad, last = _read(path)
    middle = _news(bad, last)
    if middle:
        warnings.warn(f"load_results: {os.fspath(path)}: skipped {len(middle)} line(s) that are "
                      f"not valid trial records (line {', '.join(map(str, middle[:5]))}"
                      f"{', ...' if len(middle) > 5 else ''})", stacklevel=2)  # fmt: skip
    return _done(record for _, record in good)


def _line(record: Mapping[str, Any]) -> bytes:
    return (json.dumps(record, sort_keys=True) + "\n").encode()


def _failed_write(path: Path, error: OSError) -> OSError:
    return OSError(error.errno, f"run_sweep: cannot write {os.fspath(path)!r} "
                   f"({error.strerror or error}); the trials recorded before are kept: make room "
                   "and run again with resume=True")  # fmt: skip


def _append(path: Path, record: dict[str, Any]) -> None:
    """One JSON line, written whole, flushed and fsynced; Ctrl-C waits until it is; a write that
    fails is cut back to the file's previous end and raised as an OSError naming the file."""
    line = _line(record)
    with deferred():
        size = path.stat().st_size if path.exists() else 0
        if size:  # after a crash the last line may be torn: start on a fresh line
            with open(path, "rb") as f:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    line = b"\n" + line
        with open(path, "ab", buffering=0) as f:
            try:
                view = memoryview(line)
                while view:
                    view = view[f.write(view) :]
                os.fsync(f.fileno())
            except OSError as error:
                try:
                    f.truncate(size)
                except OSError:
                    pass
                raise _failed_write(path, error) from None


def _replace(path: Path, lines: Sequence[bytes]) -> None:
    """Write `lines` beside `path`, fsync, then rename over it: the old file or the new one,
    never a mix; Ctrl-C waits until it is done."""
    with deferred():
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")  # fmt: skip
        try:
            with os.fdopen(handle, "wb") as f:
                f.write(b"".join(lines))
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, path)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise _failed_write(path, error) from None
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _fingerprint(n: int, k: int | None, holdout: float, X: np.ndarray,
                 y: np.ndarray) -> dict[str, Any]:  # fmt: skip
    """What a trial's numbers depend on besides its point, fold and seed: the split and the
    data (a hash of X and y)."""
    digest = hashlib.sha256()
    for array in (X, y):
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return {"folds": k, "holdout": None if k else holdout, "rows": n,
            "data": digest.hexdigest()[:16]}  # fmt: skip


def _points(owner: str, points: Any) -> list[dict[str, float]]:
    if isinstance(points, str | Mapping) or not isinstance(points, Sequence):
        raise check.fail(owner, "points", "a list of points {knob: value}", points, TypeError)
    if not points:
        raise ValueError(f"{owner}: points is empty (no points to try)")
    out, seen = [], set()
    for i, point in enumerate(points):
        if not isinstance(point, Mapping) or not all(isinstance(k, str) for k in point):
            raise check.fail(owner, f"points[{i}]", "a dict {knob name: number}", point,
                             TypeError)  # fmt: skip
        point = {k: check.finite(owner, f"points[{i}][{k!r}]", v) for k, v in point.items()}
        key = json.dumps(point, sort_keys=True)
        if key in seen:
            raise ValueError(f"{owner}: points[{i}] = {point} is given twice")
        seen.add(key)
        out.append(point)
    return out


def _data(owner: str, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X), np.asarray(y)
    for name, array in (("X", X), ("y", y)):
        if array.ndim == 0 or array.dtype.kind not in "biuf":
            raise check.fail(owner, name, "an array of numbers with one row per example", array,
                             TypeError)  # fmt: skip
    if len(X) != len(y):
        raise ValueError(f"{owner}: X and y must have the same number of rows, got {len(X)} "
                         f"and {len(y)}")  # fmt: skip
    if len(X) < 2:
        raise ValueError(f"{owner}: X must have at least 2 rows to split, got {len(X)}")
    return X, y


@dataclass
class SweepPlan:
    """A checked sweep, ready to `run` (made by `plan_sweep`, which changed nothing): the trials
    still to run and where their records go."""

    build: Builder
    X: np.ndarray
    y: np.ndarray
    path: Path
    splits: list[tuple[np.ndarray, ...]]
    todo: list[tuple[dict[str, float], int, int]]
    planned: set[str]
    split: dict[str, Any]
    resume: bool
    rejected: list[tuple[int, bytes, str]] = field(default_factory=list)
    kept: list[bytes] = field(default_factory=list)
    last_line: int = 0
    jobs: int | None = None
    scheduler: Any = None
    dask_local: int | None = None
    progress: bool = True
    warm_up: Callable[[], None] | None = None
    connect_timeout: float = CONNECT_TIMEOUT

    def run(self) -> list[dict[str, Any]]:
        """Run the trials left, once (see the module's rules for what is recorded when);
        returns all recorded trials of the results file."""
        with interruptible():
            if self.rejected:  # resume: set the lines that are no records aside, then drop them
                aside = self.path.with_name(self.path.name + ".rejected")
                with deferred(), open(aside, "ab") as f:
                    f.write(b"".join(line if line.endswith(b"\n") else line + b"\n"
                                     for _, line, _ in self.rejected))  # fmt: skip
                    f.flush()
                    os.fsync(f.fileno())
                    _replace(self.path, self.kept)
                middle = _news(self.rejected, self.last_line)
                if middle:
                    warnings.warn(f"run_sweep: {len(middle)} line(s) of {self.path} were not "
                                  f"valid trial records; moved to {aside}, their trials run "
                                  "again", stacklevel=3)  # fmt: skip
            with dask_client(self.scheduler, self.dask_local, self.connect_timeout,
                             "run_sweep") as target:  # fmt: skip
                self._run_all(target)
        records = load_results(self.path)
        mine = [r for r in records if r["id"] in self.planned]
        if mine and all("error" in r for r in mine):
            raise SweepFailed(f"run_sweep: all {len(mine)} trials failed (the first: "
                              f"{mine[0]['error']}); their errors are in {self.path}")  # fmt: skip
        return records

    def _run_all(self, target: Any) -> None:
        fresh = not self.resume  # the old file is replaced when the first trial is recorded
        todo, lost = list(self.todo), None
        if not todo:
            return
        attempts = 2 if parallel(self.jobs, target) else 1  # a lost worker: once more
        for attempt in range(attempts):
            tasks = [(self.build, p, self.X, self.y, self.splits[f], f, s) for p, f, s in todo]
            results = run_tasks(run_trial, tasks, jobs=self.jobs, scheduler=target,
                                warm_up=self.warm_up if attempt == 0 else None,
                                desc="tinyreg sweep", unit="trial", progress=self.progress,
                                connect_timeout=self.connect_timeout)  # fmt: skip
            finished, lost = set(), None
            try:
                while True:
                    try:
                        record = next(results)
                    except StopIteration:
                        break
                    except Exception as error:  # infrastructure: the trial is not done
                        lost = error
                        break
                    record = {**record, "split": self.split}
                    if fresh:
                        _replace(self.path, [_line(record)])
                        fresh = False
                    else:
                        _append(self.path, record)
                    finished.add(record["id"])
            finally:
                results.close()
            todo = [t for t in todo if trial_id(*t) not in finished]
            if lost is None:
                return
        cause = " ".join(str(lost).split()).split(". ")[0][:160]  # its first sentence
        raise SweepIncomplete(
            f"run_sweep: {len(todo)} of {len(self.planned)} trials did not finish "
            f"({type(lost).__name__}: {cause}); none of them was recorded, the finished ones are "
            f"in {self.path}: run again with resume=True"
        ) from lost


def plan_sweep(build: Builder, points: Sequence[dict[str, float]], X: np.ndarray, y: np.ndarray,
               results: str | os.PathLike, k: int | None = 5, holdout: float = 0.2,
               seeds: int = 1, jobs: int | None = None, scheduler: Any = None,
               dask_local: int | None = None, resume: bool = False, progress: bool = True,
               warm_up: Callable[[], None] | None = None,
               connect_timeout: float = CONNECT_TIMEOUT) -> SweepPlan:  # fmt: skip
    """Check every argument of `run_sweep` (and, with resume, the results file) and list the
    trials to run, changing nothing: a TypeError or ValueError naming run_sweep otherwise."""
    from ..serialization import check_writable

    owner = "run_sweep"
    if not callable(build):
        raise check.fail(owner, "build", "a function params -> (model, trainer kwargs)", build,
                         TypeError)  # fmt: skip
    points = _points(owner, points)
    X, y = _data(owner, X, y)
    if not isinstance(results, str | os.PathLike):
        raise check.fail(owner, "results", "a file path", results, TypeError)
    path = Path(results)
    if path.is_dir():
        raise ValueError(f"{owner}: results must be a file, got the folder {os.fspath(path)!r}")
    holdout = check.number(owner, "holdout", holdout, 0, 1, low_open=True, high_open=True)
    if k is not None:
        k = check.integer(owner, "k", k, low=2, high=len(X))
    seeds = check.integer(owner, "seeds", seeds, low=1)
    if jobs is not None:
        jobs = check.integer(owner, "jobs", jobs, low=1)
    check_target(owner, scheduler, dask_local)
    resume = check.boolean(owner, "resume", resume)
    progress = check.boolean(owner, "progress", progress)
    if warm_up is not None and not callable(warm_up):
        raise check.fail(owner, "warm_up", "a function or None", warm_up, TypeError)
    connect_timeout = check.number(owner, "connect_timeout", connect_timeout, 0, low_open=True)
    total = len(points) * (k or 1) * seeds
    if total > MAX_TRIALS:
        raise ValueError(f"{owner}: {len(points)} points x {k or 1} folds x {seeds} seeds = "
                         f"{total:,} trials, more than the limit of {MAX_TRIALS:,}; fewer points "
                         "(--budget N), folds or seeds")  # fmt: skip
    splits = folds(len(X), k, holdout, seed=0)
    split = _fingerprint(len(X), k, holdout, X, y)
    good, bad, done, last = [], [], set(), 0
    if resume:
        good, bad, last = _read(path)
        other = next((r["split"] for _, r in good if r.get("split", split) != split), None)
        if other is not None:
            raise ValueError(f"{owner}: {os.fspath(path)!r} holds trials of another split "
                             f"({other}); this sweep's is {split}: resume with the same folds, "
                             "holdout and data, or give another results file")  # fmt: skip
        done = {r["id"] for r in _done(r for _, r in good)}
    check_writable(owner, path)
    planned = [(p, f, s) for p in points for f in range(len(splits)) for s in range(seeds)]
    todo = [t for t in planned if trial_id(*t) not in done]
    return SweepPlan(build, X, y, path, splits, todo, {trial_id(*t) for t in planned}, split,
                     resume, bad, [line for line, _ in good], last, jobs, scheduler,
                     dask_local, progress, warm_up, connect_timeout)  # fmt: skip


def run_sweep(build: Builder, points: Sequence[dict[str, float]], X: np.ndarray, y: np.ndarray,
              results: str | os.PathLike, k: int | None = 5, holdout: float = 0.2,
              seeds: int = 1, jobs: int | None = None, scheduler: Any = None,
              dask_local: int | None = None, resume: bool = False, progress: bool = True,
              warm_up: Callable[[], None] | None = None,
              connect_timeout: float = CONNECT_TIMEOUT) -> list[dict[str, Any]]:  # fmt: skip
    """Run every (point, fold, seed) trial and return all recorded trials.

    jobs: worker processes for joblib (default: the CPU count). scheduler: a dask.distributed
    Client or its address "tcp://host:port"; dask_local: a LocalCluster of that many workers
    started for this sweep (`runner.run_tasks`); connect_timeout: the most seconds to wait for
    a scheduler (and again for its first worker). warm_up: run once here before the workers
    start (`comparison.warm_up` fills Numba's cache). The data split and each trial's seed are
    fixed by (fold, seed), and every trial runs on one thread, so joblib, Dask and a serial run
    give the same numbers.

    Every argument is checked first (`plan_sweep`); what is recorded, and what `resume` runs
    again, follows the module's rules. Raises KeyboardInterrupt on Ctrl-C, `SweepIncomplete`
    when the infrastructure left trials unfinished, ConnectionError for an unreachable
    scheduler, OSError when the results cannot be written, `SweepFailed` when every trial
    failed; the trials recorded before stay recorded.
    """
    return plan_sweep(build, points, X, y, results, k, holdout, seeds, jobs, scheduler,
                      dask_local, resume, progress, warm_up, connect_timeout).run()  # fmt: skip


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
    for i, record in enumerate(records):
        why = _problem(record)
        if why is not None:
            raise ValueError(f"summarize: records[{i}] is not a trial record: {why}")
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
    if not any(knob in s.point for s in valid):
        known = sorted({name for s in valid for name in s.point})
        raise ValueError(f"choose: knob must be one of the points' knobs {known}, got {knob!r}")
    best = min(valid, key=lambda s: s.val_loss.mean)
    within = [s for s in valid if s.val_loss.mean <= best.val_loss.mean + best.standard_error]
    return best, max(within, key=lambda s: s.point.get(knob, -math.inf))
