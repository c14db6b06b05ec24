"""`tinyreg bench [kernels|train|startup|playground]`: measure kernel (and training-step) speed,
and the playground's. The measurements live in bench_kernels, bench_train, bench_startup and
bench_playground; this module is the command."""

from __future__ import annotations

import argparse
import importlib.util
from typing import Any

from .options import UsageError, at_least, check_device, writable
from .timing import available_memory

HELP = "measure kernel (and training-step) speed"
PARSER: dict[str, Any] = {}
QUICK_SIZE = 1 << 20  # --quick's most elements (bench_kernels.QUICK_SIZE)
BYTES_PER_ELEMENT = 48  # the most a kernel case holds at once (adam's 4 arrays and its reference's
# temporaries, float32), with room to spare: --size is refused when this times it will not fit
WHAT = {
    "kernels": "each kernel against its NumPy reference (default)",
    "train": "a training step against PyTorch",
    "startup": "import time and compare --quick with an empty and a warm Numba cache",
    "playground": "the playground's update rate, latency, sessions and memory (a real server)",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """bench's flags: what to measure, and how much."""
    parser.add_argument(
        "what", nargs="?", default="kernels", choices=list(WHAT),
        help="; ".join(f"{name}: {text}" for name, text in WHAT.items()),
    )  # fmt: skip
    parser.add_argument("--steps", type=at_least(1), default=50,
                        help="timed training steps (train)")  # fmt: skip
    parser.add_argument("--rounds", type=at_least(1), default=3,
                        help="alternating tinyreg/PyTorch runs per workload (train)")  # fmt: skip
    parser.add_argument("--profile", action="store_true",
                        help="train: where tinyreg's step time goes, op by op")  # fmt: skip
    parser.add_argument(
        "--workloads",
        type=workload_list,
        default=None,
        metavar="S,L,C,M",
        help="train: only these workloads (comma-separated; all by default)",
    )
    parser.add_argument("--threads", type=at_least(1), default=None,
                        help="train: threads for both frameworks (BLAS, OpenMP, Numba; all "
                        "cores by default)")  # fmt: skip
    parser.add_argument("--scaling", action="store_true",
                        help="train: step time against batch size, width and threads")  # fmt: skip
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                        help="where the training step runs (train)")  # fmt: skip
    parser.add_argument("--size", type=at_least(1), default=1 << 22,
                        help="elements per array (kernels; 2^22)")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="kernels: 2^20 elements, fewer repeats (seconds); playground: "
                        "2 s per measurement instead of 5")  # fmt: skip
    parser.add_argument("--backend", default="cpu", choices=["cpu", "cuda", "all"])
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")


def workload_list(text: str) -> list[str]:
    """--workloads: names of `tinyreg bench train`'s workloads, comma-separated."""
    from .bench_train import WORKLOADS

    names = [name.strip().upper() for name in text.split(",")]
    wrong = [name for name in names if name not in WORKLOADS]
    if wrong:  # an empty name ("S,", ",") is wrong too
        raise argparse.ArgumentTypeError(
            f"expected workload names from {', '.join(WORKLOADS)}, comma-separated, got {text!r}"
        )
    return list(dict.fromkeys(names))


def check_kernels(size: int, backend: str, quick: bool) -> None:
    """A UsageError before anything is allocated: --backend cuda without CuPy, or a --size
    whose arrays would not fit in the memory available."""
    if backend == "cuda" and importlib.util.find_spec("cupy") is None:
        raise UsageError("--backend cuda needs CuPy and a GPU: pip install 'tinyreg[cuda]'")
    size = min(size, QUICK_SIZE) if quick else size
    needed, free = size * BYTES_PER_ELEMENT, available_memory()
    if free is not None and needed > free:
        raise UsageError(f"--size {size} needs about {needed / 2**30:.1f} GiB "
                         f"({BYTES_PER_ELEMENT} bytes per element), more than the "
                         f"{free / 2**30:.1f} GiB available; choose at most "
                         f"--size {free // BYTES_PER_ELEMENT}")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Check the flags, then run the benchmark asked for; returns the exit status."""
    check_device(args.device)
    if args.json:
        writable("--json", args.json)
    if args.what == "kernels":
        check_kernels(args.size, args.backend, args.quick)
    if args.what == "playground":
        from . import bench_playground

        return bench_playground.main_playground(args.json, args.quick)
    if args.what == "startup":
        from . import bench_startup

        return bench_startup.main_startup()
    if args.what == "train":
        from . import bench_train

        return bench_train.main_train(args.steps, args.json, args.device, args.rounds,
                                       args.profile, args.scaling, args.workloads,
                                       args.threads)  # fmt: skip
    from . import bench_kernels

    return bench_kernels.main_kernels(args.size, args.backend, args.json, args.quick)
