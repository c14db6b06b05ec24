"""Activation layers: each is its function of nn.functional as a Module."""

from __future__ import annotations

from ... import validate as check
from ..._tensor import Tensor
from .. import functional as F
from .module import Module


class ReLU(Module):
    """max(x, 0) elementwise."""

    elementwise = True  # acts on each feature alone (reg.prune relies on it)

    def forward(self, x: Tensor) -> Tensor:
        """max(x, 0)."""
        return x.relu()


class Tanh(Module):
    """tanh(x) elementwise."""

    elementwise = True

    def forward(self, x: Tensor) -> Tensor:
        """tanh(x)."""
        return x.tanh()


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise."""

    elementwise = True

    def forward(self, x: Tensor) -> Tensor:
        """1 / (1 + exp(-x))."""
        return x.sigmoid()


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x (PyTorch's LeakyReLU)."""

    elementwise = True

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = check.finite("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        """F.leaky_relu(x, negative_slope)."""
        return F.leaky_relu(x, self.negative_slope)


class ELU(Module):
    """x where x > 0, else alpha * (exp(x) - 1) (PyTorch's ELU)."""

    elementwise = True

    def __init__(self, alpha: float = 1.0):
        super().__init__()
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


class SiLU(Module):
    """x * sigmoid(x) (PyTorch's SiLU, also called swish)."""

    elementwise = True

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
    """exp(x) / sum(exp(x)) along `dim` (PyTorch's Softmax)."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = check.integer("Softmax", "dim", dim)

    def forward(self, x: Tensor) -> Tensor:
        """x.softmax(dim)."""
        return x.softmax(self.dim)


class LogSoftmax(Softmax):
    """x - logsumexp(x) along `dim` (PyTorch's LogSoftmax)."""

    def forward(self, x: Tensor) -> Tensor:
        """x.log_softmax(dim)."""
        return x.log_softmax(self.dim)
