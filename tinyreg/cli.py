"""The `tinyreg` command line: `tinyreg compare | bench | demo`."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinyreg", description="tinyreg: learn regularization by running it."
    )
    parser.add_argument("--version", action="version", version=f"tinyreg {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    compare = commands.add_parser(
        "compare", help="train one network under each regularization technique and compare"
    )
    compare.add_argument("--dataset", default="digits", choices=["digits", "moons", "spirals"])
    compare.add_argument("--runs", help="comma-separated subset, e.g. none,l1,l2 (default: all)")
    compare.add_argument("--epochs", type=int, default=150, help="most epochs per run (150)")
    compare.add_argument("--seed", type=int, default=0)
    compare.add_argument("--out", default="report", help="folder for report.md and plots")
    compare.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    compare.add_argument("--quick", action="store_true", help="a few seconds, for tests")
    compare.set_defaults(handler=_compare)

    bench = commands.add_parser("bench", help="measure kernel (and training-step) speed")
    bench.add_argument(
        "what", nargs="?", default="kernels", choices=["kernels", "train"],
        help="kernels (default), or train: a training step against PyTorch",
    )  # fmt: skip
    bench.add_argument("--steps", type=int, default=50, help="timed training steps (train)")
    bench.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                       help="where the training step runs (train)")  # fmt: skip
    bench.add_argument("--size", type=int, default=1 << 24, help="elements per array (2^24)")
    bench.add_argument("--backend", default="cpu", choices=["cpu", "cuda", "all"])
    bench.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    bench.set_defaults(handler=_bench)
    return parser


def _compare(args: argparse.Namespace) -> int:
    from . import compare

    return compare.main(args.dataset, args.runs, args.epochs, args.seed, args.out, args.device,
                        args.quick)  # fmt: skip


def _bench(args: argparse.Namespace) -> int:
    from . import bench

    if args.what == "train":
        from . import bench_train

        return bench_train.main_train(args.steps, args.json, args.device)
    if args.size < 1:
        raise SystemExit(f"tinyreg bench: --size must be >= 1, got {args.size}")
    return bench.main_kernels(args.size, args.backend, args.json)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
