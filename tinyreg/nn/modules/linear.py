"""Affine layers: Linear and LazyLinear (PyTorch's), Dense (tinyreg's Keras-like layer), and
Identity."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import validate as check
from ..._tensor import Tensor
from .. import functional as F
from .. import init as nn_init
from ..parameter import Parameter
from .module import Module


def reset_affine(weight: Parameter, bias: Parameter | None) -> None:
    """PyTorch's initialization of Linear and Conv layers: weight by kaiming_uniform_ with
    a=sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), then bias from the same interval."""
    nn_init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = nn_init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        nn_init.uniform_(bias, -bound, bound)


class Identity(Module):
    """Returns its input unchanged (a placeholder layer); arguments are accepted and ignored, as
    in PyTorch."""

    elementwise = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        """x unchanged."""
        return x


class Linear(Module):
    """PyTorch's Linear: y = x @ weight^T + bias for input (*, in_features), output
    (*, out_features); weight of shape (out_features, in_features), bias (out_features,).

    Initialized as PyTorch does (`reset_parameters`): weight by kaiming_uniform_ with
    a=sqrt(5) and bias ~ U(-1/sqrt(in), 1/sqrt(in)), so both are U(-1/sqrt(in), 1/sqrt(in)).
    tinyreg's additions: the weight is penalized by default (as Dense weights; the bias is not)
    and marked unit_axis=0, so group penalties and MaxNorm group it by row (one row per output
    unit). `device=` and `dtype=` are not taken: move the layer with `.to(...)`.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        owner = type(self).__name__
        self.in_features = check.integer(owner, "in_features", in_features, low=0)
        self.out_features = check.integer(owner, "out_features", out_features, low=0)
        self._build(check.boolean(owner, "bias", bias))

    def _build(self, bias: bool) -> None:
        """Create weight and bias for the current in_features and initialize them."""
        self.weight = Parameter(np.empty((self.out_features, self.in_features), np.float32),
                                regularize=True, unit_axis=0)  # fmt: skip
        self.bias = Parameter(np.empty(self.out_features, np.float32)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw new weights with PyTorch's Linear initialization (see the class docstring)."""
        reset_affine(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        """x @ weight^T + bias over the last dimension of x (any leading dimensions)."""
        shape = np.shape(check.unwrap(x))
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"{self!r}: expected input (*, {self.in_features}), got shape "
                             f"{shape}")  # fmt: skip
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        """ "in_features=..., out_features=..., bias=..." as PyTorch prints it."""
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")  # fmt: skip


class LazyLinear(Linear):
    """PyTorch's LazyLinear(out_features): a Linear whose in_features is the last dimension of
    its first input. Until then in_features is 0 and weight and bias are None (PyTorch holds
    uninitialized parameters), so run one batch through the model before building the optimizer
    or loading a state dict, as PyTorch asks; the first call initializes the layer as Linear
    does, and the layer then becomes a Linear (PyTorch's cls_to_become)."""

    def __init__(self, out_features: int, bias: bool = True) -> None:
        Module.__init__(self)
        self.in_features = 0
        self.out_features = check.integer("LazyLinear", "out_features", out_features, low=0)
        self._lazy_bias = check.boolean("LazyLinear", "bias", bias)
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None

    def forward(self, x: Tensor) -> Tensor:
        """Build weight and bias for x's last dimension, become a Linear, and apply it."""
        shape = np.shape(check.unwrap(x))
        if not shape:
            raise ValueError(f"{self!r}: expected input (*, in_features), got a scalar")
        self.in_features = shape[-1]
        self._build(self._lazy_bias)
        del self._lazy_bias
        self.__class__ = Linear
        return self.forward(x)

    def extra_repr(self) -> str:
        """ "in_features=0, out_features=..., bias=..." before the first call."""
        return f"in_features=0, out_features={self.out_features}, bias={self._lazy_bias}"


class Dense(Module):
    """tinyreg's Keras-like affine layer (Keras's Dense, not PyTorch's Linear): y = x @ weight +
    bias for input (N, in_features), weight of shape (in_features, out_features).

    init="he" (default, for ReLU nets): weight ~ U(-sqrt(6 / in), sqrt(6 / in)) (He uniform,
    `init.kaiming_uniform_(nonlinearity="relu")`); init="glorot": U(-sqrt(6 / (in + out)), +...)
    (Glorot/Xavier uniform, for tanh/sigmoid). The bias starts at zero (as in Keras). Only
    `weight` is penalized by default; it is marked unit_axis=1 (one column per output unit).
    For PyTorch's layout and initialization use `Linear`.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, init: str = "he"
    ) -> None:
        super().__init__()
        in_features = check.integer("Dense", "in_features", in_features, low=1)
        out_features = check.integer("Dense", "out_features", out_features, low=1)
        bias = check.boolean("Dense", "bias", bias)
        check.choice("Dense", "init", init, ("he", "glorot"))
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((in_features, out_features), np.float32),
                                regularize=True, unit_axis=1)  # fmt: skip
        if init == "he":
            nn_init.kaiming_uniform_(self.weight, nonlinearity="relu")
        else:
            nn_init.xavier_uniform_(self.weight)
        self.bias = Parameter(np.zeros(out_features, dtype=np.float32)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """x @ weight + bias for x of shape (N, in_features)."""
        shape = np.shape(check.unwrap(x))
        if len(shape) != 2 or shape[1] != self.in_features:
            raise ValueError(f"{self!r}: expected input (N, {self.in_features}), got shape "
                             f"{shape}")  # fmt: skip
        return F.dense(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        """ "in, out, bias=..."."""
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"
