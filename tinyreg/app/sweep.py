"""`tinyreg sweep`: choose a regularization strength by cross-validation, on this machine's cores
or on a Dask cluster.

The work is `tinyreg.experiments` (search spaces in `search`, trials in `trials`, the recipe and
its knobs in `recipes`, `--model`'s paths in `paths`); this module is the command. Every flag,
the search space and the sizes are checked (`prepare`) before results.jsonl is touched; what the
results file records, and what --resume runs again, is the rule of `trials`: finished trials and
trials that failed on their own are done; interrupted ones (Ctrl-C: exit 130) and those the
infrastructure lost are not, and --resume runs them.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..experiments import comparison, paths, report, trials
from ..experiments.recipes import DATASETS, KNOBS, Setting, SweepRecipe, sweep_data
from ..experiments.runner import CONNECT_TIMEOUT
from ..experiments.search import Knob, grid, parse_space, sample
from .options import (
    UsageError,
    add_runner_arguments,
    at_least,
    check_runner,
    folds_flag,
    listing,
    progress_bars,
    writable,
)

HELP = "choose a regularization strength by cross-validation"
PARSER: dict[str, Any] = {
    "formatter_class": argparse.RawDescriptionHelpFormatter,
    "epilog": "knobs (--space):\n" + listing({k.name: k.help for k in KNOBS.values()})
    + "\n\nexamples:\n"
      "  tinyreg sweep --space 'l2=1e-6..1e-1:log:6'\n"
      "  tinyreg sweep --space 'l1_prox=1e-5..1e-2:log:4' 'dropout=0,0.3' --folds 3\n"
      "  tinyreg sweep --space 'l2=1e-5..1e-1:log:12' --budget 6 --dask-local 2\n"
      "  tinyreg sweep --space 'group_lasso=1e-4..1e-2:log:5' --scheduler tcp://host:8786\n"
      "  tinyreg sweep --model linear    (the lasso path, alpha by 5-fold CV)",
}  # fmt: skip


# the defaults of the flags that only --space uses (--model takes none of them)
SPACE_ONLY: dict[str, Any] = {"space": None, "dataset": "digits", "seeds": 1, "budget": None,
                              "epochs": 50, "train_size": None, "jobs": None, "scheduler": None,
                              "dask_local": None, "resume": False,
                              "connect_timeout": CONNECT_TIMEOUT}  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """sweep's flags; the knobs and data sets in the help come from the recipes' registry."""
    parser.add_argument("--model", choices=["linear", "logistic"],
                        help="instead of --space: the L1 path of a linear or logistic model with "
                        "warm starts, alpha by cross-validation")  # fmt: skip
    parser.add_argument("--space", nargs="+", metavar="KNOB=VALUES",
                        help="name=lo..hi:log:n, name=lo..hi:n or name=a,b,c; knobs: "
                        + ", ".join(KNOBS))  # fmt: skip
    parser.add_argument("--dataset", default=SPACE_ONLY["dataset"], choices=list(DATASETS))
    parser.add_argument("--folds", type=folds_flag, default=5,
                        help="k-fold CV, k >= 2 (0: a 20%% holdout)")  # fmt: skip
    parser.add_argument("--seeds", type=at_least(1), default=SPACE_ONLY["seeds"],
                        help="seeds per point and fold")  # fmt: skip
    parser.add_argument("--budget", type=at_least(1), help="random points instead of the grid")
    parser.add_argument("--epochs", type=at_least(1), default=SPACE_ONLY["epochs"])
    parser.add_argument("--train-size", type=at_least(2), help="rows to cross-validate on")
    add_runner_arguments(parser, "worker processes (joblib)")
    parser.add_argument("--out", default="sweep", help="folder for results.jsonl and the report")
    parser.add_argument("--resume", action="store_true", help="skip trials already in the results")


def run(args: argparse.Namespace) -> int:
    """Check every flag (the search space, the sizes and, with --resume, the results file
    included), then run the sweep or the path."""
    writable("--out", os.path.join(args.out, "results.jsonl"))
    if args.model:
        given = [f"--{dest.replace('_', '-')}" for dest, default in SPACE_ONLY.items()
                 if getattr(args, dest) != default]  # fmt: skip
        if given:
            raise UsageError(f"--model {args.model} computes the path on its own data: drop "
                             f"{', '.join(given)}")  # fmt: skip
        if args.folds < 2:
            raise UsageError(f"--model chooses alpha by k-fold cross-validation: --folds must be "
                             f"at least 2, got {args.folds}")  # fmt: skip
        return main_path(args.model, args.folds, args.out)
    if not args.space:
        raise UsageError("give --space KNOB=VALUES ... (or --model linear|logistic)")
    check_runner(args)
    try:
        prepared = prepare(args.space, args.dataset, args.folds, args.seeds, args.budget,
                           args.jobs, args.scheduler, args.dask_local, args.epochs,
                           args.train_size, args.out, args.resume, progress_bars(),
                           args.connect_timeout)  # fmt: skip
    except (ValueError, TypeError) as error:  # said before any trial runs or any file changes
        raise UsageError(str(error)) from None
    return prepared.execute()


@dataclass
class Prepared:
    """A checked sweep: the space, its points, the data set and the trials' plan."""

    space: dict[str, Knob]
    dataset: str
    rows: int
    folds: int
    seeds: int
    epochs: int
    out: Path
    plan: trials.SweepPlan

    def execute(self) -> int:
        """Run the trials, print the best points and the choice, write the report; the exit
        status."""
        points = len(self.plan.planned) // (self.folds * self.seeds)
        print(f"tinyreg sweep: {points} points x {self.folds} folds x {self.seeds} seeds on "
              f"{self.dataset} ({self.rows} rows), {self.epochs} epochs per trial"
              + (f"; {len(self.plan.planned) - len(self.plan.todo)} trials already done"
                 if self.plan.resume else ""), flush=True)  # fmt: skip
        try:
            records = self.plan.run()
        except KeyboardInterrupt:
            raise KeyboardInterrupt(f"the finished trials are in {self.plan.path}; --resume runs "
                                    "the rest") from None  # fmt: skip
        summaries = trials.summarize(records)
        knob = next(iter(self.space))
        best, one_se = trials.choose(summaries, knob)
        print(report.points_table(summaries[:10]))
        print(f"\nbest: {best.point} (val loss {best.val_loss.format(4)}); one-standard-error "
              f"choice: {one_se.point} (the largest {knob} within one SE of the best)")  # fmt: skip
        report.write_sweep_report(records, summaries, self.space, best, one_se, self.dataset,
                                  self.out)  # fmt: skip
        print(f"report written to {self.out / 'report.md'} and {self.out / 'report.html'}")
        return 0


def prepare(specs: list[str], dataset: str = "digits", k: int = 5, seeds: int = 1,
            budget: int | None = None, jobs: int | None = None, scheduler: str | None = None,
            dask_local: int | None = None, epochs: int = 50, train_size: int | None = None,
            out: str | os.PathLike = "sweep", resume: bool = False, progress: bool = True,
            connect_timeout: float = CONNECT_TIMEOUT) -> Prepared:  # fmt: skip
    """Check everything `main` takes and plan its trials, changing nothing (a ValueError or
    TypeError otherwise): the space and its size, the data set, the folds, the results file."""
    space = parse_space(specs, known=KNOBS)
    points = sample(space, budget) if budget else grid(space)
    X, y, data = sweep_data(dataset, train_size)
    recipe = SweepRecipe.on(data, epochs)
    out = Path(out)
    warm_up = partial(comparison.warm_up, Setting(dataset))  # Numba's cache, before the workers
    plan = trials.plan_sweep(recipe, points, X, y, out / "results.jsonl", k=k or None,
                             seeds=seeds, jobs=jobs, scheduler=scheduler, dask_local=dask_local,
                             resume=resume, progress=progress, warm_up=warm_up,
                             connect_timeout=connect_timeout)  # fmt: skip
    return Prepared(space, dataset, len(X), k or 1, seeds, epochs, out, plan)


def main(specs: list[str], dataset: str = "digits", k: int = 5, seeds: int = 1,
         budget: int | None = None, jobs: int | None = None, scheduler: str | None = None,
         dask_local: int | None = None, epochs: int = 50, train_size: int | None = None,
         out: str | os.PathLike = "sweep", resume: bool = False) -> int:  # fmt: skip
    """Run the sweep, print the best points and the choice, write the report; the exit code."""
    return prepare(specs, dataset, k, seeds, budget, jobs, scheduler, dask_local, epochs,
                   train_size, out, resume).execute()  # fmt: skip


def main_path(model: str, k: int = 5, out: str | os.PathLike = "sweep") -> int:
    """`tinyreg sweep --model linear|logistic`: the L1 path with warm starts on a standardized
    scikit-learn data set (diabetes for linear, breast cancer for logistic), the alpha chosen by
    k-fold cross-validation (k >= 2) and by the one-standard-error rule, a plot of the path."""
    from sklearn import datasets

    loader = datasets.load_diabetes if model == "linear" else datasets.load_breast_cancer
    X, y = loader(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    fit = paths.cross_validate_path(X, y, trials.folds(len(X), k, 0.2, seed=0), model)
    best, one_se, coefs = fit.best, fit.one_se, fit.coefs
    summary = (f"{model} path over {len(fit.alphas)} alphas, {fit.folds}-fold CV: best alpha "
               f"{fit.alphas[best]:.4g} ({fit.metric} {fit.mean[best]:.4g} +- "
               f"{fit.se[best]:.2g}, {int(np.count_nonzero(coefs[:, best]))} of {X.shape[1]} "
               f"features); one-SE alpha {fit.alphas[one_se]:.4g} "
               f"({int(np.count_nonzero(coefs[:, one_se]))} features)")  # fmt: skip
    print(summary)
    report.write_path_report(fit, summary, Path(out))
    print(f"report written to {Path(out) / 'report.md'}")
    return 0
