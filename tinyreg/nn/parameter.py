"""Parameter: a leaf tensor that requires grad, marked for the default penalty or not."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad. `regularize` marks it for the default penalty (Dense
    weights are marked; biases and BatchNorm parameters are not, as in the seed)."""

    __slots__ = ("regularize",)

    def __init__(self, data: Any, regularize: bool = False):
        super().__init__(data, requires_grad=True)
        self.regularize = regularize
