"""What the commands' arguments share: the one-line usage error, integer flags with a floor,
the checks made before any work starts, and the runner's flags (--jobs, --scheduler,
--dask-local, --connect-timeout), declared once for every command that runs tasks."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import textwrap
from collections.abc import Callable, Mapping

from ..experiments.runner import CONNECT_TIMEOUT, check_address
from ..serialization import check_writable


class UsageError(Exception):
    """A flag with a bad value: reported in one line on stderr, exit status 2."""


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: an integer >= low, with a message naming the value."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {low}, got {text!r}"
            ) from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {value}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


def folds_flag(text: str) -> int:
    """An argparse type for --folds: 0 (a holdout) or an integer >= 2."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected 0 (a holdout) or an integer >= 2, got {text!r}"
        ) from None
    if value != 0 and value < 2:
        raise argparse.ArgumentTypeError(f"expected 0 (a holdout) or an integer >= 2, got {value}")
    return value


def seconds(text: str) -> float:
    """An argparse type: a number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def progress_bars() -> bool:
    """Whether to draw progress bars: only on a terminal (as the Trainer's verbose=1), so that a
    log or a pipe gets lines, not carriage returns."""
    return sys.stderr.isatty()


def listing(entries: Mapping[str, str], width: int = 18) -> str:
    """Help lines "  name   what it is", one entry each, wrapped at 79 columns (an epilog)."""
    indent = " " * (width + 3)
    return "\n".join(
        textwrap.fill(text, 79, initial_indent=f"  {name:<{width}} ", subsequent_indent=indent)
        for name, text in entries.items()
    )


def writable(flag: str, path: str | os.PathLike) -> None:
    """A UsageError now if a file cannot be written at `path` later (its folder is created)."""
    try:
        check_writable(flag, path)
    except OSError as error:
        raise UsageError(str(error)) from None


def check_device(device: str) -> None:
    """A UsageError saying what to install when `device` is "cuda" and CuPy is missing."""
    if device != "cuda":
        return
    from ..device import cupy

    try:
        cupy()
    except RuntimeError as error:
        raise UsageError(f"--device cuda: {error}") from None


def add_runner_arguments(parser: argparse.ArgumentParser, jobs_help: str) -> None:
    """--jobs, --scheduler and --dask-local: where `runner.run_tasks` sends the tasks."""
    parser.add_argument("--jobs", type=at_least(1), default=None, help=jobs_help)
    parser.add_argument("--scheduler", help="a Dask scheduler address, tcp://HOST:PORT")
    parser.add_argument("--dask-local", type=at_least(1), metavar="N",
                        help="start a Dask LocalCluster of N worker processes")  # fmt: skip
    parser.add_argument("--connect-timeout", type=seconds, default=CONNECT_TIMEOUT, metavar="S",
                        help="the most seconds to wait for the Dask scheduler, and again for its "
                        f"first worker ({CONNECT_TIMEOUT:g})")  # fmt: skip


def check_runner(args: argparse.Namespace) -> None:
    """A UsageError when --scheduler and --dask-local are both given, when the scheduler's
    address is malformed, or when they are given without Dask installed."""
    if args.scheduler and args.dask_local:
        raise UsageError("give --scheduler or --dask-local, not both")
    if args.scheduler:
        try:
            check_address("--scheduler", args.scheduler)
        except ValueError as error:
            raise UsageError(str(error).replace("--scheduler: scheduler", "--scheduler")) from None
    if (args.scheduler or args.dask_local) and importlib.util.find_spec("distributed") is None:
        raise UsageError("--scheduler/--dask-local need Dask: pip install 'tinyreg[dask]'")
