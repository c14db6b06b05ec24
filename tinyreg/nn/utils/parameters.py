"""Checking what a user passed as "parameters": a list of tensors (never a Module)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..._tensor import Tensor
from ..modules.module import Module


def parameter_list(owner: str, name: str, params: Any) -> list[Tensor]:
    """A list of tensors from an iterable of them; a Module, a single tensor or a non-tensor item
    is a TypeError that says what to pass instead (PyTorch's rule for optimizers)."""
    if isinstance(params, Module):
        raise TypeError(f"{owner}: {name} must be an iterable of tensors, got a Module; pass "
                        "model.parameters()")  # fmt: skip
    if isinstance(params, Tensor) or not isinstance(params, Iterable) or isinstance(params, str):
        raise TypeError(f"{owner}: {name} must be an iterable of tensors, got "
                        f"{type(params).__name__}")  # fmt: skip
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{owner}: {name}[{i}] must be a Tensor, got {type(p).__name__}")
    return params
