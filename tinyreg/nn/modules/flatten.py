"""Flatten, PyTorch's layer: merge dimensions start_dim..end_dim."""

from __future__ import annotations

from ... import validate as check
from ..._tensor import Tensor
from .module import Module


class Flatten(Module):
    """Flatten dimensions start_dim..end_dim into one (PyTorch's Flatten; by default
    (N, d1, d2, ...) -> (N, d1 * d2 * ...))."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = check.integer("Flatten", "start_dim", start_dim)
        self.end_dim = check.integer("Flatten", "end_dim", end_dim)

    def forward(self, x: Tensor) -> Tensor:
        """x with dimensions start_dim..end_dim merged."""
        ndim = max(x.ndim, 1)
        for name, dim in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -ndim <= dim < ndim:  # PyTorch's IndexError, never a wrap-around
                raise IndexError(f"Flatten: {name} {dim} is out of range for a {x.ndim}-d "
                                 f"input of shape {tuple(x.shape)} (expected [{-ndim}, "
                                 f"{ndim - 1}])")  # fmt: skip
        start, end = self.start_dim % ndim, self.end_dim % ndim
        if start > end:
            raise ValueError(f"Flatten: start_dim {self.start_dim} comes after end_dim "
                             f"{self.end_dim} for a {x.ndim}-d input")  # fmt: skip
        return x.flatten(start, end)
