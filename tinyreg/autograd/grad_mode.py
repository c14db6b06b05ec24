"""Grad mode: whether ops record the graph. `no_grad` turns it off for a block or a function,
`enable_grad` turns it back on, `set_grad_enabled(mode)` sets it (for a block, or from then on).
As in PyTorch, the mode is per thread: a thread starts with recording on, and `no_grad` in one
thread leaves every other thread recording."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_state = threading.local()  # .enabled: this thread's mode, read by every op (`is_grad_enabled`)


def is_grad_enabled() -> bool:
    """Whether ops record the graph now in this thread (False inside `no_grad`)."""
    return getattr(_state, "enabled", True)


class _GradMode:
    """A context manager and decorator that sets this thread's grad mode to `mode` for its block
    (or for each call of the function it decorates) and puts the previous mode back."""

    mode = True

    def __enter__(self) -> None:
        self._previous = is_grad_enabled()
        _state.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._previous

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Context manager (and decorator) that records no graph: ops inside return constants."""

    mode = False


class enable_grad(_GradMode):
    """Context manager (and decorator) that records the graph again, inside `no_grad`."""

    mode = True


class set_grad_enabled:
    """Set this thread's grad mode to `mode` at once (as PyTorch's call does); used as
    `with set_grad_enabled(mode):`, the previous mode comes back at the end of the block. Unlike
    PyTorch's, not a decorator (use `no_grad` or `enable_grad`)."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be True or False, got {mode!r}")
        self._previous = is_grad_enabled()
        _state.enabled = mode

    def __enter__(self) -> None:
        pass  # set by the call

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._previous
