"""Activation layers: each is its function of nn.functional as a Module.

Deliberate difference: PyTorch's `inplace=True` is accepted (ReLU, LeakyReLU, ELU, SiLU, and
Dropout) and computes out of place: the same values, and the input is not overwritten.
"""

from __future__ import annotations

from ... import validate as check
from ..._tensor import Tensor
from .. import functional as F
from .module import Module


class _Inplace(Module):
    """An elementwise activation that takes PyTorch's `inplace` flag (computed out of place)."""

    elementwise = True  # acts on each feature alone (reg.prune relies on it)
    _shown: tuple = ()  # the settings its repr shows, before inplace

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = check.boolean(type(self).__name__, "inplace", inplace)

    def extra_repr(self) -> str:
        """The settings, then "inplace=True" when set, as PyTorch prints them."""
        shown = [f"{name}={getattr(self, name)}" for name in self._shown]
        return ", ".join(shown + (["inplace=True"] if self.inplace else []))


class ReLU(_Inplace):
    """max(x, 0) elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        """max(x, 0)."""
        return x.relu()


class Tanh(Module):
    """tanh(x) elementwise."""

    elementwise = True

    def forward(self, x: Tensor) -> Tensor:
        """tanh(x) (float32 for integer input, as in PyTorch)."""
        return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise."""

    elementwise = True

    def forward(self, x: Tensor) -> Tensor:
        """1 / (1 + exp(-x)) (float32 for integer input, as in PyTorch)."""
        return F.sigmoid(x)


class LeakyReLU(_Inplace):
    """x where x > 0, else negative_slope * x (PyTorch's LeakyReLU)."""

    _shown = ("negative_slope",)

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__(inplace)
        self.negative_slope = check.finite("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        """F.leaky_relu(x, negative_slope)."""
        return F.leaky_relu(x, self.negative_slope)


class ELU(_Inplace):
    """x where x > 0, else alpha * (exp(x) - 1) (PyTorch's ELU)."""

    _shown = ("alpha",)

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__(inplace)
        self.alpha = check.finite("ELU", "alpha", alpha)

    def forward(self, x: Tensor) -> Tensor:
        """F.elu(x, alpha)."""
        return F.elu(x, self.alpha)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, linear above threshold (PyTorch's Softplus)."""

    elementwise = True

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = check.finite("Softplus", "beta", beta, low=0.0, low_open=True)
        self.threshold = check.finite("Softplus", "threshold", threshold)

    def forward(self, x: Tensor) -> Tensor:
        """F.softplus(x, beta, threshold)."""
        return F.softplus(x, self.beta, self.threshold)


class SiLU(_Inplace):
    """x * sigmoid(x) (PyTorch's SiLU, also called swish)."""

    def forward(self, x: Tensor) -> Tensor:
        """F.silu(x)."""
        return F.silu(x)


class GELU(Module):
    """x * Phi(x) with the exact normal CDF, or approximate="tanh" (PyTorch's GELU)."""

    elementwise = True

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = check.choice("GELU", "approximate", approximate, ("none", "tanh"))

    def forward(self, x: Tensor) -> Tensor:
        """F.gelu(x, approximate)."""
        return F.gelu(x, self.approximate)


class Softmax(Module):
    """exp(x) / sum(exp(x)) along `dim` (PyTorch's Softmax). dim=None is PyTorch's deprecated
    implicit choice, with its warning: dim 0 for 0-, 1- and 3-d input, else dim 1."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = None if dim is None else check.integer(type(self).__name__, "dim", dim)

    def forward(self, x: Tensor) -> Tensor:
        """F.softmax(x, dim)."""
        return F.softmax(x, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        """ "dim=..."."""
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """x - logsumexp(x) along `dim` (PyTorch's LogSoftmax; dim=None as Softmax's)."""

    def forward(self, x: Tensor) -> Tensor:
        """F.log_softmax(x, dim)."""
        return F.log_softmax(x, self.dim, _stacklevel=5)
