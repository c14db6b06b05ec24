"""Dense (tinyreg's Keras-like affine layer) and Identity."""

from __future__ import annotations

import math

import numpy as np

from ... import random as _random
from ... import validate as check
from ..._tensor import Tensor
from .. import functional as F
from ..parameter import Parameter
from .module import Module


class Dense(Module):
    """y = x @ weight + bias, weight of shape (in_features, out_features).

    init="he" (default, for ReLU nets): weight ~ U(-sqrt(6 / in), sqrt(6 / in)) (He uniform);
    init="glorot": U(-sqrt(6 / (in + out)), +...) (Glorot/Xavier uniform, for tanh/sigmoid).
    The bias starts at zero (as in Keras). Only `weight` is penalized by default.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, init: str = "he"
    ) -> None:
        super().__init__()
        in_features = check.integer("Dense", "in_features", in_features, low=1)
        out_features = check.integer("Dense", "out_features", out_features, low=1)
        bias = check.boolean("Dense", "bias", bias)
        check.choice("Dense", "init", init, ("he", "glorot"))
        fans = {"he": in_features, "glorot": (in_features + out_features) / 2}
        limit = math.sqrt(3.0 / fans[init]) if init == "glorot" else math.sqrt(6.0 / fans[init])
        self.in_features, self.out_features = in_features, out_features
        weight = _random.generator().uniform(-limit, limit, (in_features, out_features))
        self.weight = Parameter(weight.astype(np.float32), regularize=True)
        self.bias = Parameter(np.zeros(out_features, dtype=np.float32)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """x @ weight + bias for x of shape (N, in_features)."""
        shape = np.shape(check.unwrap(x))
        if len(shape) != 2 or shape[1] != self.in_features:
            raise ValueError(f"{self!r}: expected input (N, {self.in_features}), got shape "
                             f"{shape}")  # fmt: skip
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        """ "in, out, bias=..."."""
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

    elementwise = True

    def forward(self, x: Tensor) -> Tensor:
        """x unchanged."""
        return x
