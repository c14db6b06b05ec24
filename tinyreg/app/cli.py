"""The `tinyreg` command line: `tinyreg compare`, `tinyreg sweep` and
`tinyreg bench [kernels|train|startup]`.

Every flag is checked before any work starts; a bad one is reported in one line on stderr with
exit status 2, never a traceback."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from typing import NoReturn

from .. import __version__


class UsageError(Exception):
    """A flag with a bad value: reported in one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with its errors in one line (no usage block) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _at_least(low: int):
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


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the `tinyreg` command and its subcommands."""
    parser = _Parser(prog="tinyreg", description="tinyreg: learn regularization by running it.")
    parser.add_argument("--version", action="version", version=f"tinyreg {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    compare = commands.add_parser(
        "compare", help="train one network under each regularization technique and compare"
    )
    compare.add_argument(
        "--dataset",
        default="digits",
        choices=["digits", "mnist", "moons", "spirals"],
        help="digits (MLP, default), mnist (the CNN), moons, spirals (MLP)",
    )
    compare.add_argument(
        "--runs",
        help="comma-separated runs, e.g. none,l1,group_lasso (default: "
        "the ten seed techniques; also group_lasso, max_norm, label_smoothing, "
        "mixup, ema)",
    )
    compare.add_argument("--epochs", type=_at_least(1), default=150,
                         help="most epochs per run (150)")  # fmt: skip
    compare.add_argument("--seed", type=_at_least(0), default=0, help="first seed (0)")
    compare.add_argument(
        "--seeds",
        type=_at_least(1),
        default=5,
        help="seeds per technique (5); split, init and dropout follow the seed",
    )
    compare.add_argument(
        "--jobs", type=_at_least(1), default=None, help="worker processes (default: the CPU count)"
    )
    compare.add_argument("--open", action="store_true", help="open report.html when done")
    compare.add_argument("--out", default="report", help="folder for report.md and plots")
    compare.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    compare.add_argument("--quick", action="store_true", help="a few seconds, for tests")
    compare.set_defaults(handler=_compare)

    sweep = commands.add_parser(
        "sweep", help="choose a regularization strength by cross-validation",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  tinyreg sweep --space 'l2=1e-6..1e-1:log:6'\n"
               "  tinyreg sweep --space 'l1_prox=1e-5..1e-2:log:4' 'dropout=0,0.3' --folds 3\n"
               "  tinyreg sweep --space 'l2=1e-5..1e-1:log:12' --budget 6 --dask-local 2\n"
               "  tinyreg sweep --space 'group_lasso=1e-4..1e-2:log:5' --scheduler tcp://host:8786\n"
               "  tinyreg sweep --model linear    (the lasso path, alpha by 5-fold CV)",
    )  # fmt: skip
    sweep.add_argument("--model", choices=["linear", "logistic"],
                       help="instead of --space: the L1 path of a linear or logistic model with "
                       "warm starts, alpha by cross-validation")  # fmt: skip
    sweep.add_argument(
        "--space",
        nargs="+",
        metavar="KNOB=VALUES",
        help="name=lo..hi:log:n, name=lo..hi:n or name=a,b,c; knobs: l1, l2, "
        "l1_prox, group_lasso, max_norm, dropout, label_smoothing, lr",
    )
    sweep.add_argument(
        "--dataset", default="digits", choices=["digits", "mnist", "moons", "spirals"]
    )
    sweep.add_argument("--folds", type=_at_least(0), default=5, help="k-fold CV (0: a holdout)")
    sweep.add_argument("--seeds", type=_at_least(1), default=1, help="seeds per point and fold")
    sweep.add_argument("--budget", type=_at_least(1), help="random points instead of the grid")
    sweep.add_argument("--epochs", type=_at_least(1), default=50)
    sweep.add_argument("--train-size", type=_at_least(2), help="rows to cross-validate on")
    sweep.add_argument("--jobs", type=_at_least(1), help="worker processes (joblib)")
    sweep.add_argument("--scheduler", help="a Dask scheduler address, tcp://HOST:PORT")
    sweep.add_argument("--dask-local", type=_at_least(1), metavar="N",
                       help="start a Dask LocalCluster of N worker processes")  # fmt: skip
    sweep.add_argument("--out", default="sweep", help="folder for results.jsonl and the report")
    sweep.add_argument("--resume", action="store_true", help="skip trials already in the results")
    sweep.set_defaults(handler=_sweep)

    bench = commands.add_parser("bench", help="measure kernel (and training-step) speed")
    bench.add_argument(
        "what", nargs="?", default="kernels", choices=["kernels", "train", "startup"],
        help="kernels (default); train: a training step against PyTorch; startup: import "
             "time and compare --quick with an empty and a warm Numba cache",
    )  # fmt: skip
    bench.add_argument("--steps", type=_at_least(1), default=50,
                       help="timed training steps (train)")  # fmt: skip
    bench.add_argument("--rounds", type=_at_least(1), default=3,
                       help="alternating tinyreg/PyTorch runs per workload (train)")  # fmt: skip
    bench.add_argument("--profile", action="store_true",
                       help="train: where tinyreg's step time goes, op by op")  # fmt: skip
    bench.add_argument("--scaling", action="store_true",
                       help="train: step time against batch size, width and threads")  # fmt: skip
    bench.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                       help="where the training step runs (train)")  # fmt: skip
    bench.add_argument("--size", type=_at_least(1), default=1 << 22,
                       help="elements per array (kernels; 2^22)")  # fmt: skip
    bench.add_argument("--quick", action="store_true",
                       help="kernels: 2^20 elements, fewer repeats (seconds)")  # fmt: skip
    bench.add_argument("--backend", default="cpu", choices=["cpu", "cuda", "all"])
    bench.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    bench.set_defaults(handler=_bench)
    return parser


def _check_args(args: argparse.Namespace) -> None:
    """Every check that argparse's types cannot make, before any work starts."""
    from ..serialization import check_writable

    if getattr(args, "device", "cpu") == "cuda":
        from ..device import cupy

        try:
            cupy()
        except RuntimeError as error:
            raise UsageError(f"--device cuda: {error}") from None
    try:
        if args.command == "compare":
            from . import compare

            known = [r.name for r in compare.RUNS]
            default = [r.name for r in compare.RUNS if r.default]
            args.runs = default if args.runs is None else [n.strip() for n in args.runs.split(",")]
            unknown = [n for n in args.runs if n not in known]
            if unknown or not args.runs:
                raise UsageError(f"--runs: unknown runs {unknown}; choose from {', '.join(known)}")
            check_writable("--out", os.path.join(args.out, "report.md"))
        if args.command == "sweep":
            check_writable("--out", os.path.join(args.out, "results.jsonl"))
        if getattr(args, "json", None):
            check_writable("--json", args.json)
    except OSError as error:
        raise UsageError(str(error)) from None


def _sweep(args: argparse.Namespace) -> int:
    from . import sweep

    if args.model:
        return sweep.main_path(args.model, args.folds, args.out)
    if not args.space:
        raise UsageError("give --space KNOB=VALUES ... (or --model linear|logistic)")
    if (args.scheduler or args.dask_local) and importlib.util.find_spec("distributed") is None:
        raise UsageError("--scheduler/--dask-local need Dask: pip install 'tinyreg[dask]'")
    try:
        return sweep.main(args.space, args.dataset, args.folds, args.seeds, args.budget,
                          args.jobs, args.scheduler, args.dask_local, args.epochs,
                          args.train_size, args.out, args.resume)  # fmt: skip
    except ValueError as error:  # a bad search space: said before any trial runs
        raise UsageError(str(error)) from None


def _compare(args: argparse.Namespace) -> int:
    from . import compare

    return compare.main(args.dataset, args.runs, args.epochs, args.seed, args.seeds, args.out,
                        args.device, args.quick, args.jobs, args.open)  # fmt: skip


def _bench(args: argparse.Namespace) -> int:
    from . import bench_kernels

    if args.what == "startup":
        from . import bench_startup

        return bench_startup.main_startup()
    if args.what == "train":
        from . import bench_train

        return bench_train.main_train(args.steps, args.json, args.device, args.rounds,
                                       args.profile, args.scaling)  # fmt: skip
    return bench_kernels.main_kernels(args.size, args.backend, args.json, args.quick)


def main(argv: list[str] | None = None) -> int:
    """Run the command line with `argv` (default sys.argv[1:]); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        _check_args(args)
        return args.handler(args)
    except UsageError as error:
        print(f"tinyreg {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tinyreg {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
