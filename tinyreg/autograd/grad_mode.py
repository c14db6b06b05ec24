"""Grad mode: whether ops record the graph (`no_grad` turns it off for a block or a function)."""

from __future__ import annotations

from collections.abc import Callable

_enabled = True  # read by `autograd.function.op` for every op


class no_grad:
    """Context manager (and decorator) that records no graph: ops inside return constants."""

    def __enter__(self) -> None:
        global _enabled
        self._previous = _enabled
        _enabled = False

    def __exit__(self, *exc: object) -> None:
        global _enabled
        _enabled = self._previous

    def __call__(self, fn: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
        return wrapper


def is_grad_enabled() -> bool:
    """Whether ops record the graph now (False inside `no_grad`)."""
    return _enabled
