"""Shared plumbing for the demos: command-line flags, output folder, the printed finding."""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")


def parse(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a smaller run that takes seconds")
    parser.add_argument("--out", default="demo_output", help="folder for the PNG")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    return args


def save(fig, args: argparse.Namespace, name: str) -> None:
    path = Path(args.out) / name
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print(f"saved {path}")


def finding(text: str, **values: float) -> None:
    """Print the demo's claim in words, then as key=value pairs the tests read back."""
    print(text)
    print("finding: " + " ".join(f"{k}={v:.6g}" for k, v in values.items()))
