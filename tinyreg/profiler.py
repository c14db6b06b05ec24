"""Where a training step's time goes, op by op: `with profile() as p: step()`.

While a `Profile` is active it is one of the autograd engine's hooks (`engine.HOOKS`).
Forward: when an op records its output, the time since the previous op (or since the profile or
`p.section` started) is charged to that op: its arithmetic plus the Python that prepared it.
Backward: each op's backward closure is timed, and the rest of the backward pass (walking the
graph, summing gradients that meet, storing leaf gradients) is charged to "backward
bookkeeping". Code outside the engine (the optimizer step, zero_grad) is timed with
`p.section(name)`. PyTorch's `torch.profiler` reports per-kernel times instead; this is coarser
and cheap (a clock read per op), so a learner can see matmul against batch norm against Python
in one table.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from .autograd import engine

BOOKKEEPING = "backward bookkeeping"


class Profile:
    """Seconds and calls per (phase, op); phases are "forward", "backward" and section names."""

    def __init__(self) -> None:
        self.seconds: dict[tuple[str, str], float] = defaultdict(float)
        self.calls: dict[tuple[str, str], int] = defaultdict(int)
        self._last = time.perf_counter()

    def forward(self, op: str) -> None:
        """Charge the time since the last event to the forward of `op` (called by
        `autograd.function.op`)."""
        now = time.perf_counter()
        self._add("forward", op, now - self._last)
        self._last = now

    def backward(self, op: str, seconds: float) -> None:
        """Charge `seconds` to the backward of `op` (called by the autograd engine)."""
        self._add("backward", op, seconds)
        self._last = time.perf_counter()

    def bookkeeping(self, seconds: float) -> None:
        """Charge `seconds` of a backward pass outside the closures to BOOKKEEPING."""
        self._add("backward", BOOKKEEPING, seconds)
        self._last = time.perf_counter()

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        """Time the body as one row `name` (code outside the engine: optimizer, zero_grad)."""
        start = time.perf_counter()
        yield
        self._add(name, name, time.perf_counter() - start)
        self._last = time.perf_counter()

    def restart_clock(self) -> None:
        """Start the forward clock now (e.g. at the start of a step)."""
        self._last = time.perf_counter()

    def _add(self, phase: str, op: str, seconds: float) -> None:
        self.seconds[phase, op] += seconds
        self.calls[phase, op] += 1

    def total(self) -> float:
        """All seconds recorded."""
        return sum(self.seconds.values())


@contextmanager
def profile() -> Iterator[Profile]:
    """Record every op's forward and backward time while the block runs (one profile at a time)."""
    if any(isinstance(hook, Profile) for hook in engine.HOOKS):
        raise RuntimeError("profile: a profile is already active")
    recorder = Profile()
    engine.HOOKS.append(recorder)
    try:
        yield recorder
    finally:
        engine.HOOKS.remove(recorder)
