"""Dropout and noise layers: Dropout, Dropout2d, GaussianNoise, GaussianDropout (identity in
eval mode)."""

from __future__ import annotations

from ... import validate as check
from ..._tensor import Tensor
from .. import functional as F
from .module import Module


class Dropout(Module):
    """Randomly zero units with probability p while training, scaling survivors by 1 / (1 - p):
    y = x * m / (1 - p), m ~ Bernoulli(1 - p). Identity in eval mode. p is the *drop* probability
    (PyTorch, Keras); the seed's formula uses the keep probability. PyTorch's inplace=True is
    accepted and computed out of place (the same values; the input is not overwritten)."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        self.p = check.number(type(self).__name__, "p", p, 0.0, 1.0)
        self.inplace = check.boolean(type(self).__name__, "inplace", inplace)

    def forward(self, x: Tensor) -> Tensor:
        """Dropout in training mode, the identity in eval mode."""
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        """ "p=..., inplace=..." as PyTorch prints it."""
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Drop whole channels with probability p while training (PyTorch's Dropout2d): one mask value
    per (sample, channel), survivors scaled by 1 / (1 - p); identity in eval mode."""

    def forward(self, x: Tensor) -> Tensor:
        """Channel dropout of (N, C, H, W) input."""
        if getattr(x, "ndim", 4) != 4:
            raise ValueError(f"Dropout2d: input must be (N, C, H, W), got shape {tuple(x.shape)}")
        return F.dropout2d(x, self.p, self.training)


class GaussianNoise(Module):
    """Adds N(0, stddev^2) noise to every element while training (Keras's GaussianNoise);
    identity in eval mode. A regularizer for small data: the net cannot memorize exact inputs."""

    elementwise = True

    def __init__(self, stddev: float):
        super().__init__()
        self.stddev = check.finite("GaussianNoise", "stddev", stddev, low=0.0)

    def forward(self, x: Tensor) -> Tensor:
        """F.gaussian_noise(x, stddev, training)."""
        return F.gaussian_noise(x, self.stddev, self.training)

    def extra_repr(self) -> str:
        """ "stddev=..."."""
        return f"stddev={self.stddev}"


class GaussianDropout(Module):
    """Multiplies every element by N(1, rate / (1 - rate)) noise while training (Keras's
    GaussianDropout); identity in eval mode."""

    elementwise = True

    def __init__(self, rate: float):
        super().__init__()
        self.rate = check.number("GaussianDropout", "rate", rate, 0.0, 1.0, high_open=True)

    def forward(self, x: Tensor) -> Tensor:
        """F.gaussian_dropout(x, rate, training)."""
        return F.gaussian_dropout(x, self.rate, self.training)

    def extra_repr(self) -> str:
        """ "rate=..."."""
        return f"rate={self.rate}"
