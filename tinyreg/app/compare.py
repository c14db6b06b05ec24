"""`tinyreg compare`: one network, trained once per regularization technique and per seed.

Every technique runs over several seeds (the data split, the initial weights, the dropout masks and
the augmentation all follow the seed). Per technique the report gives the mean and 95% interval
over seeds of test accuracy, test loss, train-minus-validation gap and best epoch, and the paired
difference against "none" over the same seeds, marked where its interval excludes 0. Claims the
README makes are checked against these numbers in the report's "What held on this data" section.

The work is `tinyreg.experiments.comparison`; the runs and data sets it offers are the registry of
`tinyreg.experiments.recipes`; this module is the command. A flag the user typed always wins over
a preset: `--quick` means 2 seeds and 3 epochs unless --seeds or --epochs say otherwise, and
MNIST's cap of MNIST_EPOCHS epochs is its default, not a limit.
"""

from __future__ import annotations

import argparse
import os
import time
import webbrowser
from pathlib import Path
from typing import Any

from .. import validate as check
from ..experiments import comparison, report
from ..experiments.recipes import DATASETS, MNIST_EPOCHS, RUNS, Run, Setting, load_dataset
from ..experiments.runner import CONNECT_TIMEOUT
from .options import (
    UsageError,
    add_runner_arguments,
    at_least,
    check_device,
    check_runner,
    listing,
    progress_bars,
    writable,
)

HELP = "train one network under each regularization technique and compare"
PARSER: dict[str, Any] = {
    "formatter_class": argparse.RawDescriptionHelpFormatter,
    "epilog": "runs (--runs; * not in the default set):\n"
    + listing({f"{r.name}{'' if r.default else ' *'}": r.describe(images=True) for r in RUNS}),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """compare's flags; the choices and the lists in the help come from the recipes' registry."""
    default = ", ".join(r.name for r in RUNS if r.default)
    extra = ", ".join(r.name for r in RUNS if not r.default)
    parser.add_argument(
        "--dataset", default="digits", choices=list(DATASETS),
        help="; ".join(f"{name}: {text}" for name, text in DATASETS.items()),
    )  # fmt: skip
    parser.add_argument("--runs", help=f"comma-separated runs (default: {default}; also {extra})")
    parser.add_argument("--epochs", type=at_least(1),
                        help=f"most epochs per run (150; {MNIST_EPOCHS} on MNIST, 3 with "
                        "--quick)")  # fmt: skip
    parser.add_argument("--seed", type=at_least(0), default=0, help="first seed (0)")
    parser.add_argument(
        "--seeds", type=at_least(1),
        help="seeds per technique (5; 2 with --quick); split, init and dropout follow the seed",
    )  # fmt: skip
    add_runner_arguments(parser, "worker processes (default: the CPU count)")
    parser.add_argument("--open", action="store_true", help="open report.html when done")
    parser.add_argument("--out", default="report", help="folder for report.md and plots")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--quick", action="store_true",
                        help="a few seconds, for tests: 120 training rows, batches of 32, 2 seeds "
                        "and 3 epochs unless --seeds / --epochs say otherwise")  # fmt: skip


def chosen_runs(text: str | None) -> list[Run]:
    """The runs --runs names (None: the default set), in RUNS order; a UsageError for an unknown
    or an empty list."""
    known = [r.name for r in RUNS]
    names = [r.name for r in RUNS if r.default] if text is None else [
        n.strip() for n in text.split(",")]  # fmt: skip
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise UsageError(f"--runs: unknown runs {unknown}; choose from {', '.join(known)}")
    return [r for r in RUNS if r.name in names]


def run(args: argparse.Namespace) -> int:
    """Check every flag, then run `main`; returns the exit status."""
    check_device(args.device)
    runs = chosen_runs(args.runs)
    writable("--out", os.path.join(args.out, "report.md"))
    check_runner(args)
    if args.device != "cpu" and (args.scheduler or args.dask_local):
        raise UsageError("--device cuda runs here, one run after the other: drop --scheduler and "
                         "--dask-local")  # fmt: skip
    return main(args.dataset, runs, args.epochs, args.seed, args.seeds, args.out, args.device,
                args.quick, args.jobs, args.open, args.scheduler, args.dask_local,
                progress_bars(), args.connect_timeout)  # fmt: skip


def main(dataset_name: str = "digits", runs: list[Run] | None = None, epochs: int | None = None,
         seed: int = 0, seeds: int | None = None, out: str | os.PathLike = "report",
         device: str = "cpu", quick: bool = False, jobs: int | None = None,
         open_report: bool = False, scheduler: str | None = None, dask_local: int | None = None,
         progress: bool = True, connect_timeout: float = CONNECT_TIMEOUT) -> int:  # fmt: skip
    """Train every run (default: RUNS's default set; "none", the reference, is always added) over
    `seeds` seeds starting at `seed`, print the table and the findings, write the report;
    returns the exit code. epochs and seeds given win over the presets (None: 150 epochs,
    MNIST_EPOCHS on MNIST, 3 with `quick`; 5 seeds, 2 with `quick`)."""
    if epochs is not None:
        epochs = check.integer("compare", "epochs", epochs, low=1)
    if seeds is not None:
        seeds = check.integer("compare", "seeds", seeds, low=1)
    seed = check.integer("compare", "seed", seed, low=0)
    check.choice("compare", "dataset_name", dataset_name, tuple(DATASETS))
    runs = [r for r in RUNS if r.default] if runs is None else list(runs)
    if "none" not in [r.name for r in runs]:
        runs = [next(r for r in RUNS if r.name == "none"), *runs]
    images = dataset_name in ("digits", "mnist")
    for name in ("augmentation", "mixup"):
        if not images and name in [r.name for r in runs]:
            runs = [r for r in runs if r.name != name]
            print(f"tinyreg compare: {name} skipped (it needs images)")
    if epochs is None:  # the presets; MNIST's CNN costs ~1 s per epoch and run on 2 cores
        epochs = 3 if quick else MNIST_EPOCHS if dataset_name == "mnist" else 150
    if seeds is None:
        seeds = 2 if quick else 5
    setting = Setting(dataset_name, 120 if quick else None, 32 if quick else 256, epochs)
    seed_list = list(range(seed, seed + seeds))
    jobs = jobs or os.cpu_count() or 1
    first = load_dataset(dataset_name, seed_list[0], setting.train_size)
    where = (f"Dask {scheduler}" if scheduler else f"a Dask LocalCluster of {dask_local}"
             if dask_local else f"{jobs} process{'es' if jobs > 1 else ''}")  # fmt: skip
    print(f"tinyreg compare: {first.note}; {len(runs)} runs x {len(seed_list)} seeds, up to "
          f"{setting.epochs} epochs each, {where}")  # fmt: skip
    start = time.perf_counter()
    results = comparison.run_all(runs, seed_list, setting, jobs, device, scheduler, dask_local,
                                 progress, connect_timeout)  # fmt: skip
    summaries = comparison.summarize(results, images, cnn=dataset_name == "mnist", runs=runs)
    weights = {r["run"]: r["weights"] for r in results if "weights" in r}
    sample = first.train[0][:8] if images else None
    out = Path(out)
    report.write_compare_report(summaries, weights, first.note, sample, setting, seed_list, out)
    print()
    print(report.runs_table(summaries))
    print("\nWhat held on this data:")
    for line in report.findings(summaries, setting.epochs):
        print(f"- {line}")
    print(f"\n{len(results)} runs in {time.perf_counter() - start:.1f} s; report written to "
          f"{out / 'report.md'} and {out / 'report.html'}")  # fmt: skip
    if open_report:
        webbrowser.open((out / "report.html").resolve().as_uri())
    return 0
