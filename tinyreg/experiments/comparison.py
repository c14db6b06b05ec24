"""What `tinyreg compare` does, as a Python API: train runs (any `recipes.Run`, built-in or yours)
over seeds and summarize them with intervals.

Every run trains once per seed (the data split, the initial weights, the dropout masks and the
augmentation all follow the seed), on `runner.run_tasks`'s worker processes or Dask cluster.
`summarize` gives per run the mean and 95% interval over seeds of every metric and the paired
difference against "none" over the same seeds (`stats`); `report` words and writes them.

    from tinyreg.experiments import comparison, recipes

    results = comparison.run_all(["none", "l1", "l1_prox"], [0, 1, 2], recipes.Setting(epochs=30))
    summaries = comparison.summarize(results, images=True)

Every argument is checked before any run starts (a TypeError or ValueError naming the function,
the argument, the value and what was expected). Ctrl-C stops the whole comparison
(KeyboardInterrupt), also when it lands inside a Trainer, whose graceful stop would otherwise
return a half-trained run as if it had finished (`runner.interruptible`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from .. import reg
from .. import validate as check
from ..creation import tensor as tr_tensor
from ..nn import functional as F
from ..random import manual_seed
from ..training.trainer import Trainer
from .recipes import RUNS, Run, Setting, build, get_run, load_dataset
from .runner import CONNECT_TIMEOUT, check_target, interruptible, run_tasks
from .stats import Interval, mean_interval, paired_interval

SMALL = 1e-3  # "small weight" threshold reported beside exact zeros
METRICS = ("test_accuracy", "test_loss", "gap", "best_epoch", "epochs_run", "exact_zeros",
           "small_weights", "mean_abs_weight", "seconds")  # fmt: skip
PAIRED = ("test_accuracy", "test_loss", "gap", "mean_abs_weight", "epochs_run")


def _resolve(run: Run | str) -> Run:
    if isinstance(run, str):
        return get_run(run)
    return check.instance("run_all", "a run", run, Run, "a recipes.Run or the name of one")


def train_one(run: Run | str, seed: int, setting: Setting, device: str = "cpu",
              keep_weights: bool = False) -> dict[str, Any]:  # fmt: skip
    """Train `run` (a Run, or the name of one in RUNS) with `seed` and measure it: a JSON-ready
    dict (plus the penalized weights as an array under "weights" when `keep_weights`). Epochs in
    it count from 1; exact_zeros and small_weights are the fractions of penalized weights with
    w == 0 and |w| <= SMALL."""
    run = _resolve(run)
    dataset = load_dataset(setting.dataset, seed, setting.train_size)
    manual_seed(seed)
    X, y = dataset.train
    model, kwargs = build(run, setting, dataset.inputs, dataset.classes, dataset.images, device)
    trainer = Trainer(model, **kwargs)
    start = time.perf_counter()
    history = trainer.fit(X, y, val=dataset.val, epochs=setting.epochs,
                          batch_size=setting.batch_size, seed=seed, verbose=0)  # fmt: skip
    if getattr(history, "interrupted", False):  # Ctrl-C that the Trainer caught: not a result
        raise KeyboardInterrupt(f"train_one: run {run.name!r} (seed {seed}) was interrupted")
    seconds = time.perf_counter() - start
    train, val = (trainer.evaluate(*split) for split in (dataset.train, dataset.val))
    test_logits = trainer.predict(dataset.test[0])
    test = {"accuracy": float((test_logits.argmax(axis=1) == dataset.test[1]).mean()),
            # plain cross-entropy for every run (label smoothing changes the training loss only)
            "loss": F.cross_entropy(tr_tensor(test_logits), dataset.test[1]).item()}  # fmt: skip
    model.to("cpu")
    weights = reg.penalized(model)
    flat = np.concatenate([w.data.ravel() for w in weights])
    result = {
        "run": run.name, "seed": seed, "test_accuracy": test["accuracy"],
        "test_loss": test["loss"], "gap": train["accuracy"] - val["accuracy"],
        "best_epoch": int(np.argmin(history["val_loss"])) + 1, "epochs_run": len(history.epoch),
        "exact_zeros": reg.sparsity(weights), "small_weights": reg.sparsity(weights, SMALL),
        "mean_abs_weight": float(np.abs(flat).mean()), "seconds": seconds,
        "curves": {k: history[k] for k in ("val_loss", "val_accuracy", "loss", "sparsity")},
    }  # fmt: skip
    if keep_weights:
        result["weights"] = flat
    return result


def warm_up(setting: Setting) -> None:
    """Compile (or load from Numba's cache) every kernel a run uses, once, before the workers
    start, so they do not all compile at the same time: a few tiny runs of one epoch."""
    tiny = Setting(setting.dataset, 64, 8, 1, setting.lr, setting.batch_size)
    for name in ("all", "l1_prox", "elastic_net", "group_lasso"):
        train_one(name, 0, tiny)


def run_all(
    runs: Sequence[Run | str], seeds: Sequence[int], setting: Setting, jobs: int | None = None,
    device: str = "cpu", scheduler: Any = None, dask_local: int | None = None,
    progress: bool = True, connect_timeout: float = CONNECT_TIMEOUT,
) -> list[dict[str, Any]]:  # fmt: skip
    """Every (run, seed) result, in the order they finish (`runner.run_tasks`: `jobs` worker
    processes, default the CPU count, or a Dask `scheduler`/`dask_local` cluster; on a GPU,
    one after the other here). The first seed's results keep the penalized weights. Every
    argument is checked before the first run; Ctrl-C raises KeyboardInterrupt."""
    owner = "run_all"
    if isinstance(runs, str) or not isinstance(runs, Sequence) or not runs:
        raise check.fail(owner, "runs", "a non-empty list of Runs or run names", runs, TypeError)
    runs = [_resolve(r) for r in runs]
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise ValueError(f"{owner}: runs must have distinct names, got {names}")
    if isinstance(seeds, str) or not isinstance(seeds, Sequence) or not seeds:
        raise check.fail(owner, "seeds", "a non-empty list of integers >= 0", seeds, TypeError)
    seeds = [check.integer(owner, f"seeds[{i}]", s, low=0) for i, s in enumerate(seeds)]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"{owner}: seeds must be distinct, got {seeds}")
    check.instance(owner, "setting", setting, Setting, "a recipes.Setting")
    if jobs is not None:
        jobs = check.integer(owner, "jobs", jobs, low=1)
    check_target(owner, scheduler, dask_local)
    progress = check.boolean(owner, "progress", progress)
    tasks = [(run, seed, setting, device, seed == seeds[0]) for run in runs for seed in seeds]
    on_cpu = device == "cpu"
    with interruptible():
        return list(run_tasks(train_one, tasks, jobs=jobs if on_cpu else 1,
                              scheduler=scheduler if on_cpu else None,
                              dask_local=dask_local if on_cpu else None,
                              threads=1 if on_cpu else None, warm_up=partial(warm_up, setting),
                              desc="tinyreg compare", unit="run", progress=progress,
                              connect_timeout=connect_timeout))  # fmt: skip


@dataclass
class Summary:
    """One run over all seeds: every metric's interval, and paired differences vs none."""

    name: str
    description: str
    per_seed: list[dict[str, Any]]
    intervals: dict[str, Interval] = field(default_factory=dict)
    versus_none: dict[str, Interval] = field(default_factory=dict)


def summarize(results: list[dict[str, Any]], images: bool, cnn: bool = False,
              runs: Sequence[Run] | None = None) -> list[Summary]:  # fmt: skip
    """Intervals per run, in the order of `runs` (default RUNS; a result of a run not in it is
    an error), and paired differences against "none" (mean and 95% interval of a - none over
    the same seeds, sorted by seed); `cnn` words the descriptions for the CNN."""
    runs = list(RUNS if runs is None else runs)
    by_run: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(results, key=lambda r: r["seed"]):
        by_run.setdefault(r["run"], []).append(r)
    missing = sorted(set(by_run) - {run.name for run in runs})
    if missing:
        raise ValueError(f"summarize: results of runs {missing} that `runs` does not list")
    none = by_run.get("none")
    summaries = []
    for run in runs:
        if run.name not in by_run:
            continue
        rows = by_run[run.name]
        s = Summary(run.name, run.describe(images, cnn), rows)
        s.intervals = {m: mean_interval([r[m] for r in rows]) for m in METRICS}
        if none is not None and run.name != "none":
            s.versus_none = {m: paired_interval([r[m] for r in rows], [r[m] for r in none])
                             for m in PAIRED}  # fmt: skip
        summaries.append(s)
    return summaries
